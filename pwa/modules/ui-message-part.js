// One message of a conversation, open: a compact header (sender, time, a one-line recipients summary that
// expands), the rights as a chip that explains itself on tap, then the body, attachments and answers.

import { h, icon, srOnly } from './dom.js';
import { describeExpiry, formatFullDate, formatRelativeDate, templateLabel, toDate } from './format.js';
import { parseAddress, peopleOf, recipientsSummary } from './people.js';
import { laterWords, t } from './i18n.js';
import { describeRights } from './rights.js';
import { paths } from './router.js';
import { renderAttachments } from './ui-attachments.js';
import { renderMessageBody } from './ui-message-body.js';

/** A round initial, coloured from the address so one person keeps one colour. */
export function avatar(name, address) {
  const letter = (name || address || '?').trim().charAt(0).toUpperCase() || '?';
  let hash = 0;
  for (const c of String(address || name).toLowerCase()) hash = (hash * 43 + c.codePointAt(0)) % 9973;
  return h('span', { class: 'avatar', 'aria-hidden': 'true', 'data-hue': String(hash % 6) }, letter);
}

function addressLine(label, values, people) {
  const list = (Array.isArray(values) ? values : []).filter((v) => typeof v === 'string' && v);
  if (list.length === 0) return null;
  const words = list.map((value) => {
    const { address } = parseAddress(value);
    const name = people.name(value);
    return name && name !== address ? `${name} <${address}>` : address;
  });
  return [h('dt', {}, label), h('dd', {}, words.join(', '))];
}

function rightsChip(message, rights, locale) {
  const strict = rights.restricted;
  const expiry = describeExpiry(message.expiresAt, new Date(), locale);
  const label = templateLabel(message.template) || t('message.protected');
  return h('details', { class: strict ? 'rights-chip strict' : 'rights-chip', 'data-testid': 'rights-chip' },
    h('summary', {},
      icon('lock'),
      h('span', { 'data-testid': 'template-badge', 'data-template': message.template || '' }, label),
      expiry ? h('span', { class: expiry.soon || expiry.expired ? 'chip-expiry soon' : 'chip-expiry', 'data-testid': 'expiry' }, expiry.text) : null,
      srOnly(` ${t('message.rights-explain')}`)),
    h('div', { class: strict ? 'rights rights-restricted' : 'rights', 'data-testid': 'rights' },
      h('p', { class: 'rights-summary' }, rights.summary),
      strict
        ? h('p', { class: 'help', 'data-testid': 'restriction-note' },
            message.template === 'do-not-forward'
              ? t('message.do-not-forward-note')
              : t('message.respect-rights'))
        : null,
      h('p', { class: 'help' }, t('message.sealed-note'))));
}

/** Reply, Reply all and Forward, each only when the message's rights allow it. */
export function renderActions(message) {
  const rights = new Set(Array.isArray(message.rights) ? message.rights : []);
  const parties = new Set([message.from, ...(Array.isArray(message.to) ? message.to : [])].filter(Boolean));
  const links = [
    rights.has('reply') ? h('a', { class: 'button primary', href: paths.compose(message.id, 'reply'), 'data-testid': 'reply' }, t('message.reply')) : null,
    rights.has('reply-all') && parties.size > 2
      ? h('a', { class: 'button secondary', href: paths.compose(message.id, 'reply-all'), 'data-testid': 'reply-all' }, t('message.reply-all'))
      : null,
    rights.has('forward') ? h('a', { class: 'button secondary', href: paths.compose(message.id, 'forward'), 'data-testid': 'forward' }, t('message.forward')) : null,
  ].filter(Boolean);
  if (links.length === 0) return null;
  return h('nav', { class: 'message-actions', 'aria-label': t('message.answer'), 'data-testid': 'message-actions' }, links);
}

/**
 * `body`, when given, stands where the body goes (the screen moves a frame that is already loading there).
 * @returns {{element: HTMLElement, rename: (people: ReturnType<typeof peopleOf>) => void}} the part, and
 *   how to show the conversation's one name per person once the thread is known
 */
