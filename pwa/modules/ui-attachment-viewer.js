// One attachment, inside the app: the image, PDF, text, audio or video the browser can show safely, with
// Download and Share where the message's rights allow saving, and view-only (no save, no share, no
// long-press menu) for Do-Not-Forward. The app bar's back button returns to the message.

import { busy, h, screenHeading, skeleton } from './dom.js';
import { formatSize, typeLabel } from './format.js';
import { t, tNodes } from './i18n.js';
import { describeRights } from './rights.js';
import { paths } from './router.js';
import { renderErrorScreen } from './ui-error-screen.js';

const MAX_TEXT_BYTES = 1024 * 1024;

/** What the screen shows for a content type: 'image', 'pdf', 'text', 'audio', 'video', or null (offer to save). */
export function viewerKind(contentType) {
  const type = String(contentType ?? '').split(';')[0].trim().toLowerCase();
  if (['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp'].includes(type)) return 'image';
  if (type === 'application/pdf') return 'pdf';
  if (type === 'text/plain' || type === 'text/csv' || type === 'text/calendar') return 'text';
  if (type.startsWith('audio/')) return 'audio';
  if (type.startsWith('video/')) return 'video';
  return null;
}

function renderContent(ctx, item, url, canSave) {
  const kind = viewerKind(item.contentType);
  const label = item.filename || t('attachments.unnamed');
  if (kind === 'image') {
    return h('div', { class: canSave ? 'viewer-media' : 'viewer-media no-select' },
      h('img', { src: url, alt: label, class: 'viewer-image', 'data-testid': 'attachment-image', draggable: canSave ? null : 'false' }));
  }
  if (kind === 'audio' || kind === 'video') {
    return h(kind, { src: url, controls: true, class: 'viewer-media-player', controlslist: canSave ? null : 'nodownload', 'data-testid': `attachment-${kind}` });
  }
  if (kind === 'pdf') {
    // The response carries its own `sandbox` CSP; the browser's own PDF viewer shows it where it can.
    return h('div', { class: 'viewer-pdf' },
      h('iframe', { src: url, title: label, class: 'viewer-frame', referrerpolicy: 'no-referrer', 'data-testid': 'attachment-pdf' }),
      h('p', { class: 'help' }, ...tNodes('viewer.pdf-help', {
        link: h('a', { href: url, target: '_blank', rel: 'noopener' }, t('viewer.pdf-open')),
      })));
  }
  if (kind === 'text' && item.size <= MAX_TEXT_BYTES) {
    const text = h('pre', { class: canSave ? 'viewer-text' : 'viewer-text no-select', 'data-testid': 'attachment-text', tabindex: '0' });
    fetch(url, { signal: ctx.signal, credentials: 'same-origin' })
      .then((answer) => (answer.ok ? answer.text() : Promise.reject(new Error(String(answer.status)))))
      .then((value) => { text.textContent = value; })
      .catch(() => { if (!ctx.signal.aborted) text.textContent = t('viewer.load-failed'); });
    return text;
  }
  return h('p', { class: 'empty', 'data-testid': 'attachment-not-shown' },
    t(canSave ? 'viewer.not-shown' : 'viewer.not-shown-no-save'));
}

async function share(ctx, item, url, button) {
  const done = busy(button, t('viewer.preparing'));
  try {
    const answer = await fetch(url, { signal: ctx.signal, credentials: 'same-origin' });
    if (!answer.ok) throw new Error(String(answer.status));
    const file = new File([await answer.blob()], item.filename || t('attachments.unnamed'), { type: item.contentType });
    if (navigator.canShare?.({ files: [file] })) await navigator.share({ files: [file], title: file.name });
    else ctx.toast(t('viewer.cannot-share'));
  } catch (error) {
    if (error?.name !== 'AbortError') ctx.toast(t('viewer.share-failed'));
  } finally {
    done();
  }
}

/** The file with this index: the message's own, or one of an attached message's (to any depth). */
function findAttachment(holder, index, depth = 0) {
  const own = (Array.isArray(holder?.attachments) ? holder.attachments : []).find((a) => Number(a.index) === index);
  if (own || depth > 8) return own ?? null;
  for (const nested of Array.isArray(holder?.nested) ? holder.nested : []) {
    const found = findAttachment(nested, index, depth + 1);
    if (found) return found;
  }
  return null;
}

function renderViewer(ctx, message, index) {
  const item = findAttachment(message, index);
  if (!item) return renderErrorScreen(ctx, { code: 'not-found' });
  const rights = describeRights(message.rights);
  const url = ctx.api.attachmentUrl(message.id, item.index);
  const canShare = rights.canSave && typeof navigator.share === 'function';
  const shareButton = canShare ? h('button', { type: 'button', class: 'button secondary', 'data-testid': 'attachment-share' }, t('viewer.share')) : null;
  shareButton?.addEventListener('click', () => share(ctx, item, url, shareButton));
  return h('section', { class: 'screen attachment-viewer', 'data-testid': 'attachment-viewer', 'data-index': item.index },
    screenHeading(item.filename || t('attachments.unnamed'), 1, { class: 'screen-title viewer-title', dir: 'auto' }),
    h('p', { class: 'help' }, t('viewer.meta', { type: typeLabel(item.contentType), size: formatSize(item.size, ctx.locale), subject: message.subject || t('message.no-subject') })),
    rights.canSave
      ? h('div', { class: 'viewer-actions' },
          h('a', { class: 'button primary', href: url, download: item.filename || true, 'data-testid': 'attachment-download' }, t('viewer.download')),
          shareButton)
      : h('p', { class: 'rights rights-restricted', 'data-testid': 'view-only-note' },
          message.template === 'do-not-forward'
            ? t('viewer.do-not-forward')
            : t('viewer.view-only')),
    renderContent(ctx, item, url, rights.canSave),
    h('a', { class: 'button link', href: paths.message(message.id) }, t('app.back-to-message')));
}

export function renderAttachmentViewer(ctx) {
  const { id, index } = ctx.route.params;
  const root = h('div', { class: 'screen', 'data-testid': 'attachment-loading', 'aria-busy': 'true' }, skeleton(3));
  const known = ctx.session.views?.get(id);
  (known ? Promise.resolve(known) : ctx.api.message(id, { signal: ctx.signal })).then((message) => {
    if (ctx.signal.aborted) return;
    const screen = renderViewer(ctx, message, Number(index));
    if (!describeRights(message.rights).canSave) document.body.classList.add('no-copy');
    root.replaceWith(screen);
    ctx.focusHeading(screen.parentElement ?? screen);
  }).catch((error) => {
    if (!ctx.signal.aborted && error?.code !== 'auth.required') root.replaceWith(renderErrorScreen(ctx, error));
  });
  return root;
}
