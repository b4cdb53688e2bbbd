// Plain text that can be tapped: web links, mail addresses and phone numbers become link segments with
// `https:`, `mailto:` or `tel:` addresses only. Pure: the screen builds the elements (never HTML strings).

const WEB = /https:\/\/[^\s<>"'`\u0000-\u001f\u007f]+/giu;
const MAIL = /(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}(?![\w-])/gu;
// A number with a +country code, an (area) code, or at least 10 digits in groups; never a date.
const PHONE = /(?<![\w+])(?:\+\d[\d \-.()]{6,20}\d|\(\d{2,5}\)[\d \-.]{5,16}\d|\d{2,5}[ \-.]\d[\d \-.]{6,16}\d)(?![\w])/gu;
const DATE = /^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$/u;
const TRAILING = /[.,;:!?'*]+$/u;
const CLOSERS = { ')': '(', ']': '[', '}': '{' };

/** Drop punctuation that ends the sentence rather than the address, keeping brackets the URL opened. */
function trimUrl(url) {
  let end = url.length;
  for (;;) {
    const last = url[end - 1];
    const rest = url.slice(0, end);
    if (TRAILING.test(last)) end -= 1;
    else if (CLOSERS[last] && rest.split(last).length > rest.split(CLOSERS[last]).length) end -= 1;
    else break;
  }
  return url.slice(0, end);
}

function phoneHref(text) {
  if (DATE.test(text.trim())) return null;
  const digits = text.replace(/\D/gu, '');
  if (digits.length < 7 || digits.length > 15) return null;
  if (!text.startsWith('+') && !text.startsWith('(') && digits.length < 10) return null;
  return `tel:${text.startsWith('+') ? '+' : ''}${digits}`;
}

function candidates(text) {
  const found = [];
  for (const match of text.matchAll(WEB)) {
    const url = trimUrl(match[0]);
    if (url.length > 'https://'.length) found.push({ start: match.index, end: match.index + url.length, href: url });
  }
  for (const match of text.matchAll(MAIL)) {
    found.push({ start: match.index, end: match.index + match[0].length, href: `mailto:${match[0]}` });
  }
  for (const match of text.matchAll(PHONE)) {
    const href = phoneHref(match[0]);
    if (href) found.push({ start: match.index, end: match.index + match[0].length, href });
  }
  return found.sort((a, b) => a.start - b.start || b.end - a.end);
}

/**
 * @param {string} text
 * @returns {Array<{text: string, href?: string}>} the text cut into plain and link segments, in order
 */
export function linkSegments(text) {
  const value = typeof text === 'string' ? text : '';
  const segments = [];
  let pos = 0;
  for (const link of candidates(value)) {
    if (link.start < pos) continue; // inside an earlier link (an address inside a URL)
    if (link.start > pos) segments.push({ text: value.slice(pos, link.start) });
    segments.push({ text: value.slice(link.start, link.end), href: link.href });
    pos = link.end;
  }
  if (pos < value.length || segments.length === 0) segments.push({ text: value.slice(pos) });
  return segments;
}
