// Settings: the app's language, remembered on this device; "as on this phone" follows navigator.languages.
// Each language is named in itself (Intl.DisplayNames), so people find theirs whatever is on screen.

import { h } from './dom.js';
import { chooseLanguage, LANGUAGES, rememberedLanguage, setLanguage, t } from './i18n.js';

const PHONE = '';

function ownName(tag) {
  try {
    const name = new Intl.DisplayNames([tag], { type: 'language' }).of(tag);
    return name.charAt(0).toLocaleUpperCase(tag) + name.slice(1);
  } catch {
    return tag;
  }
}

export function renderLanguage() {
  const phone = chooseLanguage(null, globalThis.navigator?.languages ?? []);
  const select = h('select', { id: 'language', class: 'field', 'data-testid': 'language', 'aria-describedby': 'language-help' },
    h('option', { value: PHONE }, t('language.phone', { language: ownName(phone) })),
    LANGUAGES.map((tag) => h('option', { value: tag, lang: tag, dir: 'auto' }, ownName(tag))));
  select.value = rememberedLanguage() ?? PHONE;
  select.addEventListener('change', () => {
    select.disabled = true;
    // The screen is rendered again in the new language (app.js listens), this select with it.
    setLanguage(select.value || null).catch(() => { select.disabled = false; });
  });
  return h('section', { class: 'card', 'aria-labelledby': 'language-title' },
    h('h2', { id: 'language-title' }, h('label', { for: 'language' }, t('language.title'))),
    h('p', { id: 'language-help', class: 'help' }, t('language.help')),
    select);
}
