// A whole screen that says what went wrong in plain words and offers the one useful next step.

import { h, screenHeading } from './dom.js';
import { isForeignCode } from './foreign-mail.js';
import { laterWords, t } from './i18n.js';
import { friendly } from './problems.js';
import { paths } from './router.js';

const ACTIONS = {
  'add-address': () => h('a', { class: 'button primary wide', href: paths.addAddress() }, t('error.action.add-address')),
  'sign-in': (ctx) =>
    h('a', { class: 'button primary wide', href: paths.signIn(ctx.route?.name === 'share-failed' ? '/' : ctx.route?.path) }, t('error.action.sign-in')),
  'pick-file': () => h('a', { class: 'button primary wide', href: paths.inbox() }, t('error.action.pick-file')),
};

/**
 * @param {object} ctx the screen context
 * @param {{code?: string, title?: string, detail?: string}} error
 * @param {{retry?: () => void, extra?: string}} options `extra`: one more sentence for this situation
 */
export function renderErrorScreen(ctx, error, { retry, extra } = {}) {
  if (isForeignCode(error?.code)) {  // rare: its screen loads on first use, to keep the first paint small
    const holder = h('section', { class: 'screen', 'aria-busy': 'true', 'data-testid': 'foreign-mail-loading' });
    Promise.all([import('./ui-foreign-mail.js'), laterWords()]).then(([{ renderForeignMailScreen }]) => {
      holder.replaceWith(renderForeignMailScreen(ctx, error));
    });
    return holder;
  }
  const words = friendly(error);
  const buttons = [];
  if (words.action === 'retry' && retry) {
    buttons.push(h('button', { type: 'button', class: 'button primary wide', 'data-testid': 'retry', onclick: retry }, t('error.action.retry')));
  } else if (ACTIONS[words.action]) {
    buttons.push(ACTIONS[words.action](ctx));
  }
  if (ctx.route?.name !== 'inbox') {
    buttons.push(h('a', { class: 'button secondary wide', href: paths.inbox(), 'data-testid': 'back-to-inbox' }, t('app.back')));
  }
  return h(
    'section',
    { class: 'screen error-screen', 'data-testid': 'error-screen', 'data-code': words.code },
    h('div', { class: 'error-mark', 'aria-hidden': 'true' }, '!'),
    screenHeading(words.heading),
    h('p', { class: 'lead' }, words.text),
    words.note ? h('p', { class: 'help' }, words.note) : null,
    extra ? h('p', { class: 'help' }, extra) : null,
    h('div', { class: 'stack' }, buttons),
  );
}
