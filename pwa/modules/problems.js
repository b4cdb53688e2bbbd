// RFC 9457 problem details -> one ApiError with a stable code, and the words people see for each code
// (from the catalogue). No DOM: importable in Node.

import { microsoftPortalUrl } from './foreign-mail.js';
import { language, t } from './i18n.js';

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
 * The next step each known code offers (retry | new-code | add-address | inbox | sign-in | pick-file, or
 * null); its words are `error.<code>.title` and `error.<code>.text` in the catalogue.
 */
export const KNOWN_CODES = Object.freeze({
  'auth.required': 'sign-in',
  'auth.invalid-code': null,
  'auth.code-expired': 'new-code',
  'auth.too-many-tries': 'new-code',
  'auth.long-code-needed': 'new-code',
  'auth.failed': 'sign-in',
  'input.invalid-address': null,
  'rate-limited': 'retry',
  'csrf.failed': 'retry',
  'policy.not-recipient': 'add-address',
  'policy.expired': 'inbox',
  'policy.revoked': 'inbox',
  'policy.right-not-granted': 'inbox',
  'policy.refused': 'inbox',
  forbidden: 'inbox',
  'envelope.damaged': 'inbox',
  'envelope.unknown-key': 'inbox',
  'input.no-envelope': 'pick-file',
  'input.too-large': 'pick-file',
  'input.malformed-mail': 'pick-file',
  'envelope.foreign-microsoft': 'inbox',
  'envelope.foreign-smime': 'inbox',
  'envelope.foreign-pgp': 'inbox',
  'input.not-email': 'pick-file',
  'input.invalid': null,
  'not-found': 'inbox',
  'share.missing': 'inbox',
  'page.not-found': 'inbox',
  network: 'retry',
  timeout: 'retry',
  server: 'retry',
  conflict: 'retry',
  'server.busy': 'retry',
  'server.job-failed': 'retry',
  'server.job-timeout': 'retry',
  'server.job-too-large': 'inbox',
  'push.invalid-subscription': null,
  'push.endpoint-refused': null,
  'push.subscription-taken': null,
  'envelope.foreign': 'inbox',
  'offline.unconfirmed': 'retry', // a kept copy the server has not re-confirmed for too long (offline-serve.js)
});

function waitWords(seconds) {
  if (seconds < 90) return t('error.wait-seconds', { count: Math.max(1, seconds) });
  return t('error.wait-minutes', { count: Math.ceil(seconds / 60) });
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
  const known = Object.hasOwn(KNOWN_CODES, family);
  // The server speaks English: its own words only on an English screen (or words the app made itself).
  const english = language() === 'en';
  const title = english ? text(error?.title) : '';
  const detail = english || error?.translated ? text(error?.detail) : '';
  const notes = [];
  if (known && detail && detail !== title) notes.push(detail);
  if (Number.isInteger(error?.triesLeft)) notes.push(t('error.tries-left', { count: error.triesLeft }));
  if (Number.isInteger(error?.retryAfter) && error.retryAfter > 0) notes.push(waitWords(error.retryAfter));
  if (known) {
    return { code, heading: t(`error.${family}.title`), text: t(`error.${family}.text`), note: notes.join(' '), action: KNOWN_CODES[family] };
  }
  return {
    code,
    heading: title || t('error.generic.title'),
    text: detail && detail !== title ? detail : t('error.generic.text'),
    note: notes.join(' '),
    action: 'retry',
  };
}