export function renderMessagePart(ctx, message, { people = peopleOf([message], ctx.session.me?.addresses), body = null } = {}) {
  const rights = describeRights(message.rights);
  const date = toDate(message.date);
  const blocked = Number.isInteger(message.remoteImagesBlocked) ? message.remoteImagesBlocked : 0;
  const from = h('strong', { class: 'part-from', 'data-testid': 'message-from' });
  const summary = h('span', { class: 'recipients-summary' });
  const full = h('dl', { class: 'message-meta' });
  const face = h('span', { class: 'avatar-slot' });
  const rename = (known) => {
    from.textContent = !message.from ? message.fromName || t('inbox.unknown-sender') : known.isMe(message.from) ? t('message.me') : known.name(message.from);
    face.replaceChildren(avatar(message.from ? known.name(message.from) : from.textContent, message.from));
    summary.textContent = t('message.to', { recipients: recipientsSummary([...(message.to ?? []), ...(message.cc ?? [])], known) || t('message.undisclosed') });
    full.replaceChildren(...[
      addressLine(t('message.from'), [message.from], known),
      addressLine(t('message.to-label'), message.to, known),
      addressLine(t('message.cc'), message.cc, known),
      date ? [h('dt', {}, t('message.date')), h('dd', {}, h('time', { datetime: date.toISOString() }, formatFullDate(date, ctx.locale)))] : null,
    ].flat().filter(Boolean));
  };
  rename(people);
  const element = h('div', { class: 'message-part', 'data-testid': 'message-part', 'data-id': message.id },
    h('div', { class: 'part-head' },
      face,
      h('div', { class: 'part-who' },
        h('p', { class: 'part-line' }, srOnly(t('message.from-sr')), from,
          date ? h('time', { class: 'part-date', datetime: date.toISOString(), title: formatFullDate(date, ctx.locale) },
            formatRelativeDate(date, new Date(), ctx.locale)) : null),
        h('div', { class: 'part-meta' },
          h('details', { class: 'recipients', 'data-testid': 'recipients' }, h('summary', {}, summary, srOnly(` ${t('message.show-details')}`)), full),
          rightsChip(message, rights, ctx.locale))),
    ),
    body ?? renderMessageBody(message, rights, ctx.signal),
    message.bodyTooLarge === true
      ? h('p', { class: 'notice', 'data-testid': 'body-too-large-notice' },
          t('message.body-too-large'))
      : null,
    blocked > 0
      ? h('p', { class: 'help remote-images', 'data-testid': 'remote-images-notice' },
          t('message.remote-images-blocked', { count: blocked }))
      : null,
    notesLater(message),
    nestedLater(ctx, message, rights),
    renderAttachments(message, { canSave: rights.canSave, locale: ctx.locale }),
    renderActions(message));
  return { element, rename, rights };
}

/** Notes about odd parts (signed, encrypted elsewhere, split…), rare enough to load their module on first use. */
function notesLater(message) {
  if (!Array.isArray(message.notes) || message.notes.length === 0) return null;
  const slot = h('div', { class: 'part-notes-slot' });
  Promise.all([import('./ui-part-note.js'), laterWords()]).then(([{ renderPartNotes }]) => {
    slot.replaceWith(renderPartNotes(message.notes, message) ?? '');
  }).catch(() => slot.remove());
  return slot;
}

/** Attached messages, rare enough to load their module on first use (it stays out of the first paint). */
function nestedLater(ctx, message, rights) {
  if (!Array.isArray(message.nested) || message.nested.length === 0) return null;
  const slot = h('div', { class: 'nested-messages' });
  Promise.all([import('./ui-nested-message.js'), laterWords()]).then(([{ renderNestedMessages }]) => {
    slot.replaceWith(renderNestedMessages(ctx, message, message, { rights }) ?? '');
  }).catch(() => slot.remove());
  return slot;
}
