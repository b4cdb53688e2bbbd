// The 8-digit sign-in code: what typing and pasting may leave in the field. Pure.

export const CODE_LENGTH = 8;
export const CODE_PATTERN = `[0-9]{${CODE_LENGTH}}`;

/** What the field keeps as someone types: digits only, at most eight. */
export function sanitizeCode(value) {
  return String(value ?? '').replace(/\D+/g, '').slice(0, CODE_LENGTH);
}

/**
 * The code in pasted text. A mail or SMS may paste "1234 5678", "1234-5678" or "Your code: 12345678
 * (reference K7QF)": prefer a group of exactly eight digits, else keep the digits as typing would.
 */
export function codeFromPaste(text) {
  const match = /(?<!\d)(\d{4})[\s-]?(\d{4})(?!\d)/.exec(String(text ?? ''));
  return match ? match[1] + match[2] : sanitizeCode(text);
}

export function isCompleteCode(value) {
  return new RegExp(`^${CODE_PATTERN}$`).test(value);
}
