// Which phone and mode the app runs in, and what that means for install and notifications. Pure: the
// browser's facts are passed in (see `browserFacts`), so Node tests can try every combination.

/** The facts the other functions need, read from the browser. Call only in a window. */
export function browserFacts() {
  return {
    userAgent: navigator.userAgent,
    maxTouchPoints: navigator.maxTouchPoints ?? 0,
    standalone: matchMedia('(display-mode: standalone)').matches || navigator.standalone === true,
    hasPush: 'serviceWorker' in navigator && 'PushManager' in globalThis && 'Notification' in globalThis,
    permission: 'Notification' in globalThis ? Notification.permission : 'denied',
  };
}

/** iPhone, iPad (which may say it is a Mac, but has touch), or iPod. */
export function isIos({ userAgent = '', maxTouchPoints = 0 }) {
  return /iPhone|iPad|iPod/.test(userAgent) || (/Macintosh/.test(userAgent) && maxTouchPoints > 1);
}

export function isAndroid({ userAgent = '' }) {
  return /Android/.test(userAgent);
}

/**
 * Whether the notifications switch can work here:
 * 'ok' | 'install-first' (iOS allows push only to a Home Screen app) | 'blocked' | 'unsupported'.
 */
export function pushAvailability(facts) {
  if (isIos(facts) && !facts.standalone) return 'install-first';
  if (!facts.hasPush) return 'unsupported';
  if (facts.permission === 'denied') return 'blocked';
  return 'ok';
}

/**
 * The in-app browser of a mail or social app, where "Add to Home Screen" is not offered: its name when
 * the user agent says it, 'app' for an unnamed one (an iOS web view without Safari's token, an Android
 * WebView), or null in a real browser.
 */
export function inAppBrowser({ userAgent = '', maxTouchPoints = 0 }) {
  if (/FBAN|FBAV|FB_IAB/.test(userAgent)) return 'Facebook';
  if (/Instagram/.test(userAgent)) return 'Instagram';
  if (/LinkedInApp/.test(userAgent)) return 'LinkedIn';
  if (/\bGSA\//.test(userAgent)) return 'Google';
  if (/Outlook-(?:iOS|Android)|\bOutlook\//.test(userAgent)) return 'Outlook';
  if (/\bGmail\b/.test(userAgent)) return 'Gmail';
  if (isIos({ userAgent, maxTouchPoints }) && /AppleWebKit/.test(userAgent) && !/Safari\//.test(userAgent)) return 'app';
  if (isAndroid({ userAgent }) && /; wv\)/.test(userAgent)) return 'app';
  return null;
}
