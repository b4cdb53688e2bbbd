// The composer: reply, reply to all or forward, sealed like the original. The server chooses the recipients
// (shown before sending); the person writes text, attaches files from the phone (with upload progress), and
// the text is kept as a draft on this device until it is sent. Nothing decrypted is ever stored.

import { clearDraft, loadDraft, saveDraft } from './drafts.js';
import { busy, h, icon, screenHeading, skeleton } from './dom.js';
import { formatSize } from './format.js';
import { locale, t, tNodes } from './i18n.js';
import { friendly } from './problems.js';
import { paths } from './router.js';
import { templateBadge } from './ui-badges.js';
import { renderErrorScreen } from './ui-error-screen.js';

const HEADINGS = { reply: 'composer.reply', 'reply-all': 'composer.reply-all', forward: 'composer.forward' };
const SAVE_AFTER_MS = 400;
const DEFAULT_LIMITS = { maxFiles: 10, maxBytes: 30 * 1024 * 1024 };

/** Words for a failed send; the draft is kept either way. */
function failureWords(error) {
  const words = friendly(error);
  if (words.code === 'input.too-large') {
    return { heading: t('composer.too-large'), text: words.note || t('composer.remove-a-file') };
  }
  if (words.code === 'input.invalid' || words.code === 'input.invalid-address') {
    return { heading: words.heading, text: words.note || words.text };
  }
  return { heading: words.heading, text: [words.text, words.note].filter(Boolean).join(' ') };
}

/** Keep the send bar above the on-screen keyboard where the browser only shrinks the visual viewport. */
function followKeyboard(element, signal) {
  const viewport = globalThis.visualViewport;
  if (!viewport) return;
  const update = () => {
    const covered = Math.max(0, globalThis.innerHeight - viewport.height - viewport.offsetTop);
    element.style.setProperty('--keyboard', `${Math.round(covered)}px`);
  };
  viewport.addEventListener('resize', update, { signal });
  viewport.addEventListener('scroll', update, { signal });
  update();
}

function renderSent(ctx, { id, mode }, sent) {
  const to = Array.isArray(sent?.to) ? sent.to : [];
  return h(
    'section',
    { class: 'screen sent', 'data-testid': 'sent', 'data-id': sent?.id ?? '' },
    h('div', { class: 'sent-mark', 'aria-hidden': 'true' }, icon('lock')),
    screenHeading(t('composer.sent')),
    h('p', { class: 'lead' }, ...tNodes(mode === 'forward' ? 'composer.forward-sent-to' : 'composer.reply-sent-to', {
      to: h('strong', { 'data-testid': 'sent-to' }, to.length ? new Intl.ListFormat(locale(), { type: 'unit', style: 'short' }).format(to) : t('composer.the-conversation')),
    })),
    h('p', { class: 'help' }, t('composer.sent-help')),
    h('div', { class: 'stack' },
      h('a', { class: 'button primary wide', href: paths.message(id), 'data-testid': 'back-to-message' }, t('app.back-to-message')),
      sent?.id ? h('a', { class: 'button secondary wide', href: paths.message(sent.id) }, t('composer.open-sent')) : null,
      h('a', { class: 'button secondary wide', href: paths.inbox() }, t('title.inbox'))),
  );
}

