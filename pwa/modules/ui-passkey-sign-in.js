// The sign-in screen's passkey choice: a button, and the browser's passkey autofill on the address field
// where it has one (conditional mediation). The options are fetched as the screen opens, so the tap calls
// WebAuthn at once (iOS refuses a call that does not come straight from a tap). Shown only where the
// browser has WebAuthn and the server offers passkeys; otherwise the code is the way, as before.

import { h } from './dom.js';
import { t } from './i18n.js';
import { clearPending } from './pending-sign-in.js';
import { friendly } from './problems.js';
import { paths } from './router.js';
import { credentialToJSON, requestOptions } from './webauthn-json.js';

// The server keeps a challenge 5 minutes; a fresh one before that.
const REFRESH_MS = 4 * 60 * 1000;

export async function mountPasskeySignIn(ctx, slot, email) {
  if (!globalThis.PublicKeyCredential || !navigator.credentials?.get) return;
  const ask = () => ctx.api.call('POST', '/api/auth/passkey/options', { signal: ctx.signal, quiet: true });
  let options;
  try {
    options = await ask();
  } catch {
    return; // passkeys off here (403), or offline: the code is enough
  }
  if (ctx.signal.aborted) return;
  const error = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'passkey-error', hidden: true });
  const button = h('button', { type: 'button', class: 'button secondary wide', 'data-testid': 'passkey-sign-in' }, t('passkey.sign-in'));
  slot.replaceChildren(h('p', { class: 'help' }, t('passkey.or')), button, h('p', { class: 'help' }, t('passkey.sign-in-help')), error);
  let autofill = null;

  const say = (text) => {
    error.textContent = text;
    error.hidden = !text;
  };
  async function refresh() {
    try {
      options = await ask();
    } catch {
      // keep the old ones: the next tap says what went wrong
    }
  }
  async function finish(credential) {
    try {
      const me = await ctx.api.call('POST', '/api/auth/passkey', { json: { credential: credentialToJSON(credential) }, signal: ctx.signal });
      clearPending(ctx.storage);
      ctx.session.setMe(me);
      ctx.navigate(ctx.route.params.next ?? paths.inbox(), { replace: true });
    } catch (failure) {
      if (ctx.signal.aborted) return;
      say(failure?.code === 'auth.passkey-refused' ? t('passkey.refused') : `${friendly(failure).heading}.`);
      await refresh(); // the challenge was spent
      startAutofill();
    }
  }

  button.addEventListener('click', async () => {
    say('');
    autofill?.abort();
    let credential;
    try {
      // No await before this call: it must come straight from the tap.
      credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
    } catch {
      if (ctx.signal.aborted) return;
      say(t('passkey.cancelled'));
      startAutofill();
      return;
    }
    await finish(credential);
  });

  async function startAutofill() {
    if (!(await PublicKeyCredential.isConditionalMediationAvailable?.()) || ctx.signal.aborted) return;
    email.setAttribute('autocomplete', 'username webauthn');
    autofill?.abort();
    const controller = new AbortController();
    autofill = controller;
    let credential;
    try {
      credential = await navigator.credentials.get({ publicKey: requestOptions(options), mediation: 'conditional', signal: controller.signal });
    } catch {
      return; // aborted for the button or a new challenge, or no passkey chosen
    }
    if (!ctx.signal.aborted) await finish(credential);
  }

  const timer = setInterval(async () => {
    await refresh();
    startAutofill();
  }, REFRESH_MS);
  ctx.signal.addEventListener('abort', () => {
    clearInterval(timer);
    autofill?.abort();
  }, { once: true });
  startAutofill();
}
