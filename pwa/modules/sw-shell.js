// What the service worker keeps (the app shell) and how it sorts each request. Pure.

import { isAppPath } from './router.js';

export const SHELL_CACHE_PREFIX = 'mailseal-shell-';
// The shell document by the URL every server answers with it (`/index.html` itself may not be served).
export const SHELL_DOCUMENT = '/';
export const SHARE_TARGET = '/share-target';

/**
 * The app shell: everything the first screen needs, so the app opens offline. No API answer and nothing
 * decrypted is ever here. A test checks that every module app.js imports is listed and every file exists.
 */
export const SHELL_ASSETS = Object.freeze([
  SHELL_DOCUMENT,
  '/app.js',
  '/styles.css',
  '/screens.css',
  '/manifest.json',
  '/icons/icon.svg',
  '/icons/icon-192.png',
  '/icons/apple-touch-icon.png',
  '/icons/badge-96.png',
  // Every catalogue, so the app starts offline in any language and can switch offline (a test lists them).
  '/locales/en.json',
  '/locales/de.json',
  '/locales/fr.json',
  '/locales/es.json',
  '/locales/pt-BR.json',
  '/locales/it.json',
  '/locales/nl.json',
  '/locales/pl.json',
  '/locales/tr.json',
  '/locales/ar.json',
  '/locales/ja.json',
  '/locales/zh-Hans.json',
  '/locales/later/en.json',
  '/locales/later/de.json',
  '/locales/later/fr.json',
  '/locales/later/es.json',
  '/locales/later/pt-BR.json',
  '/locales/later/it.json',
  '/locales/later/nl.json',
  '/locales/later/pl.json',
  '/locales/later/tr.json',
  '/locales/later/ar.json',
  '/locales/later/ja.json',
  '/locales/later/zh-Hans.json',
  '/modules/api.js',
  '/modules/code.js',
  '/modules/conversation.js',
  '/modules/dom.js',
  '/modules/drafts.js',
  '/modules/foreign-mail.js',
  '/modules/format.js',
  '/modules/i18n.js',
  '/modules/message-format.js',
  '/modules/pending-sign-in.js',
  '/modules/platform.js',
  '/modules/problems.js',
  '/modules/push.js',
  '/modules/rights.js',
  '/modules/router.js',
  '/modules/share.js',
  '/modules/ui-app-bar.js',
  '/modules/ui-attachments.js',
  '/modules/ui-badges.js',
  '/modules/ui-composer.js',
  '/modules/ui-copy-button.js',
  '/modules/ui-devices.js',
  '/modules/ui-addresses.js',
  '/modules/ui-error-screen.js',
  '/modules/ui-foreign-mail.js',
  '/modules/ui-inbox.js',
  '/modules/ui-inbox-item.js',
  '/modules/ui-inbox-more.js',
  '/modules/inbox-pages.js',
  '/modules/ui-install.js',
  '/modules/ui-language.js',
  '/modules/ui-message.js',
  '/modules/ui-message-body.js',
  '/modules/ui-nested-message.js',
  '/modules/ui-notifications.js',
  '/modules/ui-offline-banner.js',
  '/modules/ui-part-note.js',
  '/modules/ui-pull-to-refresh.js',
  '/modules/ui-settings.js',
  '/modules/ui-shared-file.js',
  '/modules/ui-sign-in.js',
  '/modules/ui-sign-in-providers.js',
  '/modules/ui-thread.js',
  '/modules/ui-toast.js',
  '/modules/frame-fit.js',
  '/modules/frame-quotes.js',
  '/modules/linkify.js',
  '/modules/people.js',
  '/modules/quotes.js',
  '/modules/ui-message-part.js',
  '/modules/ui-attachment-viewer.js',
  '/modules/ui-install-nudge.js',
  '/modules/ui-code-wait.js',
  '/modules/ui-passkey-sign-in.js',
  '/modules/ui-passkey-offer.js',
  '/modules/ui-passkeys.js',
  '/modules/passkey-register.js',
  '/modules/webauthn-json.js',
  '/modules/ui-access-log.js',
  '/modules/offline-keep.js',
  '/modules/offline-serve.js',
  '/modules/offline-store.js',
  '/modules/ui-offline-mark.js',
  '/modules/ui-offline-settings.js',
]);

export function shellCacheName(version) {
  if (!/^[0-9a-z-]{1,40}$/.test(version)) throw new TypeError('shell version: lowercase letters, digits, dashes');
  return SHELL_CACHE_PREFIX + version;
}

const SHELL_PATHS = new Set(SHELL_ASSETS);

/**
 * How the service worker answers a request:
 * 'share' (keep the shared file), 'shell' (cached index.html), 'asset' (cache first), or 'network'
 * (not touched: other origins, non-GET, the API, attachments, anything unknown).
 * @param {{method: string, url: string, mode?: string}} request
 * @param {string} origin the service worker's origin
 */
export function classify(request, origin) {
  const url = new URL(request.url);
  if (url.origin !== origin) return 'network';
  if (request.method === 'POST' && url.pathname === SHARE_TARGET) return 'share';
  if (request.method !== 'GET') return 'network';
  if (url.pathname.startsWith('/api/')) return 'network';
  if (request.mode === 'navigate' && isAppPath(url.pathname)) return 'shell';
  if (SHELL_PATHS.has(url.pathname)) return 'asset';
  return 'network';
}
