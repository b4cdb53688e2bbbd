// Settings: addresses, devices, passkeys, the personal forward address, notifications, language, install,
// sign out.

import { busy, h, screenHeading } from './dom.js';
import { t } from './i18n.js';
import { friendly } from './problems.js';
import { paths } from './router.js';
import { renderAccessLogCard } from './ui-access-log.js';
import { renderAddresses } from './ui-addresses.js';
import { renderCopyButton } from './ui-copy-button.js';
import { renderDevices } from './ui-devices.js';
import { renderLanguage } from './ui-language.js';
import { renderNotifications } from './ui-notifications.js';
import { renderPasskeys } from './ui-passkeys.js';
import { renderOfflineSettings } from './ui-offline-settings.js';

function renderForwardAddress(ctx) {
  const address = ctx.session.me?.forwardAddress;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'forward-title' },
    h('h2', { id: 'forward-title' }, t('settings.forward-title')),
    address
      ? [
          h('p', { class: 'help' }, t('settings.forward-help')),
          h('p', { class: 'copy-row' }, h('code', { class: 'address', 'data-testid': 'forward-address' }, address),
            renderCopyButton(ctx, address, t('inbox.copy-forward-address'))),
        ]
      : h('p', { class: 'help', 'data-testid': 'forward-address-none' }, t('settings.forward-none')),
  );
}

export function renderSettings(ctx) {
  const addresses = h('div', {});
  const showAddresses = () => addresses.replaceChildren(renderAddresses(ctx, reloadMe));
  async function reloadMe() {
    ctx.session.setMe(await ctx.api.me({ signal: ctx.signal }));
    showAddresses();
  }
  showAddresses();

  const signOut = h('button', { type: 'button', class: 'button danger wide', 'data-testid': 'sign-out' }, t('settings.sign-out'));
  signOut.addEventListener('click', async () => {
    // A tap too many should not cost a trip to the mailbox for a new code.
    if (!confirm(t('settings.sign-out-confirm'))) return;
    const done = busy(signOut, t('settings.signing-out'));
    try {
      await ctx.api.logout({ signal: ctx.signal });
      ctx.signedOut();
    } catch (failure) {
      if (!ctx.signal.aborted) ctx.toast(friendly(failure).heading);
      done();
    }
  });

  return h(
    'section',
    { class: 'screen settings', 'data-testid': 'settings' },
    screenHeading(t('title.settings')),
    addresses,
    renderDevices(ctx),
    renderPasskeys(ctx),
    renderForwardAddress(ctx),
    renderNotifications(ctx),
    renderAccessLogCard(),
    renderLanguage(),
    renderOfflineSettings(ctx),
    h('section', { class: 'card', 'aria-labelledby': 'install-title' },
      h('h2', { id: 'install-title' }, t('install.title')),
      h('p', { class: 'help' }, t('settings.install-help')),
      h('a', { class: 'button secondary wide', href: paths.install(), 'data-testid': 'install-link' }, t('settings.how-to-install'))),
    signOut,
  );
}
