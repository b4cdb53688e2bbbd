// Quoted text in a plain-text reply: runs of "> " lines (with the "On … wrote:" line before them, and
// everything under an Outlook "Original Message" rule) are folded behind "Show quoted text". Pure.

const QUOTE_LINE = /^[ \t]{0,3}>/u;
const ATTRIBUTION = /^(?:On\b.{4,200}\bwrote:|Le\b.{4,200}\ba écrit ?:|Am\b.{4,200}\bschrieb.{0,80}:|El\b.{4,200}\bescribió:)\s*$/u;
const ORIGINAL = /^\s*-{2,}\s*(?:Original Message|Forwarded message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}\s*$/iu;
// Short inline quotes answered point by point stay open; longer runs fold.
const MIN_FOLDED_LINES = 3;

/**
 * @param {string} text
 * @returns {Array<{quoted: boolean, text: string}>} consecutive blocks; quoted blocks are the ones to fold
 */
export function splitQuoted(text) {
  const lines = (typeof text === 'string' ? text : '').replace(/\r\n?/gu, '\n').split('\n');
  const quoted = lines.map((line) => QUOTE_LINE.test(line));
  const original = lines.findIndex((line) => ORIGINAL.test(line));
  if (original >= 0) for (let i = original; i < lines.length; i += 1) quoted[i] = true;
  // Blank lines between quoted lines belong to the run; so does the attribution line just before a run.
  const blank = (i) => lines[i].trim() === '';
  for (let i = 1; i < lines.length; i += 1) {
    if (quoted[i] || !blank(i) || !quoted[i - 1]) continue;
    let next = i;
    while (next < lines.length && blank(next)) next += 1;
    if (next < lines.length && quoted[next]) for (let j = i; j < next; j += 1) quoted[j] = true;
  }
  for (let i = lines.length - 1; i > 0; i -= 1) {
    if (!quoted[i] || quoted[i - 1]) continue;
    let previous = i - 1;
    while (previous > 0 && blank(previous)) previous -= 1;
    if (ATTRIBUTION.test(lines[previous].trim())) for (let j = previous; j < i; j += 1) quoted[j] = true;
  }
  const blocks = [];
  for (let i = 0; i < lines.length; i += 1) {
    const last = blocks.at(-1);
    if (last && last.quoted === quoted[i]) last.lines.push(lines[i]);
    else blocks.push({ quoted: quoted[i], lines: [lines[i]] });
  }
  const merged = [];
  for (const block of blocks) {
    const fold = block.quoted && block.lines.filter((l) => l.trim() !== '').length >= MIN_FOLDED_LINES;
    const last = merged.at(-1);
    if (last && !last.quoted && !fold) last.lines.push(...block.lines);
    else merged.push({ quoted: fold, lines: [...block.lines] });
  }
  return merged.map((block) => ({ quoted: block.quoted, text: block.lines.join('\n') }));
}

/** A one-line preview of a message's own words (no quoted text), for a collapsed conversation row. */
export function snippet(text, max = 140) {
  const own = splitQuoted(text).filter((block) => !block.quoted).map((block) => block.text).join(' ');
  const line = own.split('\n').filter((l) => !QUOTE_LINE.test(l)).join(' ').replace(/\s+/gu, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1).trimEnd()}…` : line;
}
