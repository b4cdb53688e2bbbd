// Settings: the verified addresses of this sign-in, each removable, and "add another address".

import { busy, h } from './dom.js';
import { t } from './i18n.js';
import { friendly } from './problems.js';
import { paths } from './router.js';

export function renderAddresses(ctx, onChanged) {
  const addresses = ctx.session.me?.addresses ?? [];
  const error = h('p', { class: 'field-error', role: 'alert', hidden: true, 'data-testid': 'address-error' });
  const items = addresses.map((address) => {
    const remove = h('button', {
      type: 'button', class: 'button secondary small', 'aria-label': t('addresses.remove-named', { address }), 'data-testid': 'remove-address',
    }, t('addresses.remove'));
    remove.addEventListener('click', async () => {
      const last = addresses.length === 1;
      const question = t(last ? 'addresses.remove-last-confirm' : 'addresses.remove-confirm', { address });
      if (!confirm(question)) return;
      error.hidden = true;
      const done = busy(remove, t('addresses.removing'));
      try {
        await ctx.api.removeAddress(address, { signal: ctx.signal });
        ctx.session.inbox = null;
        ctx.toast(t('addresses.removed', { address }));
        await onChanged();
      } catch (failure) {
        if (ctx.signal.aborted) return;
        const words = friendly(failure);
        error.textContent = `${t('error.sentence', { heading: words.heading })} ${words.text}`;
        error.hidden = false;
      } finally {
        done();
      }
    });
    return h('li', { class: 'row', 'data-testid': 'address' }, h('span', { class: 'row-main address' }, address), remove);
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'addresses-title' },
    h('h2', { id: 'addresses-title' }, t('addresses.title')),
    h('p', { class: 'help' }, t('addresses.help')),
    h('ul', { class: 'rows' }, items),
    error,
    h('a', { class: 'button secondary wide', href: paths.addAddress(), 'data-testid': 'add-address-link' }, t('sign-in.add-title')),
  );
}
