// Settings: the verified addresses of this sign-in, each removable, and "add another address".

import { busy, h } from './dom.js';
import { friendly } from './problems.js';
import { paths } from './router.js';

export function renderAddresses(ctx, onChanged) {
  const addresses = ctx.session.me?.addresses ?? [];
  const error = h('p', { class: 'field-error', role: 'alert', hidden: true, 'data-testid': 'address-error' });
  const items = addresses.map((address) => {
    const remove = h('button', {
      type: 'button', class: 'button secondary small', 'aria-label': `Remove ${address}`, 'data-testid': 'remove-address',
    }, 'Remove');
    remove.addEventListener('click', async () => {
      const last = addresses.length === 1;
      const question = last
        ? `Remove ${address}? It is your only address: you will be signed out and its messages leave this inbox.`
        : `Remove ${address}? Its messages leave this inbox until you add it again.`;
      if (!confirm(question)) return;
      error.hidden = true;
      const done = busy(remove, 'Removing…');
      try {
        await ctx.api.removeAddress(address, { signal: ctx.signal });
        ctx.session.inbox = null;
        ctx.toast(`${address} was removed.`);
        await onChanged();
      } catch (failure) {
        if (ctx.signal.aborted) return;
        const words = friendly(failure);
        error.textContent = `${words.heading}. ${words.text}`;
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
    h('h2', { id: 'addresses-title' }, 'Your addresses'),
    h('p', { class: 'help' }, 'Messages sent to these addresses appear in your inbox.'),
    h('ul', { class: 'rows' }, items),
    error,
    h('a', { class: 'button secondary wide', href: paths.addAddress(), 'data-testid': 'add-address-link' }, 'Add another address'),
  );
}
