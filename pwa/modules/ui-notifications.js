// Settings: the "Notify me of new messages" switch. The browser asks permission only after the tap; on
// iPhone outside the Home Screen app the switch explains that Mailseal must be installed first.

import { h } from './dom.js';
import { browserFacts, pushAvailability } from './platform.js';
import { friendly } from './problems.js';
import { disablePush, enablePush } from './push.js';
import { paths } from './router.js';

const HELP = {
  ok: 'The notification only says that a message arrived, never who sent it or what it says.',
  'install-first': 'On iPhone and iPad, notifications work once Mailseal is on your Home Screen. ',
  blocked: 'Notifications are blocked for Mailseal. Allow them in your phone or browser settings, then come back here.',
  unsupported: 'This browser cannot show notifications from Mailseal.',
  dismissed: 'You did not allow notifications. Tap the switch again when you want them.',
  'no-worker': 'Notifications need Mailseal to finish loading once. Reload the app and try again.',
};

export function renderNotifications(ctx) {
  const facts = browserFacts();
  const availability = pushAvailability(facts);
  const input = h('input', {
    type: 'checkbox', role: 'switch', id: 'notify', class: 'switch', 'aria-describedby': 'notify-help',
    'data-testid': 'notify-switch', disabled: true,
  });
  const help = h('p', { id: 'notify-help', class: 'help', 'data-testid': 'notify-help' });
  const say = (key) => {
    help.replaceChildren(HELP[key]);
    if (key === 'install-first') help.append(h('a', { href: paths.install() }, 'How to install Mailseal'));
    help.dataset.state = key;
  };
  say(availability);
  let registration = null;
  let publicKey = null;

  async function init() {
    if (availability !== 'ok') return;
    registration = (await navigator.serviceWorker.getRegistration().catch(() => null)) ?? null;
    if (!registration?.pushManager) return say('no-worker');
    const subscription = await registration.pushManager.getSubscription().catch(() => null);
    input.checked = Boolean(subscription) && Notification.permission === 'granted';
    input.disabled = false;
    // Fetched now, so the tap can subscribe at once (iOS wants the subscription inside the tap).
    publicKey = (await ctx.api.pushKey({ signal: ctx.signal }).catch(() => null))?.publicKey ?? null;
  }

  input.addEventListener('change', async () => {
    const on = input.checked;
    input.disabled = true;
    try {
      if (on) {
        await enablePush({ registration, api: ctx.api, publicKey, storage: ctx.storage });
        say('ok');
        ctx.toast('Notifications are on.');
      } else {
        await disablePush({ registration, api: ctx.api, storage: ctx.storage });
        ctx.toast('Notifications are off.');
      }
    } catch (failure) {
      input.checked = !on;
      if (failure?.code === 'push.blocked' || failure?.code === 'push.dismissed') say(failure.code.slice(5));
      else if (!ctx.signal.aborted) ctx.toast(friendly(failure).heading);
    } finally {
      input.disabled = help.dataset.state === 'blocked';
    }
  });
  init();

  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'notify-title' },
    h('h2', { id: 'notify-title' }, 'Notifications'),
    h('div', { class: 'row' }, h('label', { for: 'notify', class: 'row-main row-title' }, 'Notify me of new messages'), input),
    help,
  );
}
