// The app's words in the person's language: per language, the first paint's words (/locales/de.json)
// and those only screens loaded on first use show (/locales/later/de.json, fetched with such a screen).
// A key the language lacks shows in English (then loaded), never as the key. docs/i18n.md says more.
//
// To add a string: put it in pwa/locales/en.json, key `area.what` (lowercase, dots, dashes; your feature's
// prefix), then run `node scripts/sort-locales.mjs` (sorts, and moves keys only later screens use to
// later/en.json). Call t('area.what', params) at render time, never at module top level; tNodes() when a
// param is a DOM node. Other languages: leave them, `node --test pwa/tests/` lists what each one lacks.
// Messages, ICU MessageFormat subset: "Sent to {name}"; numbers passed as numbers are formatted (pass ids
// as strings); "{count, plural, one {# file} other {# files}}" (CLDR categories per language, # the number,
// =0 {…} exact); "{kind, select, reply {…} other {…}}". No HTML; apostrophes are text; no literal { }.
// Dates, sizes, numbers: Intl with locale().

import { compileMessage, formatParts } from './message-format.js';

/** The catalogues in /locales/, by BCP 47 tag. */
export const LANGUAGES = Object.freeze(['en', 'de', 'fr', 'es', 'pt-BR', 'it', 'nl', 'pl', 'tr', 'ar', 'ja', 'zh-Hans']);
export const REMEMBERED = 'mailseal.language';
/** Where the app notes its language for the service worker's notifications (no localStorage there). */
export const LANGUAGE_CACHE = 'mailseal-settings';
export const LANGUAGE_ENTRY = '/language';
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

/** A language's words: its catalogues merged (the first paint's, then the later one), compiled on first use. */
function catalogue() {
  const sources = [];
  const compiled = new Map();
  const lookup = (key) => {
    if (!compiled.has(key)) {
      const found = sources.find((messages) => Object.hasOwn(messages, key));
      if (!found) return null;
      compiled.set(key, compileMessage(found[key]));
    }
    return compiled.get(key);
  };
  lookup.add = (messages) => sources.push(messages);
  return lookup;
}

const state = { language: EN, locale: EN, words: catalogue(), later: null, english: null, preferred: [], fetch: null };
const listeners = new Set();
const notify = () => listeners.forEach((listener) => listener(state.language));

/** One catalogue file: the first paint's words (`/locales/de.json`) or those of later screens (`/locales/later/de.json`). */
async function load(tag, part = '') {
  const path = `/locales/${part}${tag}.json`;
  const response = await state.fetch(path);
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
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

function apply(tag, messages) {
  const words = catalogue();
  words.add(messages);
  Object.assign(state, { language: tag, locale: localeFor(tag, state.preferred), words, later: null });
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
  Object.assign(state, { preferred: [...preferred], fetch, english: null });
  let tag = chooseLanguage(chosen, state.preferred);
  let messages;
  try {
    messages = await load(tag);
  } catch (error) {
    if (tag === EN) throw error;
    tag = EN;
    messages = await load(EN);
  }
  apply(tag, messages);
  return tag;
}

/**
 * The words of the screens that load on first use (the later catalogue): app.js waits for them with
 * such a screen's module. Resolves when they are there, or could not be had (t() falls back then).
 */
export function laterWords() {
  if (!state.later && state.fetch) {
    const { words, language: tag } = state;
    state.later = load(tag, 'later/').then((messages) => words.add(messages), () => null);
  }
  return state.later ?? Promise.resolve();
}

/** Switch language and remember it on this device (null: follow the phone again); listeners render again. */
export async function setLanguage(tag) {
  const wanted = matchLanguage(tag);
  const next = wanted ?? chooseLanguage(null, state.preferred);
  const hadLater = Boolean(state.later);
  if (next !== state.language) apply(next, await load(next));
  if (hadLater) await laterWords();
  remembered(wanted ?? '');
  notify();
}

/** The language chosen in Settings, or null when the app follows the phone. */
export const rememberedLanguage = () => matchLanguage(remembered());

/** `listener(tag)` after the language changes or missing words arrive; returns an unsubscribe. */
export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The chosen catalogue's tag ('de', 'pt-BR'): for lang attributes and Accept-Language. */
export const language = () => state.language;
/** The locale for Intl (dates, numbers, plurals), perhaps with the person's region ('de-AT'). */
export const locale = () => state.locale;

/** A key not found: fetch what may hold it (this language's later words, then English's), then render again. */
function lookFurther() {
  if (!state.fetch) return;
  if (!state.later) {
    laterWords().then(notify);
  } else if (!state.english) {
    const english = catalogue();
    state.english = () => null; // once
    Promise.all([load(EN), load(EN, 'later/').catch(() => ({}))]).then(([first, later]) => {
      english.add(first);
      english.add(later);
      state.english = english;
      notify();
    }, () => { state.english = null; });
  }
}

/**
 * `key`'s text in the chosen language with `params` put in; a key it lacks in English. What is not loaded
 * yet is loaded then, and the screen renders again when it is here ('' meanwhile, never the key).
 * @param {string} key @param {Record<string, unknown>} [params]
 */
export function t(key, params) {
  return tNodes(key, params).join('');
}

/**
 * As t(), as a list for h(): a param that is a DOM node stays a node, so the translation places it
 * ('We sent a code to {address}.' with `{ address: h('strong', {}, email) }`).
 */
export function tNodes(key, params) {
  const own = state.words(key);
  if (own) return formatParts(own, params, state.locale);
  const english = state.english?.(key);
  if (english) return formatParts(english, params, EN);
  lookFurther();
  return [''];
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
