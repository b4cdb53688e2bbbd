// Small labels: the protection template, the expiry, a message that can no longer be opened.

import { h } from './dom.js';
import { describeExpiry, templateLabel } from './format.js';
import { t } from './i18n.js';

export function templateBadge(template) {
  const label = templateLabel(template);
  if (!label) return null;
  const strict = template !== 'encrypt-only';
  return h('span', { class: strict ? 'badge badge-strict' : 'badge', 'data-testid': 'template-badge', 'data-template': template }, label);
}

export function expiryBadge(expiresAt, now, locale) {
  const expiry = describeExpiry(expiresAt, now, locale);
  if (!expiry) return null;
  const kind = expiry.expired ? 'badge badge-dead' : expiry.soon ? 'badge badge-warn' : 'badge badge-quiet';
  return h('span', { class: kind, 'data-testid': 'expiry' }, expiry.text);
}

const STATE_WORDS = {
  'policy.expired': 'badge.expired',
  'policy.revoked': 'badge.withdrawn',
  'policy.not-recipient': 'badge.not-for-you',
};

/** For inbox items the server can no longer open (`state` other than "ok"). */
export function stateBadge(state) {
  if (!state || state === 'ok') return null;
  return h('span', { class: 'badge badge-dead', 'data-testid': 'state', 'data-state': state }, t(STATE_WORDS[state] ?? 'badge.cannot-open'));
}
