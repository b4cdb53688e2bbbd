// The inbox in pages, newest first: what is loaded, where the next page starts, the counts. Pure.
// Later mail sits above every cursor, so a refresh asks for the first page only.

const count = (n) => (Number.isInteger(n) && n >= 0 ? n : null);

/** An answer of GET /api/messages as pages (an older server's has no cursor or counts). */
export function firstPage(answer) {
  return {
    messages: Array.isArray(answer?.messages) ? answer.messages.filter((m) => typeof m?.id === 'string') : [],
    nextCursor: typeof answer?.nextCursor === 'string' && answer.nextCursor ? answer.nextCursor : null,
    total: count(answer?.total),
    unread: count(answer?.unread),
  };
}

/** The next page below; nothing listed twice. */
export function appendPage(pages, answer) {
  const next = firstPage(answer);
  const seen = new Set(pages.messages.map((m) => m.id));
  return { ...next, messages: [...pages.messages, ...next.messages.filter((m) => !seen.has(m.id))] };
}

/** A new first page on top of what was loaded below it (same cursor); nothing in common: more than a page came. */
export function refreshPages(pages, answer) {
  const first = firstPage(answer);
  const fresh = new Set(first.messages.map((m) => m.id));
  if (!pages || !first.nextCursor || !pages.messages.some((m) => fresh.has(m.id))) return first;
  return { ...first, messages: [...first.messages, ...pages.messages.filter((m) => !fresh.has(m.id))], nextCursor: pages.nextCursor };
}
