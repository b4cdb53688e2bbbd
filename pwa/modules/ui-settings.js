// Settings: addresses, devices, the personal forward address, notifications, install, sign out.

import { busy, h, screenHeading } from './dom.js';
import { friendly } from './problems.js';
import { paths } from './router.js';
import { renderAddresses } from './ui-addresses.js';
import { renderCopyButton } from './ui-copy-button.js';
import { renderDevices } from './ui-devices.js';
import { renderNotifications } from './ui-notifications.js';
import { renderOfflineSettings } from './ui-offline-settings.js';

function renderForwardAddress(ctx) {
  const address = ctx.session.me?.forwardAddress;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'forward-title' },
    h('h2', { id: 'forward-title' }, 'Your Mailseal address'),
    address
      ? [
          h('p', { class: 'help' }, 'Forward a mail with a protected message to this address and it appears in your inbox.'),
          h('p', { class: 'copy-row' }, h('code', { class: 'address', 'data-testid': 'forward-address' }, address),
            renderCopyButton(ctx, address, 'Copy your Mailseal address')),
        ]
      : h('p', { class: 'help', 'data-testid': 'forward-address-none' }, 'This server does not offer forward addresses yet.'),
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

  const signOut = h('button', { type: 'button', class: 'button danger wide', 'data-testid': 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', async () => {
    // A tap too many should not cost a trip to the mailbox for a new code.
    if (!confirm('Sign out of Mailseal on this device? To sign in again you will need a code from your mail.')) return;
    const done = busy(signOut, 'Signing out…');
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
    screenHeading('Settings'),
    addresses,
    renderDevices(ctx),
    renderForwardAddress(ctx),
    renderNotifications(ctx),
    renderOfflineSettings(ctx),
    h('section', { class: 'card', 'aria-labelledby': 'install-title' },
      h('h2', { id: 'install-title' }, 'Install Mailseal'),
      h('p', { class: 'help' }, 'Put Mailseal on your Home Screen to open it like an app.'),
      h('a', { class: 'button secondary wide', href: paths.install(), 'data-testid': 'install-link' }, 'How to install')),
    signOut,
  );
}
