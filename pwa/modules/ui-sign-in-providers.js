// Sign in with an identity provider (Google, Microsoft, the organisation's own): a button for each one the
// server allows, and why the last try was refused. Loaded after the sign-in screen's first paint.

import { CSRF_COOKIE, CSRF_HEADER, readCookie } from './api.js';
import { busy, h } from './dom.js';
import { t } from './i18n.js';
import { problemToError } from './problems.js';

const REFUSALS = Object.freeze({
  'oidc.refused': 'signin-providers.refused',
  'oidc.unverified-email': 'signin-providers.unverified',
});

/** The message key for the callback's `?signin-refused=` code, or null. */
export function refusalKey(search) {
  const code = new URLSearchParams(String(search ?? '')).get('signin-refused');
  return code ? REFUSALS[code] ?? REFUSALS['oidc.refused'] : null;
}

/** The providers to offer, from `GET /api/auth/methods` (an empty list when it cannot be read). */
export async function fetchProviders({ fetch: fetchImpl = globalThis.fetch, signal } = {}) {
  const response = await fetchImpl('/api/auth/methods', { headers: { accept: 'application/json' }, signal });
  const body = response.ok ? await response.json().catch(() => null) : null;
  const providers = Array.isArray(body?.providers) ? body.providers : [];
  return providers.filter((p) => typeof p?.id === 'string' && typeof p?.name === 'string' && p.name);
}

/** Start a sign-in: where to send the browser (the server keeps state, nonce and PKCE verifier). */
export async function startSignIn(providerId, returnTo, {
  fetch: fetchImpl = globalThis.fetch, cookies = () => globalThis.document?.cookie ?? '', signal,
} = {}) {
  if (readCookie(cookies(), CSRF_COOKIE) === null) await fetchImpl('/api/me', { signal }).catch(() => null);
  const response = await fetchImpl(`/api/auth/oidc/${encodeURIComponent(providerId)}/start`, {
    method: 'POST', signal, credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json, application/problem+json',
      [CSRF_HEADER]: readCookie(cookies(), CSRF_COOKIE) ?? '' },
    body: JSON.stringify({ returnTo }),
  });
  const body = await response.json().catch(() => null);
  if (!response.ok || typeof body?.authorizationUrl !== 'string') throw problemToError(response.status, body);
  return body.authorizationUrl;
}

/** Fill `slot` with the provider buttons (or leave it hidden when there are none). */
export async function mountProviders(slot, { returnTo = '/', signal, search = globalThis.location?.search ?? '',
  go = (url) => globalThis.location.assign(url) } = {}) {
  const refused = refusalKey(search);
  const error = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'provider-error', hidden: !refused },
    refused ? t(refused) : '');
  const providers = await fetchProviders({ signal }).catch(() => []);
  if (!providers.length && !refused) return;
  const buttons = providers.map((provider) => {
    const button = h('button', { type: 'button', class: 'button secondary wide', 'data-provider': provider.id,
      'data-testid': `sign-in-with-${provider.id}` }, t('signin-providers.continue', { name: provider.name }));
    button.addEventListener('click', async () => {
      error.hidden = true;
      const done = busy(button, t('signin-providers.opening', { name: provider.name }));
      try {
        go(await startSignIn(provider.id, returnTo, { signal }));
      } catch (failure) {
        done();
        if (signal?.aborted) return;
        error.textContent = failure?.title || t('signin-providers.refused');
        error.hidden = false;
      }
    });
    return button;
  });
  slot.replaceChildren(...[
    error,
    providers.length ? h('p', { class: 'help sign-in-or' }, t('signin-providers.or')) : null,
    ...buttons,
    providers.length ? h('p', { class: 'help' }, t('signin-providers.help')) : null,
  ].filter(Boolean));
  slot.hidden = false;
}
