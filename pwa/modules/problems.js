// RFC 9457 problem details -> one ApiError with a stable code, and the words people see for each code.
// Pure: no DOM, importable in Node.

import { microsoftPortalUrl } from './foreign-mail.js';

/** Codes the client makes up itself, for failures that never reached the server. */
export const CLIENT_CODES = Object.freeze({
  network: 'network',
  timeout: 'timeout',
  server: 'server',
  shareMissing: 'share.missing',
  pageNotFound: 'page.not-found',
});

const STATUS_CODES = {
  400: 'input.invalid',
  401: 'auth.required',
  403: 'forbidden',
  404: 'not-found',
  410: 'policy.expired',
  413: 'input.too-large',
  429: 'rate-limited',
};

const CODE_PATTERN = /^[a-z0-9][a-z0-9.-]{0,59}$/;

export class ApiError extends Error {
  /** @param {{status?: number, code: string, title?: string, detail?: string, triesLeft?: number|null, retryAfter?: number|null, openUrl?: string|null}} p */
  constructor({ status = 0, code, title = '', detail = '', triesLeft = null, retryAfter = null, openUrl = null }) {
    super(title || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.title = title;
    this.detail = detail;
    this.triesLeft = triesLeft;
    this.retryAfter = retryAfter;
    this.openUrl = openUrl;  // mail protected with Microsoft 365: its portal link (checked, see foreign-mail.js)
  }
}

/** A code from outside (a problem body, a `?error=` parameter) if it looks like one of ours, else null. */
export function cleanCode(value) {
  return typeof value === 'string' && CODE_PATTERN.test(value) ? value : null;
}

function whole(value) {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return Number.isInteger(n) && n >= 0 ? n : null;
}

function text(value, max = 300) {
  return typeof value === 'string' ? value.slice(0, max) : '';
}

/**
 * The ApiError for a failed response: its problem body when there is one, else a code from the status.
 * @param {number} status
 * @param {unknown} body parsed JSON or null
 * @param {string|null} retryAfterHeader
 */
export function problemToError(status, body, retryAfterHeader = null) {
  const problem = body && typeof body === 'object' ? body : {};
  const code = cleanCode(problem.code) ?? STATUS_CODES[status] ?? (status >= 500 ? CLIENT_CODES.server : 'http.error');
  return new ApiError({
    status,
    code,
    title: text(problem.title),
    detail: text(problem.detail),
    triesLeft: whole(problem.triesLeft),
    retryAfter: whole(problem.retryAfter) ?? whole(retryAfterHeader),
    openUrl: microsoftPortalUrl(problem.openUrl),
  });
}

/** The code family: 'rate-limited.client' is handled like 'rate-limited'. */
const ALIASES = {
  'rate-limited.client': 'rate-limited',
  internal: 'server',
  'http.error': 'server',
};

/**
 * What to tell people, per code. `action` names what the screen offers:
 * retry | new-code | add-address | inbox | sign-in | pick-file.
 */
const FRIENDLY = {
  'auth.required': {
    heading: 'Please sign in',
    text: 'Sign in with your e-mail address to read your protected messages.',
    action: 'sign-in',
  },
  'auth.invalid-code': {
    heading: 'That code is not right',
    text: 'Check the digits in the newest mail from Mailseal and try again.',
  },
  'auth.code-expired': {
    heading: 'That code has expired',
    text: 'Codes work for a few minutes only. Ask for a new code; it will arrive in a new mail.',
    action: 'new-code',
  },
  'auth.too-many-tries': {
    heading: 'Too many wrong codes',
    text: 'To keep your account safe, this code no longer works. Ask for a new code.',
    action: 'new-code',
  },
  'auth.long-code-needed': {
    heading: 'This address needs a longer code',
    text: 'Someone has tried many wrong codes for this address, so for now its codes have 16 digits. Ask for a new code and use the newest mail.',
    action: 'new-code',
  },
  'auth.failed': {
    heading: 'Sign-in failed',
    text: 'Start again with your e-mail address.',
    action: 'sign-in',
  },
  'input.invalid-address': {
    heading: 'That address does not look right',
    text: 'Check the e-mail address, for example name@example.org.',
  },
  'rate-limited': {
    heading: 'Please wait a moment',
    text: 'There were too many attempts in a short time. Try again in a few minutes.',
    action: 'retry',
  },
  'csrf.failed': {
    heading: 'Please try again',
    text: 'The page was open for a long time and its security token ran out. Try again; if it keeps happening, close and reopen Mailseal.',
    action: 'retry',
  },
  'policy.not-recipient': {
    heading: 'This message is for another address',
    text: 'It was sent to an address you have not added to Mailseal. Add that address in Settings, or ask the sender to send it to you again.',
    action: 'add-address',
  },
  'policy.expired': {
    heading: 'This message has expired',
    text: 'The sender set a date after which nobody can open it. If you still need it, ask the sender to send it again.',
    action: 'inbox',
  },
  'policy.revoked': {
    heading: 'The sender withdrew this message',
    text: 'Nobody can open it any more. If you still need it, ask the sender to send it again.',
    action: 'inbox',
  },
  'policy.right-not-granted': {
    heading: 'Not allowed for this message',
    text: 'The sender\'s protection does not allow this. You can still read the message.',
    action: 'inbox',
  },
  'policy.refused': {
    heading: 'You cannot open this message',
    text: 'The rules the sender set for this message do not allow it. Ask the sender if you think this is wrong.',
    action: 'inbox',
  },
  forbidden: {
    heading: 'Not allowed',
    text: 'You do not have access to this. Ask the sender if you think this is wrong.',
    action: 'inbox',
  },
  'envelope.damaged': {
    heading: 'This message is damaged',
    text: 'It was changed or cut short on its way to you, so it cannot be opened safely. Ask the sender to send it again.',
    action: 'inbox',
  },
  'envelope.unknown-key': {
    heading: 'This message cannot be opened here',
    text: 'It was protected by another Mailseal server, or its key no longer exists. Open it with the link in the original mail, or ask the sender to send it again.',
    action: 'inbox',
  },
  'input.no-envelope': {
    heading: 'No protected message in this file',
    text: 'Open the message.html attachment of the mail from Mailseal, not another file.',
    action: 'pick-file',
  },
  'input.too-large': {
    heading: 'This file is too large',
    text: 'Open the message.html attachment of the mail from Mailseal.',
    action: 'pick-file',
  },
  'input.malformed-mail': {
    heading: 'This mail could not be read',
    text: 'Try the message.html attachment of the mail instead of the whole mail.',
    action: 'pick-file',
  },
  'envelope.foreign-microsoft': {
    heading: 'Protected with Microsoft 365',
    text: 'This message was encrypted with Microsoft 365 Message Encryption, not Mailseal. It opens in Outlook or at Microsoft, with the account it was sent to.',
    action: 'inbox',
  },
  'envelope.foreign-smime': {
    heading: 'Encrypted with S/MIME',
    text: 'This message is encrypted for a certificate Mailseal does not hold. Only the mail app with your certificate can open it.',
    action: 'inbox',
  },
  'envelope.foreign-pgp': {
    heading: 'Encrypted with OpenPGP',
    text: 'This message is encrypted for an OpenPGP key Mailseal does not hold. Only the app with your key can open it.',
    action: 'inbox',
  },
  'input.not-email': {
    heading: 'This file is not an e-mail message',
    text: 'Share the message.html attachment of the mail from Mailseal, or the mail itself.',
    action: 'pick-file',
  },
  'input.invalid': {
    heading: 'Something in the request was not right',
    text: 'Check what you entered and try again.',
  },
  'not-found': {
    heading: 'Not found',
    text: 'This message is not in your inbox. It may have been sent to another of your addresses.',
    action: 'inbox',
  },
  [CLIENT_CODES.shareMissing]: {
    heading: 'The shared file is gone',
    text: 'Share the message.html attachment to Mailseal again.',
    action: 'inbox',
  },
  [CLIENT_CODES.pageNotFound]: {
    heading: 'This page does not exist',
    text: 'The link may be incomplete. Your messages are in the inbox.',
    action: 'inbox',
  },
  [CLIENT_CODES.network]: {
    heading: 'No connection',
    text: 'Mailseal cannot reach its server. Check your connection and try again.',
    action: 'retry',
  },
  [CLIENT_CODES.timeout]: {
    heading: 'This is taking too long',
    text: 'Your connection seems slow. Try again, or wait for a better signal.',
    action: 'retry',
  },
  [CLIENT_CODES.server]: {
    heading: 'Something went wrong on our side',
    text: 'This is not your fault. Try again in a moment.',
    action: 'retry',
  },
};

function waitWords(seconds) {
  if (seconds < 90) return `Try again in ${Math.max(1, seconds)} seconds.`;
  return `Try again in ${Math.ceil(seconds / 60)} minutes.`;
}

/**
 * The words and offered action for an error: our own wording for known codes (plus the server's `detail`
 * when it adds something), the server's own title and detail for codes we do not know.
 * @param {ApiError|Error|{code?: string}} error
 * @returns {{code: string, heading: string, text: string, note: string, action: string|null}}
 */
export function friendly(error) {
  const code = cleanCode(error?.code) ?? CLIENT_CODES.server;
  const family = ALIASES[code] ?? code;
  const known = FRIENDLY[family];
  const title = text(error?.title);
  const detail = text(error?.detail);
  const notes = [];
  if (known && detail && detail !== title) notes.push(detail);
  if (Number.isInteger(error?.triesLeft)) {
    notes.push(error.triesLeft === 1 ? '1 try left.' : `${error.triesLeft} tries left.`);
  }
  if (Number.isInteger(error?.retryAfter) && error.retryAfter > 0) notes.push(waitWords(error.retryAfter));
  if (known) return { code, heading: known.heading, text: known.text, note: notes.join(' '), action: known.action ?? null };
  return {
    code,
    heading: title || 'Something went wrong',
    text: detail && detail !== title ? detail : 'Try again in a moment.',
    note: notes.join(' '),
    action: 'retry',
  };
}
