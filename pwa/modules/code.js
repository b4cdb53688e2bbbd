// The sign-in code: 8 digits, or 16 while an address is guarded (too many wrong guesses there); the
// answer to a code request says which (`codeLength`). What typing and pasting may leave in the field. Pure.

export const CODE_LENGTH = 8;
export const LONG_CODE_LENGTH = 16;
export const CODE_PATTERN = codePattern(CODE_LENGTH);

/** The length the server announced, if it is one of ours; else 8. */
export function codeLength(value) {
  return value === LONG_CODE_LENGTH ? LONG_CODE_LENGTH : CODE_LENGTH;
}

export function codePattern(length = CODE_LENGTH) {
  return `[0-9]{${codeLength(length)}}`;
}

/** What the field keeps as someone types: digits only, at most `length`. */
export function sanitizeCode(value, length = CODE_LENGTH) {
  return String(value ?? '').replace(/\D+/g, '').slice(0, codeLength(length));
}

/**
 * The code in pasted text. A mail or SMS may paste "1234 5678", "1234-5678", "Your code: 12345678
 * (reference K7QF)" or, for a long code, "1234 5678 9012 3456": prefer a group of exactly `length`
 * digits written in fours (or in one run), else keep the digits as typing would.
 */
export function codeFromPaste(text, length = CODE_LENGTH) {
  const groups = codeLength(length) / 4;
  const fours = Array.from({ length: groups }, () => '(\\d{4})').join('[\\s-]?');
  const match = new RegExp(`(?<!\\d[\\s-]?)${fours}(?![\\s-]?\\d)`).exec(String(text ?? ''));
  return match ? match.slice(1).join('') : sanitizeCode(text, length);
}

export function isCompleteCode(value, length = CODE_LENGTH) {
  return new RegExp(`^${codePattern(length)}$`).test(value);
}
