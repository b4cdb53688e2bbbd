// The code step, kinder: when the mail was sent and from which address, where else to look (spam, junk),
// and a countdown before "send another" (in the first minute the first mail is usually still on its way,
// and a second one only adds a reference to compare).

import { formatTime } from './format.js';
import { t } from './i18n.js';

export const RESEND_AFTER_MS = 60_000;

/** Seconds until another code may be asked for (0: now). Pure. */
export function secondsLeft(sentAt, now = Date.now()) {
  const sent = Number.isFinite(sentAt) ? sentAt : now;
  return Math.max(0, Math.ceil((sent + RESEND_AFTER_MS - now) / 1000));
}

export function startCodeWait(ctx, pending, note, resend) {
  const sentAt = Number.isFinite(pending.sentAt) ? pending.sentAt : Date.now();
  const time = formatTime(sentAt, ctx.locale);
  note.textContent = pending.mailFrom ? t('code-wait.sent-from', { time, from: pending.mailFrom }) : t('code-wait.sent', { time });
  const label = [...resend.childNodes];
  const tick = () => {
    const left = secondsLeft(sentAt);
    if (left > 0 && !ctx.signal.aborted && resend.isConnected) {
      resend.disabled = true;
      resend.dataset.waiting = 'true';
      resend.textContent = t('code-wait.resend-in', { seconds: left });
      return;
    }
    clearInterval(timer);
    delete resend.dataset.waiting;
    resend.disabled = false;
    resend.replaceChildren(...label);
  };
  const timer = setInterval(tick, 1000);
  tick();
}
