// What the message's rights let the reader do, in words, and which app features follow from them.

import { locale, t } from './i18n.js';

/** The rights the server knows (rules/templates.py RIGHTS): the words for doing it, and its name when off. */
const RIGHTS = [
  ['view', 'rights.verb.view', 'rights.noun.view'],
  ['reply', 'rights.verb.reply', 'rights.noun.reply'],
  ['reply-all', 'rights.verb.reply-all', 'rights.noun.reply-all'],
  ['forward', 'rights.verb.forward', 'rights.noun.forward'],
  ['print', 'rights.verb.print', 'rights.noun.print'],
  ['copy', 'rights.verb.copy', 'rights.noun.copy'],
  ['extract', 'rights.verb.extract', 'rights.noun.extract'],
];

function list(keys) {
  return new Intl.ListFormat(locale(), { type: 'conjunction' }).format(keys.map((key) => t(key)));
}

/**
 * @param {string[]} rights the message's rights, e.g. ["view","reply","reply-all"]
 * @returns {{allowed: string[], withheld: string[], summary: string, canPrint: boolean, canCopy: boolean,
 *            canSave: boolean, restricted: boolean}}
 */
export function describeRights(rights) {
  const given = new Set(Array.isArray(rights) ? rights : []);
  given.add('view'); // whoever sees the message can read it
  const allowed = RIGHTS.filter(([right]) => given.has(right)).map(([, verb]) => verb);
  const withheld = RIGHTS.filter(([right]) => !given.has(right)).map(([, , noun]) => noun);
  const restricted = withheld.length > 0;
  const summary = restricted
    ? `${t('rights.allowed', { list: list(allowed) })} ${t('rights.withheld', { list: list(withheld) })}`
    : t('rights.all');
  return {
    allowed,
    withheld,
    summary,
    canPrint: given.has('print'),
    canCopy: given.has('copy'),
    canSave: given.has('extract'),
    restricted,
  };
}
