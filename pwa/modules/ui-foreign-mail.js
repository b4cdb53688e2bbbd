// A whole screen for mail another system protected: what it is, where it opens, and, for Microsoft 365,
// the link to its portal (only https links to Microsoft's own hosts; see foreign-mail.js).

import { h, icon, screenHeading } from './dom.js';
import { microsoftPortalUrl } from './foreign-mail.js';
import { t } from './i18n.js';
import { friendly } from './problems.js';
import { paths } from './router.js';

const STEPS = {
  'envelope.foreign-microsoft': ['foreign.microsoft-outlook', 'foreign.microsoft-portal'],
  'envelope.foreign-smime': ['foreign.smime'],
  'envelope.foreign-pgp': ['foreign.pgp'],
};

/** The portal link as a button, or null. */
export function portalLink(error) {
  const url = microsoftPortalUrl(error?.openUrl);
  if (!url) return null;
  return h('a', {
    class: 'button primary wide', href: url, target: '_blank', rel: 'noopener noreferrer',
    referrerpolicy: 'no-referrer', 'data-testid': 'open-at-microsoft',
  }, t('foreign.open-at-microsoft'));
}

/** @param {object} ctx @param {{code: string, title?: string, detail?: string, openUrl?: string}} error */
export function renderForeignMailScreen(ctx, error) {
  const words = friendly(error);
  const steps = STEPS[words.code] ?? [];
  const link = portalLink(error);
  return h(
    'section',
    { class: 'screen error-screen foreign-mail', 'data-testid': 'foreign-mail', 'data-code': words.code },
    h('div', { class: 'error-mark foreign-mark', 'aria-hidden': 'true' }, icon('lock')),
    screenHeading(words.heading),
    h('p', { class: 'lead' }, words.text),
    steps.length ? h('ol', { class: 'steps' }, steps.map((step) => h('li', {}, t(step)))) : null,
    link ? h('p', { class: 'help' }, t('foreign.portal-help')) : null,
    h('div', { class: 'stack' },
      link,
      h('a', { class: link ? 'button secondary wide' : 'button primary wide', href: paths.inbox(), 'data-testid': 'back-to-inbox' },
        t('app.back'))),
  );
}
