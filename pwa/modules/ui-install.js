// How to put Mailseal on the Home Screen: the browser's own install prompt where there is one (Android,
// desktop Chrome), else the steps for iPhone/iPad (Safari's Share menu) and for Android's browser menu.

import { h, screenHeading } from './dom.js';
import { browserFacts, inAppBrowser, isAndroid, isIos } from './platform.js';

/** In a mail app's own browser "Add to Home Screen" is missing: say how to reach the real browser. */
function inAppNote(facts) {
  const inApp = inAppBrowser(facts);
  if (!inApp) return null;
  const browser = isIos(facts) ? 'Safari' : 'your browser';
  return h('p', { class: 'notice', 'data-testid': 'install-in-app' },
    `You are in ${inApp === 'app' ? 'another app' : inApp}’s own browser, which cannot install Mailseal. `
    + `Tap the menu (… or ⋮), choose “Open in ${browser}”, and follow the steps there.`);
}

function steps(id, title, items) {
  return h('section', { class: 'card', 'aria-labelledby': id, 'data-testid': id },
    h('h2', { id }, title),
    h('ol', { class: 'steps' }, items.map((item) => h('li', {}, item))));
}

export function renderInstall(ctx) {
  const facts = browserFacts();
  const ios = steps('install-ios', 'iPhone and iPad', [
    'Open Mailseal in Safari.',
    'Tap the Share button (the square with an arrow pointing up).',
    'Scroll down and tap “Add to Home Screen”, then “Add”.',
    'Open Mailseal from your Home Screen.',
  ]);
  const android = steps('install-android', 'Android', [
    'Open Mailseal in Chrome.',
    'Tap the menu (three dots) at the top right.',
    'Tap “Install app” or “Add to Home screen”, then “Install”.',
    'Open Mailseal from your Home screen or app list.',
  ]);
  const prompt = ctx.installPrompt();
  const button = prompt
    ? h('button', { type: 'button', class: 'button primary wide', 'data-testid': 'install-button' }, 'Install Mailseal')
    : null;
  button?.addEventListener('click', async () => {
    try {
      await prompt.prompt();
      const choice = await prompt.userChoice;
      if (choice?.outcome === 'accepted') ctx.toast('Mailseal is being installed.');
    } catch {
      ctx.toast('Use the steps below to install Mailseal.');
    }
    ctx.clearInstallPrompt();
    button.hidden = true;
  });
  const installed = facts.standalone;
  return h(
    'section',
    { class: 'screen install', 'data-testid': 'install' },
    screenHeading('Install Mailseal'),
    installed
      ? h('p', { class: 'lead', 'data-testid': 'installed' }, 'Mailseal is installed: you are using the app now.')
      : h('p', { class: 'lead' }, 'Mailseal works like an app on your phone: it opens from your Home Screen, and can tell you when a message arrives.'),
    installed ? null : inAppNote(facts),
    installed ? null : h('p', { 'data-testid': 'install-sign-in' },
      'The installed app signs in on its own: the first time you open it, confirm your address with a code once; it then stays signed in. '
      + 'On iPhone, links in mails still open in Safari, and every message is in the app’s inbox too.'),
    installed ? null : button,
    installed ? null : (isAndroid(facts) && !isIos(facts) ? [android, ios] : [ios, android]),
  );
}
