// What the message's rights let the reader do, in words, and which app features follow from them. Pure.

/** The rights the server knows (rules/templates.py RIGHTS): what the reader may do, and its name when off. */
const RIGHT_WORDS = [
  ['view', 'read', 'reading'],
  ['reply', 'reply', 'replying'],
  ['reply-all', 'reply to all', 'replying to all'],
  ['forward', 'forward', 'forwarding'],
  ['print', 'print', 'printing'],
  ['copy', 'copy text', 'copying'],
  ['extract', 'save attachments', 'saving attachments'],
];

function list(words) {
  if (words.length < 2) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

function capitalise(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * @param {string[]} rights the message's rights, e.g. ["view","reply","reply-all"]
 * @returns {{allowed: string[], withheld: string[], summary: string, canPrint: boolean, canCopy: boolean,
 *            canSave: boolean, restricted: boolean}}
 */
export function describeRights(rights) {
  const given = new Set(Array.isArray(rights) ? rights : []);
  given.add('view'); // whoever sees the message can read it
  const allowed = RIGHT_WORDS.filter(([right]) => given.has(right)).map(([, verb]) => verb);
  const withheld = RIGHT_WORDS.filter(([right]) => !given.has(right)).map(([, , noun]) => noun);
  const restricted = withheld.length > 0;
  const summary = restricted
    ? `You can ${list(allowed)}. ${capitalise(list(withheld))} ${withheld.length === 1 ? 'is' : 'are'} turned off by the sender.`
    : 'You can read, reply, forward, print and save this message.';
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