function renderForm(ctx, params, preview) {
  const { id, mode } = params;
  const limits = {
    maxFiles: Number.isInteger(preview?.maxFiles) ? preview.maxFiles : DEFAULT_LIMITS.maxFiles,
    maxBytes: Number.isInteger(preview?.maxBytes) ? preview.maxBytes : DEFAULT_LIMITS.maxBytes,
  };
  const recipients = (Array.isArray(preview?.to) ? preview.to : []).filter((v) => typeof v === 'string');
  let files = [];
  let saveTimer = 0;
  let sending = false;
  let finished = false;

  const body = h('textarea', {
    id: 'reply-body', class: 'field composer-text', rows: 6, 'data-testid': 'reply-body',
    autocapitalize: 'sentences', spellcheck: 'true', enterkeyhint: 'enter', 'aria-describedby': 'draft-status', dir: 'auto',
    placeholder: t(mode === 'forward' ? 'composer.note-placeholder' : 'composer.reply-placeholder'),
  });
  const to = mode === 'forward'
    ? h('input', { id: 'forward-to', class: 'field', type: 'email', inputmode: 'email', autocomplete: 'email',
        autocapitalize: 'off', spellcheck: 'false', enterkeyhint: 'next', required: true, 'data-testid': 'forward-to' })
    : null;
  const draftStatus = h('p', { id: 'draft-status', class: 'help draft-status', role: 'status', 'data-testid': 'draft-status' });
  const picker = h('input', { type: 'file', id: 'reply-files', multiple: true, hidden: true, 'aria-label': t('composer.files-to-attach') });
  const fileList = h('ul', { class: 'composer-files', 'data-testid': 'composer-files', 'aria-label': t('composer.attached-files') });
  const attach = h('button', { type: 'button', class: 'button secondary', 'data-testid': 'attach' }, icon('file'), t('composer.attach'));
  const alert = h('div', { class: 'alert', role: 'alert', 'data-testid': 'composer-error', hidden: true });
  const bar = h('progress', { max: '100', value: '0', 'aria-labelledby': 'upload-label' });
  const barLabel = h('span', { id: 'upload-label' }, t('composer.uploading'));
  const progress = h('div', { class: 'upload-progress', 'data-testid': 'upload-progress', hidden: true }, barLabel, bar);
  const send = h('button', { type: 'submit', class: 'button primary send', 'data-testid': 'send' },
    icon('lock'), t(mode === 'forward' ? 'composer.seal-forward' : 'composer.seal-send'));
  const actions = h('div', { class: 'composer-actions' },
    h('a', { class: 'button link', href: paths.message(id), 'data-testid': 'cancel' }, t('composer.cancel')), send);

  const restored = loadDraft(ctx.storage, id);
  if (restored) {
    body.value = restored.text;
    draftStatus.textContent = t('composer.draft-restored');
  }

  function keepDraft() {
    clearTimeout(saveTimer);
    if (finished) return;
    const kept = saveDraft(ctx.storage, id, body.value);
    draftStatus.textContent = kept ? t('composer.draft-saved') : '';
  }

  function showFiles() {
    const total = files.reduce((sum, file) => sum + file.size, 0);
    fileList.replaceChildren(...files.map((file, index) =>
      h('li', { class: 'composer-file', 'data-testid': 'composer-file' },
        h('span', { class: 'composer-file-name' }, file.name || t('attachments.unnamed')),
        h('span', { class: 'muted' }, formatSize(file.size, ctx.locale)),
        h('button', { type: 'button', class: 'icon-button remove', 'aria-label': t('composer.remove-file', { name: file.name || t('attachments.unnamed') }),
          onclick: () => { files = files.filter((_, i) => i !== index); showFiles(); } }, '×'))));
    fileList.hidden = files.length === 0;
    attach.disabled = files.length >= limits.maxFiles;
    return total;
  }

  function showError(words) {
    alert.replaceChildren(h('strong', {}, t('error.sentence', { heading: words.heading })), ' ', words.text);
    alert.hidden = false;
  }

  picker.addEventListener('change', () => {
    const chosen = [...(picker.files ?? [])];
    picker.value = '';
    alert.hidden = true;
    const next = [...files, ...chosen];
    if (next.length > limits.maxFiles) {
      showError({ heading: t('composer.too-many'), text: t('composer.max-files', { count: limits.maxFiles }) });
      return;
    }
    if (next.reduce((sum, file) => sum + file.size, 0) > limits.maxBytes) {
      showError({ heading: t('composer.too-large'), text: t('composer.max-size', { size: formatSize(limits.maxBytes, ctx.locale) }) });
      return;
    }
    files = next;
    showFiles();
  });
  attach.addEventListener('click', () => picker.click());
  body.addEventListener('input', () => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(keepDraft, SAVE_AFTER_MS);
  });
  body.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  // A phone may kill a backgrounded app: keep what was typed the moment the page is hidden.
  addEventListener('pagehide', keepDraft, { signal: ctx.signal });
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') keepDraft(); }, { signal: ctx.signal });
  ctx.signal.addEventListener('abort', keepDraft, { once: true });

  async function submit(event) {
    event.preventDefault();
    if (sending) return;
    alert.hidden = true;
    if (mode !== 'forward' && body.value.trim() === '' && files.length === 0) {
      showError({ heading: t('composer.nothing'), text: t('composer.nothing-help') });
      body.focus();
      return;
    }
    if (to && !to.checkValidity()) {
      showError({ heading: t('error.input.invalid-address.title'), text: t('error.input.invalid-address.text') });
      to.focus();
      return;
    }
    keepDraft();
    sending = true;
    const done = busy(send, t('composer.sealing'));
    const hasFiles = files.length > 0;
    progress.hidden = !hasFiles;
    bar.value = 0;
    barLabel.textContent = t('composer.uploading');
    const onProgress = (loaded, total) => {
      const percent = total > 0 ? Math.floor((loaded / total) * 100) : 0;
      bar.value = percent;
      barLabel.textContent = percent >= 100 ? t('composer.sealing') : t('composer.uploading-percent', { percent: new Intl.NumberFormat(locale(), { style: 'percent' }).format(percent / 100) });
    };
    try {
      const options = { signal: ctx.signal, onProgress };
      const sent = mode === 'forward'
        ? await ctx.api.forward(id, { to: to.value.trim(), body: body.value, files }, options)
        : await ctx.api.reply(id, { body: body.value, replyAll: mode === 'reply-all', files }, options);
      finished = true;
      clearDraft(ctx.storage, id);
      ctx.toast(t(mode === 'forward' ? 'composer.toast-forwarded' : 'composer.toast-sent'));
      root.replaceWith(renderSent(ctx, params, sent));
      ctx.focusHeading(document.getElementById('main'));
    } catch (error) {
      sending = false;
      if (ctx.signal.aborted || error?.code === 'auth.required') return;
      const words = failureWords(error);
      const offline = error?.code === 'network' || error?.code === 'timeout';
      // Offline reading, when on, marks the draft to be sent back online (after a confirmation) and says so.
      const waiting = { id, mode, note: '' };
      if (offline && mode !== 'forward' && !hasFiles) dispatchEvent(new CustomEvent('mailseal:reply-waiting', { detail: waiting }));
      showError({ heading: words.heading, text: offline
        ? waiting.note || `${words.text} ${t('composer.kept-offline')}`
        : words.text });
      alert.dataset.code = error?.code ?? 'server';
    } finally {
      done();
      progress.hidden = true;
    }
  }

  const form = h('form', { class: 'composer-form', novalidate: true, onsubmit: submit },
    h('div', { class: 'recipients card', 'data-testid': 'composer-recipients' },
      mode === 'forward'
        ? [h('label', { class: 'label', for: 'forward-to' }, t('message.to-label')), to,
           h('p', { class: 'help' }, t('composer.forward-help'))]
        : [h('p', { class: 'label' }, t('message.to-label')),
           h('ul', { class: 'recipient-list' }, recipients.map((address) => h('li', { 'data-testid': 'recipient' }, address))),
           h('p', { class: 'help' }, t('composer.recipients-help'))]),
    h('label', { class: 'label', for: 'reply-body' }, t(mode === 'forward' ? 'composer.note' : 'composer.message')),
    body,
    draftStatus,
    h('div', { class: 'composer-attach' }, attach, picker),
    fileList,
    progress,
    alert,
    actions);
  fileList.hidden = true;

  const root = h(
    'section',
    { class: 'screen composer', 'data-testid': 'composer', 'data-mode': mode },
    screenHeading(t(HEADINGS[mode] ?? HEADINGS.reply)),
    preview?.subject ? h('p', { class: 'composer-subject', 'data-testid': 'composer-subject', dir: 'auto' }, preview.subject) : null,
    h('p', { class: 'badges composer-protection' }, h('span', { class: 'help' }, t('composer.sealed-like')),
      templateBadge(preview?.template)),
    form,
  );
  followKeyboard(root, ctx.signal);
  return { root, focus: () => (to ?? body).focus({ preventScroll: true }) };
}

export function renderComposer(ctx) {
  const params = { id: ctx.route.params.id, mode: ctx.route.params.mode ?? 'reply' };
  const slot = h('div', { class: 'composer-slot' },
    h('div', { class: 'screen', 'data-testid': 'composer-loading', 'aria-busy': 'true' }, skeleton(4)));

  async function load() {
    try {
      const preview = await ctx.api.replyRecipients(params.id, params.mode, { signal: ctx.signal });
      const { root, focus } = renderForm(ctx, params, preview);
      slot.replaceChildren(root);
      ctx.focusHeading(slot);
      focus();
    } catch (error) {
      if (ctx.signal.aborted || error?.code === 'auth.required') return;
      slot.replaceChildren(renderErrorScreen(ctx, error, { retry: load }));
    }
  }
  load();
  return slot;
}
