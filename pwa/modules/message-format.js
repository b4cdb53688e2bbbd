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
  if (typeof value === 'number') return cached('n', locale).format(value);
  return value == null ? '' : String(value);
}

/** The text of compiled `parts` with `params` put in; numbers, plurals and # through Intl for `locale`. */
export function formatMessage(parts, params = {}, locale = 'en', pound = null) {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') out += part;
    else if (part.pound) out += show(pound, locale);
    else if (!part.kind) out += show(params[part.name], locale);
    else if (part.kind === 'select') {
      const value = String(params[part.name]);
      out += formatMessage(Object.hasOwn(part.options, value) ? part.options[value] : part.options.other, params, locale, pound);
    } else {
      const n = Number(params[part.name]);
      const option = part.options[`=${n}`] ?? part.options[cached('p', locale).select(n)] ?? part.options.other;
      out += formatMessage(option, params, locale, n);
    }
  }
  return out;
}
