// Settings: the "Notify me of new messages" switch. The browser asks permission only after the tap; on
// iPhone outside the Home Screen app the switch explains that Mailseal must be installed first.

import { h } from './dom.js';
import { browserFacts, pushAvailability } from './platform.js';
import { t } from './i18n.js';
import { friendly } from './problems.js';
import { disablePush, enablePush } from './push.js';
import { paths } from './router.js';

const HELP = {
  ok: 'notify.ok',
  'install-first': 'notify.install-first',
  blocked: 'notify.blocked',
  unsupported: 'notify.unsupported',
  dismissed: 'notify.dismissed',
  'no-worker': 'notify.no-worker',
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
    help.replaceChildren(t(HELP[key]));
    if (key === 'install-first') help.append(' ', h('a', { href: paths.install() }, t('notify.how-to-install')));
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
        ctx.toast(t('notify.on'));
      } else {
        await disablePush({ registration, api: ctx.api, storage: ctx.storage });
        ctx.toast(t('notify.off'));
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
    h('h2', { id: 'notify-title' }, t('notify.title')),
    h('div', { class: 'row' }, h('label', { for: 'notify', class: 'row-main row-title' }, t('notify.switch')), input),
    help,
  );
}
