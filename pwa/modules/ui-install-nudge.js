// After a message was read in a phone's browser (not yet the installed app): one card that says how to
// keep Mailseal on this phone, or, inside a mail app's own browser (where "Add to Home Screen" is not
// offered), how to get to the real browser first. "Not now" hides it for good on this browser.

import { h } from './dom.js';
import { browserFacts, inAppBrowser, isAndroid, isIos } from './platform.js';
import { paths } from './router.js';

export const NUDGE_KEY = 'mailseal-install-nudge';

/** The words for this phone, or null when there is nothing to say (installed, a computer, dismissed). Pure. */
export function nudgeWords(facts, { dismissed = false, canPrompt = false } = {}) {
  if (dismissed || facts.standalone) return null;
  const ios = isIos(facts);
  if (!ios && !isAndroid(facts)) return null;
  const inApp = inAppBrowser(facts);
  const browser = ios ? 'Safari' : 'Chrome';
  const signIn = 'The installed app signs in on its own (a code, once) and can tell you when a message arrives.';
  if (inApp) {
    const where = inApp === 'app' ? 'another app' : inApp;
    return {
      kind: 'in-app',
      heading: `Open Mailseal in ${browser} to install it`,
      text: `You are reading this in ${where}'s own browser, which cannot add Mailseal to your Home Screen. `
        + `Tap the menu (… or ⋮) and choose “Open in ${ios ? 'Safari' : 'browser'}”, then install it from there. ${signIn}`,
    };
  }
  if (ios) {
    return {
      kind: 'ios',
      heading: 'Keep Mailseal on your Home Screen',
      text: `Tap Share (the square with an arrow), then “Add to Home Screen”. ${signIn} Links in mails still open in Safari; `
        + 'every message is in the app’s inbox too.',
    };
  }
  return {
    kind: 'android',
    heading: 'Install Mailseal',
    text: `${canPrompt ? 'Tap Install' : 'Tap the menu (⋮), then “Install app”'}. ${signIn}`,
  };
}

export function renderInstallNudge(ctx) {
  const prompt = ctx.installPrompt?.();
  const words = nudgeWords(browserFacts(), { dismissed: ctx.storage.getItem(NUDGE_KEY) === 'dismissed', canPrompt: Boolean(prompt) });
  if (!words) return null;
  const card = h('aside', { class: 'card nudge', 'data-testid': 'install-nudge', 'data-kind': words.kind, 'aria-labelledby': 'nudge-heading' },
    h('h2', { id: 'nudge-heading' }, words.heading),
    h('p', {}, words.text));
  const install = prompt && words.kind === 'android'
    ? h('button', { type: 'button', class: 'button primary', 'data-testid': 'nudge-install' }, 'Install')
    : null;
  install?.addEventListener('click', async () => {
    try {
      await prompt.prompt();
    } finally {
      ctx.clearInstallPrompt();
      card.remove();
    }
  });
  const later = h('button', { type: 'button', class: 'button link', 'data-testid': 'nudge-dismiss' }, 'Not now');
  later.addEventListener('click', () => {
    ctx.storage.setItem(NUDGE_KEY, 'dismissed');
    card.remove();
  });
  card.append(h('div', { class: 'nudge-actions' }, install, h('a', { class: 'button secondary', href: paths.install() }, 'How to install'), later));
  return card;
}
