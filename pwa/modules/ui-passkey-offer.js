// Once, after the first message read following a sign-in by code: "Sign in with Face ID / fingerprint next
// time". Its options are fetched as the card appears, so the tap starts the ceremony at once.

import { busy, h } from './dom.js';
import { t } from './i18n.js';
import { addPasskey, passkeysAvailable, registrationOptions } from './passkey-register.js';
import { browserFacts, inAppBrowser } from './platform.js';
import { renderInstallNudge } from './ui-install-nudge.js';

export const OFFER_KEY = 'mailseal.passkey-offer';

/** The offer, or where no passkey can be made here (none on this browser, a mail app's own browser whose
 * passkey would not work elsewhere, passkeys off on the server), the install card in its place. */
export function renderPasskeyOffer(ctx) {
  if (!passkeysAvailable() || inAppBrowser(browserFacts())) return renderInstallNudge(ctx);
  ctx.storage.setItem(OFFER_KEY, 'offered'); // once, whatever the answer
  const add = h('button', { type: 'button', class: 'button primary', 'data-testid': 'passkey-offer-add', disabled: true }, t('passkey.offer-add'));
  const later = h('button', { type: 'button', class: 'button link', 'data-testid': 'passkey-offer-later' }, t('passkey.offer-later'));
  const status = h('p', { class: 'help', role: 'status', 'data-testid': 'passkey-offer-status', hidden: true });
  const card = h('aside', { class: 'card nudge', 'data-testid': 'passkey-offer', 'aria-labelledby': 'passkey-offer-heading', hidden: true },
    h('h2', { id: 'passkey-offer-heading' }, t('passkey.offer-title')),
    h('p', {}, t('passkey.offer-text')),
    h('div', { class: 'nudge-actions' }, add, later),
    status);
  let options = null;
  registrationOptions(ctx).then((found) => {
    options = found;
    add.disabled = false;
    card.hidden = false;
  }).catch(() => card.replaceWith(renderInstallNudge(ctx) ?? '')); // passkeys off here, or offline
  later.addEventListener('click', () => card.remove());
  add.addEventListener('click', async () => {
    const done = busy(add, t('passkey.adding'));
    try {
      await addPasskey(ctx, options);
      ctx.toast(t('passkey.added'));
      card.remove();
    } catch {
      if (ctx.signal.aborted) return;
      status.textContent = t('passkey.add-failed');
      status.hidden = false;
      done();
      options = null;
      add.disabled = true;
      registrationOptions(ctx).then((found) => { options = found; add.disabled = false; }).catch(() => null);
    }
  });
  return card;
}
