// Sign in (and "add another address"): address -> reference shown big -> code (8 digits, or the 16 the
// server announced for an address under attack) -> done; or a passkey (ui-passkey-sign-in.js).

import { codeFromPaste, codePattern, isCompleteCode, sanitizeCode } from './code.js';
import { busy, h, screenHeading } from './dom.js';
import { describeExpiry, formatTime, templateLabel } from './format.js';
import { clearPending, loadPending, savePending } from './pending-sign-in.js';
import { t, tNodes } from './i18n.js';
import { friendly } from './problems.js';
import { parseRoute, paths } from './router.js';

const DEAD_CODE = new Set(['auth.code-expired', 'auth.too-many-tries', 'auth.long-code-needed']);

function showError(box, error) {
  const words = friendly(error);
  box.replaceChildren(h('strong', {}, t('error.sentence', { heading: words.heading })), ' ', words.text, words.note ? ` ${words.note}` : '');
  box.hidden = false;
  box.dataset.code = words.code;
}

function hideError(box) {
  box.hidden = true;
  box.replaceChildren();
  delete box.dataset.code;
}

/** @param {{mode: 'sign-in'|'add'}} options */
export function renderSignIn(ctx, { mode }) {
  const adding = mode === 'add';
  const root = h('section', { class: 'screen sign-in', 'data-testid': adding ? 'add-address' : 'sign-in' });

  async function requestCode(email, button) {
    const done = busy(button, t('sign-in.sending'));
    try {
      const answer = await ctx.api.requestCode(email, { signal: ctx.signal });
      return savePending(ctx.storage, { ...answer, email, mode });
    } finally {
      done();
    }
  }

  function addressStep(prefill = ctx.storage.getItem('mailseal.address-hint') ?? '') {
    const error = h('p', { id: 'email-error', class: 'field-error', role: 'alert', 'data-testid': 'email-error', hidden: true });
    const email = h('input', {
      id: 'email', name: 'email', type: 'email', inputmode: 'email', autocomplete: 'email', autocapitalize: 'none',
      spellcheck: 'false', required: true, 'aria-describedby': 'email-help email-error', value: prefill, class: 'field',
    });
    const send = h('button', { type: 'submit', class: 'button primary wide', 'data-testid': 'send-code' }, t('sign-in.send-code'));
    const form = h(
      'form', { id: 'address-form', class: 'stack', 'aria-labelledby': 'sign-in-title' },
      h('label', { for: 'email', class: 'label' }, t('sign-in.address')),
      email,
      h('p', { id: 'email-help', class: 'help' },
        t(adding ? 'sign-in.address-help-add' : 'sign-in.address-help')),
      error,
      send,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      hideError(error);
      try {
        codeStep(await requestCode(email.value.trim(), send));
      } catch (failure) {
        if (!ctx.signal.aborted) showError(error, failure);
      }
    });
    // Identity providers the organisation allows, in their own module, loaded after this paint.
    const providers = h('div', { class: 'stack', 'data-testid': 'sign-in-providers', hidden: true });
    import('./ui-sign-in-providers.js').then((m) => m.mountProviders(providers, {
      returnTo: adding ? paths.settings() : ctx.route.params.next ?? '/', signal: ctx.signal,
    })).catch(() => null); // offline: the passcode is always there
    const passkey = h('div', { class: 'stack' });
    root.replaceChildren(...[ // replaceChildren would write a null as the text "null"
      screenHeading(t(adding ? 'sign-in.add-title' : 'sign-in.title'), 1, { id: 'sign-in-title' }),
      adding ? null : h('p', { class: 'lead' }, t('app.description')),
      adding ? null : invitation(),
      form,
      passkey,
      providers,
    ].filter(Boolean));
    // Now: iOS wants the passkey call straight from the tap, its options fetched before.
    if (!adding) import('./ui-passkey-sign-in.js').then((m) => m.mountPasskeySignIn(ctx, passkey, email));
  }

  /** From a wrapper link: who sent what is waiting (the sender, template and expiry the mail shows). */
  function invitation() {
    const target = parseRoute(ctx.route.params.next ?? '/');
    if (target.name !== 'message') return null;
    const line = h('p', { class: 'card invitation', 'data-testid': 'invitation', hidden: true });
    ctx.api.invitation(target.params.id, { signal: ctx.signal }).then((found) => {
      if (typeof found?.sender !== 'string' || !found.sender) return;
      const label = templateLabel(found.template);
      const expiry = describeExpiry(found.expiresAt, new Date(), ctx.locale);
      line.replaceChildren(
        ...tNodes(label ? 'sign-in.invitation-template' : 'sign-in.invitation', { sender: h('strong', { class: 'address' }, found.sender), template: label }),
        ' ', expiry && !expiry.expired ? `${expiry.text}. ` : '', t('sign-in.invitation-how'));
      line.hidden = false;
    }).catch(() => null); // unknown, withdrawn or offline: the plain sign-in is enough
    return line;
  }

  function codeStep(pending) {
    const length = pending.codeLength;
    const error = h('div', { id: 'code-error', class: 'field-error', role: 'alert', 'data-testid': 'code-error', hidden: true });
    const code = h('input', {
      id: 'code', name: 'code', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: codePattern(length),
      required: true, enterkeyhint: 'go', class: 'field code-input', 'aria-describedby': 'code-help code-error',
      autocorrect: 'off', spellcheck: 'false', 'data-code-length': String(length),
    });
    const verify = h('button', { type: 'submit', class: 'button primary wide', 'data-testid': 'verify' }, t(adding ? 'sign-in.add' : 'sign-in.verify'));
    const resend = h('button', { type: 'button', class: 'button secondary wide', 'data-testid': 'resend' }, t('sign-in.resend'));
    const change = h('button', { type: 'button', class: 'button link', 'data-testid': 'change-address' }, t('sign-in.change-address'));
    const reference = h('p', { class: 'reference', 'data-testid': 'reference' }, pending.reference);
    const until = h('span', {}, formatTime(pending.expiresAt, ctx.locale));
    const form = h(
      'form', { id: 'code-form', class: 'stack', 'aria-labelledby': 'sign-in-title', novalidate: true },
      h('label', { for: 'code', class: 'label', 'data-testid': 'code-label' }, t('sign-in.code-label', { length })),
      code,
      h('p', { id: 'code-help', class: 'help' }, ...tNodes('sign-in.code-help', { until }),
        length > 8 ? ` ${t('sign-in.long-code-help')}` : ''),
      error,
      verify,
    );
    let sending = false;

    function setCode(value) {
      code.value = value;
      hideError(error);
      if (isCompleteCode(value, length) && !sending) form.requestSubmit();
    }
    code.addEventListener('input', () => setCode(sanitizeCode(code.value, length)));
    code.addEventListener('paste', (event) => {
      const text = event.clipboardData?.getData('text');
      if (typeof text !== 'string') return;
      event.preventDefault();
      setCode(codeFromPaste(text, length));
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (sending) return;
      if (!isCompleteCode(code.value, length)) {
        showError(error, { code: 'auth.invalid-code', title: '', detail: t('sign-in.enter-all-digits', { length }), translated: true });
        code.focus();
        return;
      }
      sending = true;
      const done = busy(verify, t('sign-in.checking'));
      try {
        const me = await ctx.api.verifyCode(pending.email, code.value, { signal: ctx.signal });
        clearPending(ctx.storage);
        ctx.session.setMe(me);
        if (!adding && !ctx.storage.getItem('mailseal.passkey-offer')) ctx.storage.setItem('mailseal.passkey-offer', 'due');
        if (adding) {
          ctx.toast(t('sign-in.added', { address: pending.email }));
          ctx.navigate(paths.settings(), { replace: true });
        } else {
          ctx.navigate(ctx.route.params.next ?? paths.inbox(), { replace: true });
        }
      } catch (failure) {
        if (ctx.signal.aborted) return;
        showError(error, failure);
        if (DEAD_CODE.has(failure?.code)) {
          code.disabled = true;
          verify.hidden = true;
          resend.className = 'button primary wide';
          resend.focus();
        } else {
          code.select();
          code.focus();
        }
      } finally {
        sending = false;
        done();
      }
    });
    resend.addEventListener('click', async () => {
      hideError(error);
      try {
        codeStep(await requestCode(pending.email, resend));
        ctx.toast(t('sign-in.new-code-sent'));
      } catch (failure) {
        if (!ctx.signal.aborted) showError(error, failure);
      }
    });
    change.addEventListener('click', () => {
      clearPending(ctx.storage);
      addressStep(pending.email);
      root.querySelector('#email')?.focus();
    });

    const sent = h('p', { class: 'help', 'data-testid': 'code-sent-note' });
    import('./ui-code-wait.js').then((m) => m.startCodeWait(ctx, pending, sent, resend));
    root.replaceChildren(
      screenHeading(t('sign-in.check-mail'), 1, { id: 'sign-in-title' }),
      h('p', {}, ...tNodes('sign-in.code-sent', { address: h('strong', { class: 'address', 'data-testid': 'code-sent-to' }, pending.email) })),
      sent,
      h('div', { class: 'reference-box' },
        h('p', { class: 'reference-label' }, t('sign-in.reference')),
        reference,
        h('p', { class: 'help' }, t('sign-in.reference-help'))),
      form,
      h('div', { class: 'stack' }, resend, change),
    );
    code.focus();
  }

  const pending = loadPending(ctx.storage);
  if (pending && pending.mode === mode) codeStep(pending);
  else addressStep();
  return root;
}
