// Settings: the devices signed in to this account; sign out any other one.

import { busy, h, skeleton } from './dom.js';
import { formatRelativeDate } from './format.js';
import { t } from './i18n.js';
import { friendly } from './problems.js';

function renderDevice(ctx, device, reload) {
  const seen = device.current ? t('devices.this') : t('devices.last-used', { when: formatRelativeDate(device.lastSeenAt, new Date(), ctx.locale) });
  const main = h('span', { class: 'row-main' }, h('span', { class: 'row-title' }, device.name || t('devices.unknown')), h('span', { class: 'help' }, seen));
  if (device.current) return h('li', { class: 'row', 'data-testid': 'device', 'data-current': 'true' }, main);
  const signOut = h('button', {
    type: 'button', class: 'button secondary small', 'aria-label': t('devices.sign-out-named', { name: device.name || t('devices.unknown') }), 'data-testid': 'sign-out-device',
  }, t('settings.sign-out'));
  signOut.addEventListener('click', async () => {
    const done = busy(signOut, t('settings.signing-out'));
    try {
      await ctx.api.removeDevice(device.id, { signal: ctx.signal });
      ctx.toast(t('devices.signed-out', { name: device.name || t('devices.unknown') }));
      await reload();
    } catch (failure) {
      if (!ctx.signal.aborted) ctx.toast(friendly(failure).heading);
    } finally {
      done();
    }
  });
  return h('li', { class: 'row', 'data-testid': 'device', 'data-current': 'false' }, main, signOut);
}

export function renderDevices(ctx) {
  const body = h('div', {}, skeleton(2, { 'data-testid': 'devices-loading' }));
  async function load() {
    try {
      const answer = await ctx.api.devices({ signal: ctx.signal });
      const devices = Array.isArray(answer?.devices) ? answer.devices : [];
      body.replaceChildren(h('ul', { class: 'rows', 'data-testid': 'devices' }, devices.map((d) => renderDevice(ctx, d, load))));
    } catch (failure) {
      if (ctx.signal.aborted || failure?.code === 'auth.required') return;
      const words = friendly(failure);
      body.replaceChildren(h('p', { class: 'field-error', role: 'alert' }, `${t('error.sentence', { heading: words.heading })} ${words.text} `),
        h('button', { type: 'button', class: 'button secondary small', onclick: load }, t('error.action.retry')));
    }
  }
  load();
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'devices-title' },
    h('h2', { id: 'devices-title' }, t('devices.title')),
    h('p', { class: 'help' }, t('devices.help')),
    body,
  );
}
