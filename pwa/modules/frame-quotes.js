// Quoted text in an HTML reply, folded like Gmail's "Show quoted text": the trailing quote (a last
// <blockquote> with its "On … wrote:" line, or everything under an Outlook "From: … Sent: …" rule) is
// hidden in the frame's document until the reader asks for it. The app only sets `display` on elements
// of the (scriptless, same-origin) frame; it reads no content into its own document.

const ATTRIBUTION = /(wrote|écrit|schrieb|escribió)\s*:?\s*$/iu;
const OUTLOOK_HEAD = /^\s*(From|De|Von|Van)\s*:/u;

/** The node, or its first ancestor below `body`, that nothing visible follows (a trailing block), else null. */
function trailing(node, body) {
  let at = node;
  while (at && at !== body) {
    for (let next = at.nextSibling; next; next = next.nextSibling) {
      if (next.nodeType === 3 ? next.textContent.trim() : next.nodeType === 1 && next.textContent.trim()) return null;
    }
    if (at.parentNode === body) return at;
    at = at.parentNode;
  }
  return null;
}

/** The elements to hide for the trailing quote of `doc`, or [] when there is none. */
export function quotedElements(doc) {
  const body = doc?.body;
  if (!body) return [];
  const quotes = body.querySelectorAll('blockquote');
  const last = quotes[quotes.length - 1];
  if (last && trailing(last, body)) {
    const hide = [last];
    let before = last.previousElementSibling;
    if (before && ATTRIBUTION.test(before.textContent)) hide.push(before);
    else if (!before && last.parentElement !== body && ATTRIBUTION.test(last.parentElement.previousElementSibling?.textContent ?? '')) {
      hide.push(last.parentElement.previousElementSibling);
    }
    return body.textContent.replace(hide.map((e) => e.textContent).join(''), '').trim() ? hide : [];
  }
  for (const rule of body.querySelectorAll('hr')) {
    const next = rule.nextElementSibling;
    if (next && OUTLOOK_HEAD.test(next.textContent)) {
      const hide = [];
      for (let at = rule; at; at = at.nextElementSibling) hide.push(at);
      return hide;
    }
  }
  return [];
}

/** Hide (or show) the quote's elements. */
export function setQuoteShown(elements, shown) {
  for (const element of elements) element.style.display = shown ? '' : 'none';
}
