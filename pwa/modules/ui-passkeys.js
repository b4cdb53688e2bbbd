// Settings: this person's passkeys (name, added, last used, this device); add one here, remove any.
// Removing a passkey signs out the devices that signed in with it; signing out a device keeps its passkey.

import { busy, h, skeleton } from './dom.js';
import { formatRelativeDate } from './format.js';
import { t } from './i18n.js';
import { addPasskey, passkeysAvailable, registrationOptions } from './passkey-register.js';
import { friendly } from './problems.js';

function describe(ctx, passkey) {
  const now = new Date();
  const added = t('passkey.created', { date: formatRelativeDate(passkey.createdAt, now, ctx.locale) });
  const used = passkey.lastUsedAt
    ? t('passkey.last-used', { date: formatRelativeDate(passkey.lastUsedAt, now, ctx.locale) })
    : t('passkey.never-used');
  return passkey.thisDevice ? `${t('passkey.this-device')} · ${added} · ${used}` : `${added} · ${used}`;
}

function renderPasskey(ctx, passkey, reload) {
  const remove = h('button', {
    type: 'button', class: 'button secondary small', 'data-testid': 'remove-passkey', 'aria-label': t('passkey.remove-label', { name: passkey.name }),
  }, t('passkey.remove'));
  remove.addEventListener('click', async () => {
    if (!confirm(t('passkey.confirm-remove'))) return;
    const done = busy(remove, t('passkey.removing'));
    try {
      await ctx.api.call('DELETE', `/api/passkeys/${encodeURIComponent(passkey.id)}`, { signal: ctx.signal });
      ctx.toast(t('passkey.removed', { name: passkey.name }));
      await reload();
    } catch (failure) {
      if (!ctx.signal.aborted) ctx.toast(friendly(failure).heading);
      done();
    }
  });
  return h('li', { class: 'row', 'data-testid': 'passkey', 'data-this-device': String(Boolean(passkey.thisDevice)) },
    h('span', { class: 'row-main' }, h('span', { class: 'row-title' }, passkey.name), h('span', { class: 'help' }, describe(ctx, passkey))),
    remove);
}

export function renderPasskeys(ctx) {
  const body = h('div', {}, skeleton(1, { 'data-testid': 'passkeys-loading' }));
  const add = h('button', { type: 'button', class: 'button secondary wide', 'data-testid': 'add-passkey', disabled: true, hidden: !passkeysAvailable() },
    t('passkey.settings-add'));
  const section = h('section', { class: 'card', 'aria-labelledby': 'passkeys-title', 'data-testid': 'passkeys' },
    h('h2', { id: 'passkeys-title' }, t('passkey.settings-title')),
    h('p', { class: 'help' }, t('passkey.settings-help')),
    body,
    add);
  let options = null;
  const prepare = () => {
    if (!passkeysAvailable()) return;
    registrationOptions(ctx).then((found) => { options = found; add.disabled = false; }).catch(() => { add.hidden = true; });
  };
  async function load() {
    try {
      const answer = await ctx.api.call('GET', '/api/passkeys', { signal: ctx.signal });
      const passkeys = Array.isArray(answer?.passkeys) ? answer.passkeys : [];
      // One passkey per device is enough (the server excludes it from a new registration anyway).
      if (passkeys.some((p) => p.thisDevice)) add.hidden = true;
      body.replaceChildren(passkeys.length
        ? h('ul', { class: 'rows', 'data-testid': 'passkey-list' }, passkeys.map((p) => renderPasskey(ctx, p, load)))
        : h('p', { class: 'help', 'data-testid': 'passkeys-none' }, t('passkey.settings-none')));
    } catch (failure) {
      if (ctx.signal.aborted || failure?.code === 'auth.required') return;
      body.replaceChildren(h('p', { class: 'field-error', role: 'alert' }, `${friendly(failure).heading}.`));
    }
  }
  add.addEventListener('click', async () => {
    const done = busy(add, t('passkey.adding'));
    try {
      await addPasskey(ctx, options);
      ctx.toast(t('passkey.added'));
      await load();
    } catch (failure) {
      if (!ctx.signal.aborted && failure?.code) ctx.toast(friendly(failure).heading);
      else if (!ctx.signal.aborted) ctx.toast(t('passkey.add-failed'));
    } finally {
      done();
      add.disabled = true;
      prepare();
    }
  });
  load();
  prepare();
  return section;
}
