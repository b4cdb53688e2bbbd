// One-line notes about parts of a message that are not plain text or files: signed, encrypted for a key
// Mailseal does not hold, stored elsewhere, split in pieces, Outlook's rich format, more parts than shown.

import { h, icon } from './dom.js';
import { language, t } from './i18n.js';
import { paths } from './router.js';

const LOCKED = new Set(['encrypted-smime', 'encrypted-pgp', 'encrypted-microsoft']);
const MARK = { signed: '✓', 'more-parts': '…' };
/*
 * The server writes each note in English, some with details (a count, where a part is stored). Other
 * languages show the catalogue's sentence for the note's kind, without those details.
 */
const WORDS = {
  signed: 'note.signed',
  'encrypted-smime': 'note.encrypted-smime',
  'encrypted-pgp': 'note.encrypted-pgp',
  'encrypted-microsoft': 'note.encrypted-microsoft',
  'more-parts': 'note.more-parts',
  'external-body': 'note.external-body',
  partial: 'note.partial',
  'broken-multipart': 'note.broken-multipart',
  'attached-message': 'note.attached-message',
  'unknown-type': 'note.unknown-type',
  flat: 'note.flat',
  tnef: 'note.tnef',
};

function noteText(note) {
  return language() === 'en' || !WORDS[note.kind] ? note.text : t(WORDS[note.kind]);
}

/**
 * @param {Array<{kind: string, text: string, attachment?: number|null}>|undefined} notes
 * @param {{id: string, attachments?: Array<{index: number, filename: string}>}} message
 */
export function renderPartNotes(notes, message) {
  const items = (Array.isArray(notes) ? notes : []).filter((n) => n && typeof n.text === 'string' && n.text);
  if (items.length === 0) return null;
  const files = new Map((message.attachments ?? []).map((a) => [a.index, a]));
  return h('ul', { class: 'part-notes', 'data-testid': 'part-notes' }, items.map((note) => {
    const file = Number.isInteger(note.attachment) ? files.get(note.attachment) : null;
    return h('li', { class: 'part-note', 'data-kind': String(note.kind || '') },
      h('span', { class: 'part-note-icon', 'aria-hidden': 'true' }, LOCKED.has(note.kind) ? icon('lock') : MARK[note.kind] ?? 'ℹ'),
      h('span', {}, noteText(note),
        file ? [' ', h('a', { href: paths.attachment(message.id, file.index) }, file.filename)] : null));
  }));
}
