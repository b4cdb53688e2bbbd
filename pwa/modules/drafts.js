// Drafts of replies: only the text the person typed, in localStorage under the message id, so a dropped
// network or a closed app loses nothing. Never anything decrypted (no subject, no quoted original). Pure:
// the storage is injected (app.js passes a localStorage that never throws).

export const DRAFT_PREFIX = 'mailseal-draft:';
const VERSION = 1;
const MAX_CHARS = 200000;

export function draftKey(messageId) {
  return DRAFT_PREFIX + String(messageId);
}

/** The saved text for a message, or null. */
export function loadDraft(storage, messageId) {
  const raw = storage.getItem(draftKey(messageId));
  if (!raw) return null;
  try {
    const draft = JSON.parse(raw);
    if (draft?.v !== VERSION || typeof draft.text !== 'string') return null;
    return { text: draft.text, savedAt: Number.isFinite(draft.savedAt) ? draft.savedAt : 0 };
  } catch {
    return null;
  }
}

/** Keep the text (an empty text removes the draft). Returns whether a draft is now kept. */
export function saveDraft(storage, messageId, text, now = Date.now()) {
  if (typeof text !== 'string' || text.trim() === '') {
    storage.removeItem(draftKey(messageId));
    return false;
  }
  storage.setItem(draftKey(messageId), JSON.stringify({ v: VERSION, text: text.slice(0, MAX_CHARS), savedAt: now }));
  return true;
}

export function clearDraft(storage, messageId) {
  storage.removeItem(draftKey(messageId));
}
