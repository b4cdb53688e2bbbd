// How to put Mailseal on the Home Screen: the browser's own install prompt where there is one (Android,
// desktop Chrome), else the steps for iPhone/iPad (Safari's Share menu) and for Android's browser menu.

import { h, screenHeading } from './dom.js';
import { t } from './i18n.js';
import { browserFacts, inAppBrowser, isAndroid, isIos } from './platform.js';

/** In a mail app's own browser "Add to Home Screen" is missing: say how to reach the real browser. */
function inAppNote(facts) {
  const inApp = inAppBrowser(facts);
  if (!inApp) return null;
  return h('p', { class: 'notice', 'data-testid': 'install-in-app' }, t(isIos(facts) ? 'install.in-app-safari' : 'install.in-app', {
    app: inApp === 'app' ? t('install.another-app') : inApp,
  }));
}

function steps(id, title, items) {
  return h('section', { class: 'card', 'aria-labelledby': id, 'data-testid': id },
    h('h2', { id }, title),
    h('ol', { class: 'steps' }, items.map((item) => h('li', {}, item))));
}

export function renderInstall(ctx) {
  const facts = browserFacts();
  const ios = steps('install-ios', t('install.ios'), [
    t('install.ios-1'), t('install.ios-2'), t('install.ios-3'), t('install.ios-4'),
  ]);
  const android = steps('install-android', t('install.android'), [
    t('install.android-1'), t('install.android-2'), t('install.android-3'), t('install.android-4'),
  ]);
  const prompt = ctx.installPrompt();
  const button = prompt
    ? h('button', { type: 'button', class: 'button primary wide', 'data-testid': 'install-button' }, t('install.title'))
    : null;
  button?.addEventListener('click', async () => {
    try {
      await prompt.prompt();
      const choice = await prompt.userChoice;
      if (choice?.outcome === 'accepted') ctx.toast(t('install.installing'));
    } catch {
      ctx.toast(t('install.use-steps'));
    }
    ctx.clearInstallPrompt();
    button.hidden = true;
  });
  const installed = facts.standalone;
  return h(
    'section',
    { class: 'screen install', 'data-testid': 'install' },
    screenHeading(t('install.title')),
    installed
      ? h('p', { class: 'lead', 'data-testid': 'installed' }, t('install.installed'))
      : h('p', { class: 'lead' }, t('install.lead')),
    installed ? null : inAppNote(facts),
    installed ? null : h('p', { 'data-testid': 'install-sign-in' }, t('install.sign-in')),
    installed ? null : button,
    installed ? null : (isAndroid(facts) && !isIos(facts) ? [android, ios] : [ios, android]),
  );
}
