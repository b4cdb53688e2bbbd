// After a message was read in a phone's browser (not yet the installed app): one card that says how to
// keep Mailseal on this phone, or, inside a mail app's own browser (where "Add to Home Screen" is not
// offered), how to get to the real browser first. "Not now" hides it for good on this browser.

import { h } from './dom.js';
import { t } from './i18n.js';
import { browserFacts, inAppBrowser, isAndroid, isIos } from './platform.js';
import { paths } from './router.js';

export const NUDGE_KEY = 'mailseal-install-nudge';

/** The words for this phone, or null when there is nothing to say (installed, a computer, dismissed). Pure. */
export function nudgeWords(facts, { dismissed = false, canPrompt = false } = {}) {
  if (dismissed || facts.standalone) return null;
  const ios = isIos(facts);
  if (!ios && !isAndroid(facts)) return null;
  const inApp = inAppBrowser(facts);
  const signIn = t('nudge.sign-in');
  if (inApp) {
    return {
      kind: 'in-app',
      heading: t('nudge.in-app-title', { browser: ios ? 'Safari' : 'Chrome' }),
      text: `${t(ios ? 'nudge.in-app-safari' : 'nudge.in-app', { app: inApp === 'app' ? t('install.another-app') : inApp })} ${signIn}`,
    };
  }
  if (ios) return { kind: 'ios', heading: t('nudge.ios-title'), text: `${t('nudge.ios')} ${signIn} ${t('nudge.ios-links')}` };
  return { kind: 'android', heading: t('install.title'), text: `${t(canPrompt ? 'nudge.android-prompt' : 'nudge.android')} ${signIn}` };
}

export function renderInstallNudge(ctx) {
  const prompt = ctx.installPrompt?.();
  const words = nudgeWords(browserFacts(), { dismissed: ctx.storage.getItem(NUDGE_KEY) === 'dismissed', canPrompt: Boolean(prompt) });
  if (!words) return null;
  const card = h('aside', { class: 'card nudge', 'data-testid': 'install-nudge', 'data-kind': words.kind, 'aria-labelledby': 'nudge-heading' },
    h('h2', { id: 'nudge-heading' }, words.heading),
    h('p', {}, words.text));
  const install = prompt && words.kind === 'android'
    ? h('button', { type: 'button', class: 'button primary', 'data-testid': 'nudge-install' }, t('nudge.install'))
    : null;
  install?.addEventListener('click', async () => {
    try {
      await prompt.prompt();
    } finally {
      ctx.clearInstallPrompt();
      card.remove();
    }
  });
  const later = h('button', { type: 'button', class: 'button link', 'data-testid': 'nudge-dismiss' }, t('nudge.not-now'));
  later.addEventListener('click', () => {
    ctx.storage.setItem(NUDGE_KEY, 'dismissed');
    card.remove();
  });
  card.append(h('div', { class: 'nudge-actions' }, install, h('a', { class: 'button secondary', href: paths.install() }, t('settings.how-to-install')), later));
  return card;
}
