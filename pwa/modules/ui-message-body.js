// The message body. HTML goes only into a sandboxed frame that runs no script and loads nothing remote,
// sized to its content by frame-fit.js; plain text goes in as text nodes and links built with the DOM,
// its quoted part folded. Mail content never becomes markup in the app's document.

import { h } from './dom.js';
import { fitFrame, keepFitted } from './frame-fit.js';
import { quotedElements, setQuoteShown } from './frame-quotes.js';
import { t } from './i18n.js';
import { linkSegments } from './linkify.js';
import { splitQuoted } from './quotes.js';

/** No `allow-scripts`, ever: `allow-same-origin` only lets the app read the frame's size (docs/pwa.md). */
export const FRAME_SANDBOX = 'allow-same-origin allow-popups allow-popups-to-escape-sandbox';

function linkedText(text) {
  return linkSegments(text).map((segment) => (segment.href
    ? h('a', { href: segment.href, target: segment.href.startsWith('https:') ? '_blank' : null, rel: 'noopener noreferrer' }, segment.text)
    : segment.text));
}

/** The text with its quoted runs behind "Show quoted text" (a native disclosure: no script needed to open it). */
export function renderText(text) {
  return splitQuoted(text).map((block) => (block.quoted
    ? h('details', { class: 'quoted', 'data-testid': 'quoted-text' },
        h('summary', {}, t('message.show-quoted')),
        h('div', { class: 'quoted-body', dir: 'auto' }, linkedText(block.text.replace(/^\n+|\n+$/gu, ''))))
    : linkedText(block.text.replace(/^\n+|\n+$/gu, ''))));
}

/**
 * The server serves the sanitized body at `bodyUrl` under its own strict CSP (and `sandbox`), so the
 * mail keeps its inline styles without loosening the app's CSP. The view itself never carries the HTML.
 * @param {{text: string|null, bodyUrl?: string|null}} message @param {{canCopy: boolean}} rights
 */
export function renderMessageBody(message, { canCopy }, signal) {
  if (typeof message.bodyUrl === 'string' && message.bodyUrl.startsWith('/api/messages/')) {
    const frame = h('iframe', {
      class: 'message-frame',
      sandbox: FRAME_SANDBOX,
      src: message.bodyUrl,
      title: t('message.text'),
      referrerpolicy: 'no-referrer',
      'data-testid': 'message-body',
    });
    const box = h('div', { class: 'message-frame-box', 'data-testid': 'message-frame-box' }, frame);
    const toggle = h('button', { type: 'button', class: 'quoted-toggle', 'aria-expanded': 'false', 'data-testid': 'frame-quoted-toggle', hidden: true },
      t('message.show-quoted'));
    let quoted = [];
    // Before the fit (registered first): fold the trailing quote, so the frame is measured without it.
    frame.addEventListener('load', () => {
      let doc = null;
      try { doc = frame.contentDocument; } catch { doc = null; }
      quoted = quotedElements(doc);
      setQuoteShown(quoted, false);
      toggle.hidden = quoted.length === 0;
    }, { signal });
    toggle.addEventListener('click', () => {
      const shown = toggle.getAttribute('aria-expanded') !== 'true';
      setQuoteShown(quoted, shown);
      toggle.setAttribute('aria-expanded', String(shown));
      toggle.textContent = t(shown ? 'message.hide-quoted' : 'message.show-quoted');
      fitFrame(frame, box);
    });
    keepFitted(frame, box, signal);
    return h('div', { class: 'message-html' }, box, toggle);
  }
  if (typeof message.text === 'string') {
    return h('div', {
      class: canCopy ? 'message-text' : 'message-text no-select', 'data-testid': 'message-body', tabindex: '0', role: 'region',
      'aria-label': t('message.text'), dir: 'auto', // the mail's own direction, whatever the app's
    }, renderText(message.text.replace(/\s+$/u, '')));
  }
  return h('p', { class: 'help', 'data-testid': 'message-body' }, t('message.no-text'));
}
