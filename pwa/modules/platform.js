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
