// One message of a conversation, open: a compact header (sender, time, a one-line recipients summary that
// expands), the rights as a chip that explains itself on tap, then the body, attachments and answers.

import { h, icon, srOnly } from './dom.js';
import { describeExpiry, formatFullDate, formatRelativeDate, templateLabel, toDate } from './format.js';
import { parseAddress, peopleOf, recipientsSummary } from './people.js';
import { describeRights } from './rights.js';
import { paths } from './router.js';
import { renderAttachments } from './ui-attachments.js';
import { renderMessageBody } from './ui-message-body.js';
import { renderPartNotes } from './ui-part-note.js';

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
  const label = templateLabel(message.template) || 'Protected';
  return h('details', { class: strict ? 'rights-chip strict' : 'rights-chip', 'data-testid': 'rights-chip' },
    h('summary', {},
      icon('lock'),
      h('span', { 'data-testid': 'template-badge', 'data-template': message.template || '' }, label),
      expiry ? h('span', { class: expiry.soon || expiry.expired ? 'chip-expiry soon' : 'chip-expiry', 'data-testid': 'expiry' }, expiry.text) : null,
      srOnly(' (what this means)')),
    h('div', { class: strict ? 'rights rights-restricted' : 'rights', 'data-testid': 'rights' },
      h('p', { class: 'rights-summary' }, rights.summary),
      strict
        ? h('p', { class: 'help', 'data-testid': 'restriction-note' },
            message.template === 'do-not-forward'
              ? 'Do-Not-Forward: this message is for you only. Please do not pass it on.'
              : 'Please respect what the sender allows.')
        : null,
      h('p', { class: 'help' }, 'Sealed: only the people it was sent to can open it, after proving their address.')));
}

/** Reply, Reply all and Forward, each only when the message's rights allow it. */
export function renderActions(message) {
  const rights = new Set(Array.isArray(message.rights) ? message.rights : []);
  const parties = new Set([message.from, ...(Array.isArray(message.to) ? message.to : [])].filter(Boolean));
  const links = [
    rights.has('reply') ? h('a', { class: 'button primary', href: paths.compose(message.id, 'reply'), 'data-testid': 'reply' }, 'Reply') : null,
    rights.has('reply-all') && parties.size > 2
      ? h('a', { class: 'button secondary', href: paths.compose(message.id, 'reply-all'), 'data-testid': 'reply-all' }, 'Reply all')
      : null,
    rights.has('forward') ? h('a', { class: 'button secondary', href: paths.compose(message.id, 'forward'), 'data-testid': 'forward' }, 'Forward') : null,
  ].filter(Boolean);
  if (links.length === 0) return null;
  return h('nav', { class: 'message-actions', 'aria-label': 'Answer', 'data-testid': 'message-actions' }, links);
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
    from.textContent = !message.from ? message.fromName || 'Unknown sender' : known.isMe(message.from) ? 'me' : known.name(message.from);
    face.replaceChildren(avatar(message.from ? known.name(message.from) : from.textContent, message.from));
    summary.textContent = `to ${recipientsSummary([...(message.to ?? []), ...(message.cc ?? [])], known) || 'undisclosed recipients'}`;
    full.replaceChildren(...[
      addressLine('From', [message.from], known),
      addressLine('To', message.to, known),
      addressLine('Cc', message.cc, known),
      date ? [h('dt', {}, 'Date'), h('dd', {}, h('time', { datetime: date.toISOString() }, formatFullDate(date, ctx.locale)))] : null,
    ].flat().filter(Boolean));
  };
  rename(people);
  const element = h('div', { class: 'message-part', 'data-testid': 'message-part', 'data-id': message.id },
    h('div', { class: 'part-head' },
      face,
      h('div', { class: 'part-who' },
        h('p', { class: 'part-line' }, srOnly('From: '), from,
          date ? h('time', { class: 'part-date', datetime: date.toISOString(), title: formatFullDate(date, ctx.locale) },
            formatRelativeDate(date, new Date(), ctx.locale)) : null),
        h('div', { class: 'part-meta' },
          h('details', { class: 'recipients', 'data-testid': 'recipients' }, h('summary', {}, summary, srOnly(' (show details)')), full),
          rightsChip(message, rights, ctx.locale))),
    ),
    body ?? renderMessageBody(message, rights, ctx.signal),
    message.bodyTooLarge === true
      ? h('p', { class: 'notice', 'data-testid': 'body-too-large-notice' },
          'Part of this message is too long to show here. It is among the attachments below, to open or save.')
      : null,
    blocked > 0
      ? h('p', { class: 'help remote-images', 'data-testid': 'remote-images-notice' },
          blocked === 1 ? '1 remote image was blocked' : `${blocked} remote images were blocked`,
          ' to protect your privacy (they could tell the sender when you read this).')
      : null,
    renderPartNotes(message.notes, message),
    nestedLater(ctx, message, rights),
    renderAttachments(message, { canSave: rights.canSave, locale: ctx.locale }),
    renderActions(message));
  return { element, rename, rights };
}

/** Attached messages, rare enough to load their module on first use (it stays out of the first paint). */
function nestedLater(ctx, message, rights) {
  if (!Array.isArray(message.nested) || message.nested.length === 0) return null;
  const slot = h('div', { class: 'nested-messages' });
  import('./ui-nested-message.js').then(({ renderNestedMessages }) => {
    slot.replaceWith(renderNestedMessages(ctx, message, message, { rights }) ?? '');
  }).catch(() => slot.remove());
  return slot;
}
