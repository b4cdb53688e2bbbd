// The app's words in the person's language: one JSON catalogue per language in /locales/, only the
// chosen one loaded. A key it lacks shows in English (then loaded), never as the key. docs/i18n.md says more.
//
// To add a string: put it in pwa/locales/en.json, key `area.what` (lowercase, dots, dashes; your feature's
// prefix; keys sorted, one per line: `node scripts/sort-locales.mjs` sorts), then call t('area.what', params)
// at render time, never at module top level. Other languages: leave them, a test lists what they lack.
// Messages, ICU MessageFormat subset: "Sent to {name}"; numbers passed as numbers are formatted (pass ids
// as strings); "{count, plural, one {# file} other {# files}}" (CLDR categories per language, # the number,
// =0 {…} exact); "{kind, select, reply {…} other {…}}". No HTML; apostrophes are text; no literal { }.
// Dates, sizes, numbers: Intl with locale().

import { compileMessage, formatMessage } from './message-format.js';

/** The catalogues in /locales/, by BCP 47 tag. */
export const LANGUAGES = Object.freeze(['en', 'de', 'fr', 'es', 'pt-BR', 'it', 'nl', 'pl', 'tr', 'ar', 'ja', 'zh-Hans']);
export const REMEMBERED = 'mailseal.language';
const EN = 'en';
const RIGHT_TO_LEFT = /^(ar|he|fa|ur|ps|yi|dv|ckb)\b/i;

function canonical(tag) {
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch {
    return null; // not a language tag
  }
}
const base = (tag) => tag.split('-')[0].toLowerCase();

/** The catalogue for a language tag: exact, else by base language (pt-PT -> pt-BR, zh-TW -> zh-Hans), else null. */
export function matchLanguage(tag) {
  const wanted = typeof tag === 'string' && canonical(tag);
  if (!wanted) return null;
  return LANGUAGES.find((l) => l.toLowerCase() === wanted.toLowerCase()) ?? LANGUAGES.find((l) => base(l) === base(wanted)) ?? null;
}

/** The one chosen on this device, else the phone's first language we speak, else English. */
export function chooseLanguage(remembered, preferred) {
  return matchLanguage(remembered) ?? (preferred ?? []).map(matchLanguage).find(Boolean) ?? EN;
}

export const direction = (tag) => (RIGHT_TO_LEFT.test(tag) ? 'rtl' : 'ltr');

/** For Intl: the person's first tag in that language (de-AT, en-GB keep their date order), else the language. */
export function localeFor(tag, preferred) {
  for (const wanted of (preferred ?? []).map(canonical)) {
    if (wanted && base(wanted) === base(tag)) return tag.includes('-') && !wanted.includes('-') ? tag : wanted;
  }
  return tag;
}

function catalogue(messages) {
  const compiled = new Map();
  return (key) => {
    if (!Object.hasOwn(messages, key)) return null;
    if (!compiled.has(key)) compiled.set(key, compileMessage(messages[key]));
    return compiled.get(key);
  };
}

const state = { language: EN, locale: EN, words: catalogue({}), english: null, preferred: [], fetch: null };
const listeners = new Set();
const notify = () => listeners.forEach((listener) => listener(state.language));

async function load(tag) {
  const response = await state.fetch(`/locales/${tag}.json`);
  if (!response.ok) throw new Error(`/locales/${tag}.json: ${response.status}`);
  return catalogue(await response.json());
}

function remembered(value) {
  try {
    if (value === undefined) return localStorage.getItem(REMEMBERED);
    if (value) localStorage.setItem(REMEMBERED, value);
    else localStorage.removeItem(REMEMBERED);
  } catch {
    return null; // storage off: the choice lasts until the app closes
  }
  return value;
}

function apply(tag, words) {
  Object.assign(state, { language: tag, locale: localeFor(tag, state.preferred), words });
  if (tag === EN) state.english = words;
  const root = globalThis.document?.documentElement;
  if (root) Object.assign(root, { lang: tag, dir: direction(tag) });
}

/** Load the chosen catalogue (English if it cannot be had) before the first render: app.js awaits this. */
export async function startI18n({
  preferred = globalThis.navigator?.languages ?? [],
  chosen = remembered(),
  fetch = (...args) => globalThis.fetch(...args),
} = {}) {
  Object.assign(state, { preferred: [...preferred], fetch });
  let tag = chooseLanguage(chosen, state.preferred);
  let words;
  try {
    words = await load(tag);
  } catch (error) {
    if (tag === EN) throw error;
    tag = EN;
    words = await load(EN);
  }
  apply(tag, words);
  return tag;
}

/** Switch language and remember it on this device (null: follow the phone again); listeners render again. */
export async function setLanguage(tag) {
  const wanted = matchLanguage(tag);
  const next = wanted ?? chooseLanguage(null, state.preferred);
  apply(next, next === state.language ? state.words : await load(next));
  remembered(wanted ?? '');
  notify();
}

/** The language chosen in Settings, or null when the app follows the phone. */
export const rememberedLanguage = () => matchLanguage(remembered());

/** `listener(tag)` after the language changes or missing strings arrive in English; returns an unsubscribe. */
export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The chosen catalogue's tag ('de', 'pt-BR'): for lang attributes and Accept-Language. */
export const language = () => state.language;
/** The locale for Intl (dates, numbers, plurals), perhaps with the person's region ('de-AT'). */
export const locale = () => state.locale;

/**
 * `key`'s text in the chosen language with `params` put in; a key it lacks in English. English is loaded
 * then, and the screen renders again when it is here ('' meanwhile, never the key).
 * @param {string} key @param {Record<string, unknown>} [params]
 */
export function t(key, params) {
  const own = state.words(key);
  if (own) return formatMessage(own, params, state.locale);
  const english = state.english?.(key);
  if (english) return formatMessage(english, params, EN);
  if (!state.english && state.fetch) {
    state.english = () => null; // once
    load(EN).then((words) => { state.english = words; notify(); }, () => { state.english = null; });
  }
  return '';
}

/** The words of static markup: data-i18n="key" (text), data-i18n-attrs="aria-label:key title:key". */
export function translatePage(root = document) {
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll('[data-i18n-attrs]')) {
    for (const pair of element.dataset.i18nAttrs.split(' ')) {
      const [name, key] = pair.split(':');
      element.setAttribute(name, t(key));
    }
  }
}
