// Build elements from plain values: attributes by setAttribute, text by text nodes. Never HTML strings,
// so nothing a message or the server says can become markup in the app's own document.

/**
 * h('a', {href: '/', class: 'x', onclick: fn, 'data-testid': 't'}, 'text', child)
 * Keys: `class`, `text`, `on<event>` (listener); null/undefined/false skip; true sets an empty attribute.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key === 'text') element.textContent = value;
    else if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  element.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

/** A heading the router focuses after navigation, so screen readers announce the new screen. */
export function screenHeading(text, level = 1, props = {}) {
  return h(`h${level}`, { tabindex: '-1', class: 'screen-title', ...props }, text);
}

/** Text for screen readers only. */
export function srOnly(text) {
  return h('span', { class: 'visually-hidden' }, text);
}

/** Grey placeholder blocks in the shape of what is loading (no spinner, no layout jump). */
export function skeleton(lines = 3, props = {}) {
  return h(
    'div',
    { class: 'skeleton', 'aria-hidden': 'true', ...props },
    Array.from({ length: lines }, (_, i) => h('span', { class: `skeleton-line skeleton-line-${i % 3}` })),
  );
}

/** Set a button busy (disabled, with another label if given) while a request runs; returns the undo. */
export function busy(button, label) {
  const before = [...button.childNodes];
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  if (label) button.textContent = label;
  return () => {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    if (label) button.replaceChildren(...before);
  };
}

const ICONS = {
  back: 'M15 5l-7 7 7 7',
  refresh: 'M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7',
  settings: 'M12 15.5a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM19.4 13.5l1.6 1.2-2 3.4-1.9-.7a7 7 0 0 1-1.9 1.1l-.3 2h-3.8l-.3-2a7 7 0 0 1-1.9-1.1l-1.9.7-2-3.4 1.6-1.2a7 7 0 0 1 0-2.1L3 10.2l2-3.4 1.9.7a7 7 0 0 1 1.9-1.1l.3-2h3.8l.3 2a7 7 0 0 1 1.9 1.1l1.9-.7 2 3.4-1.6 1.2a7 7 0 0 1 0 2.1z',
  file: 'M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8zM14 3v5h5',
  lock: 'M7 11V8a5 5 0 0 1 10 0v3M6 11h12v9H6z',
};

/** A line icon (decorative: the button or link around it carries the accessible name). */
export function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', ICONS[name]);
  svg.append(path);
  return svg;
}
