// The bar at the top (from index.html): a back link on inner screens, the settings link when signed in.

import { t } from './i18n.js';
import { paths } from './router.js';

const INNER = new Set(['message', 'compose', 'attachment', 'settings', 'add-address', 'install', 'not-found', 'shared', 'share-failed']);

/** @param {{name: string, params?: object}} route @param {boolean} signedIn */
export function updateAppBar(route, signedIn) {
  const back = document.getElementById('back');
  const settings = document.getElementById('settings-link');
  const inner = INNER.has(route.name);
  back.hidden = !inner;
  const toSettings = route.name === 'add-address' || route.name === 'install';
  const toMessage = route.name === 'compose' || route.name === 'attachment';
  back.setAttribute('href', toSettings ? paths.settings() : toMessage ? paths.message(route.params.id) : paths.inbox());
  back.setAttribute('aria-label', t(toSettings ? 'app.back-to-settings' : toMessage ? 'app.back-to-message' : 'app.back'));
  document.getElementById('settings-link').setAttribute('aria-label', t('app.settings'));
  settings.hidden = !signedIn || route.name === 'settings' || route.name === 'sign-in';
}
