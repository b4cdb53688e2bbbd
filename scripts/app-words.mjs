// Reads the string literals of the app's JavaScript, for the catalogue tests and scripts/sort-locales.mjs:
// which keys the code uses (and where), and which literals look like words a person would see (which must
// come from the catalogue instead).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PWA = join(dirname(fileURLToPath(import.meta.url)), '..', 'pwa');

/** app.js, sw.js and every module: [name, source]. */
export function appSources() {
  const modules = readdirSync(join(PWA, 'modules')).filter((name) => name.endsWith('.js')).map((name) => `modules/${name}`);
  return ['app.js', 'sw.js', ...modules].map((name) => [name, readFileSync(join(PWA, name), 'utf8')]);
}

const REGEX_BEFORE = /[(,=:[!&|?{};+\-*%<>~^]$|\b(?:return|typeof|case|of|in)$/;

/**
 * The string literals of a script, comments and regular expressions skipped: {text, before, line}.
 * A template literal's text has `{}` where its expressions were; `before` is the code just before it.
 */
export function stringLiterals(source) {
  const found = [];
  let i = 0;
  let line = 1;
  const lastCode = () => source.slice(Math.max(0, i - 40), i).trimEnd();
  while (i < source.length) {
    const char = source[i];
    if (char === '\n') line += 1;
    if (char === '/' && source[i + 1] === '/') {
      i = source.indexOf('\n', i);
      if (i < 0) break;
      continue;
    }
    if (char === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      line += (source.slice(i, end).match(/\n/g) ?? []).length;
      i = end + 2;
      continue;
    }
    if (char === '/' && REGEX_BEFORE.test(lastCode())) {
      let inClass = false;
      for (i += 1; i < source.length && source[i] !== '\n'; i += 1) {
        if (source[i] === '\\') i += 1;
        else if (source[i] === '[') inClass = true;
        else if (source[i] === ']') inClass = false;
        else if (source[i] === '/' && !inClass) break;
      }
      i += 1;
      continue;
    }
    if (char === '\'' || char === '"' || char === '`') {
      const before = lastCode();
      const start = line;
      let text = '';
      let depth = 0;
      for (i += 1; i < source.length; i += 1) {
        const c = source[i];
        if (c === '\n') line += 1;
        if (c === '\\') {
          text += source[i + 1];
          i += 1;
        } else if (char === '`' && c === '$' && source[i + 1] === '{') {
          // Skip the expression (nested braces and simple strings inside).
          depth = 1;
          for (i += 2; i < source.length && depth > 0; i += 1) {
            if (source[i] === '{') depth += 1;
            else if (source[i] === '}') depth -= 1;
            else if (source[i] === '\'' || source[i] === '"') {
              const quote = source[i];
              let inner = '';
              for (i += 1; i < source.length && source[i] !== quote; i += 1) {
                if (source[i] === '\\') i += 1;
                inner += source[i];
              }
              found.push({ text: inner, before: '${', line });
            }
          }
          i -= 1;
          text += '{}';
        } else if (c === char) {
          break;
        } else {
          text += c;
        }
      }
      i += 1;
      found.push({ text, before, line: start });
      continue;
    }
    i += 1;
  }
  return found;
}

const WORDS = /\p{L}{2,}[ \u00a0]+\p{L}{2,}/u;
const LONE_WORD = /^\p{Lu}\p{Ll}{2,}[.!?…:]?$/u;
const SENTENCE_END = /\p{L}{2,}[.!?…:]$/u;
// Lowercase words with spaces are class lists ('button primary wide') unless English's small words say prose.
const CLASS_LIST = /^[a-z0-9 _-]+$/;
const SMALL_WORDS = /(?:^|\s)(?:the|a|an|to|of|and|or|in|on|for|with|from|by|your|you|this|that|is|are|was|not|no|it)(?:\s|$)/;
/** Code that takes a literal that is not for people: developer errors, DOM and CSS names, imports. */
const NOT_FOR_PEOPLE = /(?:Error\(|Exception\(|super\(|console\.\w+\(|import\(|querySelector(?:All)?\(|closest\(|matchMedia\(|createElementNS?\(|\bh\(|classList\.\w+\(|addEventListener\(|(?:get|set|remove|has)Attribute\(|event\.key ===|['"]?(?:class|className|rel|sandbox|data-testid|aria-describedby)['"]?\s*[:=])$/;
/** Literals that read like words but are not for people, with why. */
export const NOT_WORDS = new Map([
  ['Mailseal', "the app's name, the same in every language"],
  ['Notification', 'the name of a browser global'],
  ['Aborted', "a DOMException's message"],
  ['Safari', "a browser's name"],
  ['Chrome', "a browser's name"],
  ['Facebook', "an app's name"],
  ['Instagram', "an app's name"],
  ['Google', "an app's name"],
  ['Outlook', "an app's name"],
  ['Gmail', "an app's name"],
  ['a name', 'message-format.js: a syntax error for catalogue writers'],
  ['an option', 'message-format.js: a syntax error for catalogue writers'],
  ['plural or select', 'message-format.js: a syntax error for catalogue writers'],
]);

/** Literals that look like words for people: two words or more, or one capitalised word, or a sentence. */
export function visibleText(source) {
  return stringLiterals(source).filter(({ text, before }) => {
    if (NOT_FOR_PEOPLE.test(before) || NOT_WORDS.has(text)) return false;
    const words = text.replace(/\{\}/g, ' ').trim();
    if (/^[a-z0-9_.:/=@#{}-]*$/.test(text)) return false; // keys, ids, MIME types, selectors: one token
    if (CLASS_LIST.test(words) && !SMALL_WORDS.test(words)) return false;
    return WORDS.test(words) || LONE_WORD.test(words) || SENTENCE_END.test(words);
  });
}

/** Every catalogue key the code names: t('key'), tNodes('key'), and any literal that is a key. */
export function literalStrings() {
  const all = new Set();
  for (const [, source] of appSources()) for (const { text } of stringLiterals(source)) all.add(text);
  return all;
}

/** The files a module imports statically, as app-relative names ('modules/api.js'), itself included. */
export function staticGraph(name, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  const source = readFileSync(join(PWA, name), 'utf8');
  for (const [, target] of source.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]/gm)) {
    staticGraph(join(dirname(name), target).replace(/\\/g, '/').replace(/^\.\//, ''), seen);
  }
  return seen;
}

/**
 * The files that name each key: a literal equal to it, a template literal whose pattern it fits
 * (`error.${code}.title`), or index.html's data-i18n attributes. @returns {Map<string, Set<string>>}
 */
export function keyUses(keys) {
  const uses = new Map([...keys].map((key) => [key, new Set()]));
  const sources = [...appSources(), ['index.html', readFileSync(join(PWA, 'index.html'), 'utf8')]];
  for (const [name, source] of sources) {
    const texts = name === 'index.html'
      ? [...source.matchAll(/data-i18n(?:-attrs)?="([^"]+)"/g)].flatMap(([, value]) => value.split(' ').map((pair) => pair.split(':').at(-1)))
      : stringLiterals(source).map(({ text }) => text);
    for (const text of texts) {
      if (uses.has(text)) uses.get(text).add(name);
      else if (text.includes('{}') && /^[a-z][a-z0-9-]*\.[a-z0-9.{}-]+$/.test(text)) {
        const pattern = new RegExp(`^${text.replace(/\./g, '\\.').replace(/\{\}/g, '[a-z0-9.-]+')}$`);
        for (const key of uses.keys()) if (pattern.test(key)) uses.get(key).add(name);
      }
    }
  }
  return uses;
}

/** Files whose words must be there without the later catalogue: the first paint, and the service worker. */
export function firstWordsFiles() {
  return new Set(['index.html', ...staticGraph('app.js'), ...staticGraph('sw.js')]);
}

/** The keys only screens that load on first use show: they belong in locales/later/<tag>.json. */
export function laterKeys(keys) {
  const first = firstWordsFiles();
  return new Set([...keyUses(keys)].filter(([, files]) => files.size > 0 && ![...files].some((file) => first.has(file))).map(([key]) => key));
}
