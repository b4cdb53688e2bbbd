// The ICU MessageFormat subset of the catalogues (see i18n.js), compiled once per message. Pure.
// Parts: text, {name}, {pound} (# in a plural), {name, kind: 'plural'|'select', options}.

const NAME = /\s*([A-Za-z]\w*)\s*/y;
const SELECTOR = /\s*(=?[\w-]+)\s*\{|\s*(\})/y;

function readParts(source, at, inPlural) {
  const parts = [];
  let text = '';
  for (; at < source.length && source[at] !== '}'; at += 1) {
    const char = source[at];
    if (char !== '{' && !(char === '#' && inPlural)) {
      text += char;
      continue;
    }
    if (text) parts.push(text);
    text = '';
    if (char === '#') parts.push({ pound: true });
    else [at] = readArgument(source, at + 1, parts);
  }
  if (text) parts.push(text);
  return [parts, at];
}

function read(pattern, source, at, what) {
  pattern.lastIndex = at;
  const found = pattern.exec(source);
  if (!found) throw new SyntaxError(`${what} expected at ${at}: ${source}`);
  return found;
}

/** Reads one {…} from `at` (just past its brace), pushes it, returns [index of its closing brace]. */
function readArgument(source, at, parts) {
  const name = read(NAME, source, at, 'a name');
  at = NAME.lastIndex;
  if (source[at] === '}') {
    parts.push({ name: name[1] });
    return [at];
  }
  const kind = source[at] === ',' ? read(NAME, source, at + 1, 'plural or select')[1] : null;
  if ((kind !== 'plural' && kind !== 'select') || source[NAME.lastIndex] !== ',') throw new SyntaxError(`{${name[1]}, plural|select, …} expected: ${source}`);
  const options = {};
  at = NAME.lastIndex + 1;
  for (;;) {
    const option = read(SELECTOR, source, at, 'an option');
    if (option[2]) break;
    const [message, end] = readParts(source, SELECTOR.lastIndex, kind === 'plural');
    if (source[end] !== '}') throw new SyntaxError(`unclosed option: ${source}`);
    options[option[1]] = message;
    at = end + 1;
  }
  if (!options.other) throw new SyntaxError(`{${name[1]}, ${kind}} needs an 'other' option: ${source}`);
  parts.push({ name: name[1], kind, options });
  return [SELECTOR.lastIndex - 1];
}

/** A message's parts; throws SyntaxError for anything outside the subset (the catalogue test names the key). */
export function compileMessage(source) {
  const [parts, end] = readParts(source, 0, false);
  if (end < source.length) throw new SyntaxError(`unmatched } at ${end}: ${source}`);
  return parts;
}

const formats = new Map();
function cached(kind, locale) {
  const key = `${kind} ${locale}`;
  if (!formats.has(key)) formats.set(key, kind === 'n' ? new Intl.NumberFormat(locale) : new Intl.PluralRules(locale));
  return formats.get(key);
}

function show(value, locale) {
  return typeof value === 'number' ? cached('n', locale).format(value) : value ?? '';
}

/**
 * Compiled `parts` with `params` put in, as a list: text, and any param that is an object (a DOM node)
 * as it is, so a message can place an element. Numbers, plurals and # through Intl for `locale`.
 */
export function formatParts(parts, params = {}, locale = 'en', pound = null, out = ['']) {
  const add = (value) => {
    if (value !== null && typeof value === 'object') out.push(value, '');
    else out[out.length - 1] += show(value, locale);
  };
  for (const part of parts) {
    if (typeof part === 'string') add(part);
    else if (part.pound) add(pound);
    else if (!part.kind) add(params[part.name]);
    else if (part.kind === 'select') {
      const value = String(params[part.name]);
      formatParts(Object.hasOwn(part.options, value) ? part.options[value] : part.options.other, params, locale, pound, out);
    } else {
      const n = Number(params[part.name]);
      formatParts(part.options[`=${n}`] ?? part.options[cached('p', locale).select(n)] ?? part.options.other, params, locale, n, out);
    }
  }
  return out;
}

/** The text of compiled `parts` with `params` put in. */
export function formatMessage(parts, params, locale) {
  return formatParts(parts, params, locale).join('');
}
