// Sizes, dates and expiry in words, through Intl. Pure: the clock and the locale are passed in.

export const UI_LANGUAGE = 'en';
const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A Date from an ISO 8601 string, an RFC 5322 date, or a Unix time in seconds (or milliseconds); else null. */
export function toDate(value) {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value < 1e11 ? value * 1000 : value);
  if (typeof value === 'string' && value.trim() !== '') {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? null : date;
  }
  return null;
}

/** "0 bytes", "840 bytes", "1.2 kB", "3.4 MB" (decimal units, as phones show file sizes). */
export function formatSize(bytes, locale = UI_LANGUAGE) {
  const n = Number.isFinite(bytes) && bytes > 0 ? bytes : 0;
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte'];
  let value = n;
  let unit = 0;
  while (value >= 999.5 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: units[unit],
    unitDisplay: unit === 0 ? 'long' : 'short',
    maximumFractionDigits: unit === 0 || value >= 10 ? 0 : 1,
  }).format(value);
}

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/**
 * A short date for a list: "now", "5 min. ago", "3 hours ago", "yesterday", "4 days ago", then "12 Mar"
 * (with the year when it is not this year). Future dates (clock skew) read as "now".
 */
export function formatRelativeDate(value, now = new Date(), locale = UI_LANGUAGE) {
  const date = toDate(value);
  if (!date) return '';
  const diff = now.getTime() - date.getTime();
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto', style: 'short' });
  if (diff < MINUTE) return rtf.format(0, 'second');
  if (diff < HOUR) return rtf.format(-Math.floor(diff / MINUTE), 'minute');
  if (diff < DAY && sameDay(date, now)) return rtf.format(-Math.floor(diff / HOUR), 'hour');
  const days = Math.round((startOfDay(now) - startOfDay(date)) / DAY);
  if (days < 7) return rtf.format(-Math.max(1, days), 'day');
  const options = { day: 'numeric', month: 'short' };
  if (date.getFullYear() !== now.getFullYear()) options.year = 'numeric';
  return new Intl.DateTimeFormat(locale, options).format(date);
}

function startOfDay(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/** The full date and time, for the message header and `title` attributes. */
export function formatFullDate(value, locale = UI_LANGUAGE) {
  const date = toDate(value);
  if (!date) return '';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** "10:42" in the person's locale, for "the code works until …". */
export function formatTime(value, locale = UI_LANGUAGE) {
  const date = toDate(value);
  return date ? new Intl.DateTimeFormat(locale, { timeStyle: 'short' }).format(date) : '';
}

/**
 * Expiry in words, or null when the message does not expire.
 * @returns {{text: string, expired: boolean, soon: boolean} | null}
 */
export function describeExpiry(value, now = new Date(), locale = UI_LANGUAGE) {
  const date = toDate(value);
  if (!date) return null;
  const left = date.getTime() - now.getTime();
  if (left <= 0) return { text: 'Expired', expired: true, soon: false };
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  let words;
  if (left < HOUR) words = rtf.format(Math.max(1, Math.ceil(left / MINUTE)), 'minute');
  else if (left < DAY) words = rtf.format(Math.ceil(left / HOUR), 'hour');
  else words = rtf.format(Math.max(1, Math.round((startOfDay(date) - startOfDay(now)) / DAY)), 'day');
  return { text: `Expires ${words}`, expired: false, soon: left < 2 * DAY };
}

/** The badge text for a protection template: the two built-ins by their product names, others as given. */
export function templateLabel(template) {
  if (template === 'encrypt-only') return 'Encrypt-Only';
  if (template === 'do-not-forward') return 'Do-Not-Forward';
  return typeof template === 'string' ? template.slice(0, 40) : '';
}

const TYPE_WORDS = {
  'application/pdf': 'PDF document',
  'text/plain': 'Text',
  'text/calendar': 'Calendar invitation',
  'application/zip': 'ZIP archive',
  'message/rfc822': 'E-mail',
  'application/msword': 'Word document',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word document',
  'application/vnd.ms-excel': 'Excel spreadsheet',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'Excel spreadsheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'PowerPoint presentation',
};

/** A content type in words: "PDF document", "Image (PNG)", else the subtype ("OCTET-STREAM" -> "File"). */
export function typeLabel(contentType) {
  const type = String(contentType ?? '').split(';')[0].trim().toLowerCase();
  if (TYPE_WORDS[type]) return TYPE_WORDS[type];
  const [major, minor = ''] = type.split('/');
  if (major === 'image') return minor ? `Image (${minor.replace(/^x-/, '').toUpperCase()})` : 'Image';
  if (major === 'audio') return 'Audio';
  if (major === 'video') return 'Video';
  if (!minor || minor === 'octet-stream') return 'File';
  return minor.replace(/^(x-|vnd\.)/, '').toUpperCase().slice(0, 20);
}
