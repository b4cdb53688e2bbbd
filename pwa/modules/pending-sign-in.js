// The sign-in in progress (address, reference, when the code runs out, how many digits it has, when and
// from whom it was mailed), kept in
// storage so that a phone which closes the app while the person reads the mail reopens it at the code
// step. No code is stored.

import { codeLength } from './code.js';

const KEY = 'mailseal.pending-sign-in';

/** @returns {{email: string, reference: string, expiresAt: number, codeLength: number, mode: string} | null} */
export function loadPending(storage, now = Date.now()) {
  let value = null;
  try {
    value = JSON.parse(storage?.getItem(KEY) ?? 'null');
  } catch {
    value = null;
  }
  const valid =
    value &&
    typeof value.email === 'string' &&
    typeof value.reference === 'string' &&
    Number.isFinite(value.expiresAt) &&
    value.expiresAt > now;
  if (!valid) {
    storage?.removeItem(KEY);
    return null;
  }
  return {
    email: value.email, reference: value.reference, expiresAt: value.expiresAt, codeLength: codeLength(value.codeLength),
    mode: value.mode === 'add' ? 'add' : 'sign-in', sentAt: value.sentAt, mailFrom: value.mailFrom,
  };
}

export function savePending(storage, { email, reference, expiresInMinutes, codeLength: length, mode, mailFrom }, now = Date.now()) {
  const minutes = Number.isFinite(expiresInMinutes) && expiresInMinutes > 0 ? expiresInMinutes : 10;
  const pending = {
    email, reference: String(reference ?? ''), expiresAt: now + minutes * 60 * 1000, codeLength: codeLength(length), mode, sentAt: now, mailFrom,
  };
  storage?.setItem(KEY, JSON.stringify(pending));
  return pending;
}

export function clearPending(storage) {
  storage?.removeItem(KEY);
}
