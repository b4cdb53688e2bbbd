// The Mailseal HTTP API: one method per endpoint, CSRF header on every change, problem details -> ApiError.
// Pure at import time; `fetch`, `XMLHttpRequest` and the cookie string are injected so Node tests can drive it.
// Uploads that report progress (replies with files) use XMLHttpRequest: fetch has no upload progress.

import { ApiError, CLIENT_CODES, problemToError } from './problems.js';

export const CSRF_COOKIE = 'csrftoken';
export const CSRF_HEADER = 'x-csrftoken';
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** The value of one cookie in a `document.cookie` string, or null. */
export function readCookie(cookies, name) {
  for (const part of String(cookies ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

async function readBody(response) {
  if (response.status === 204) return null;
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/**
 * @param {{
 *   fetch?: typeof fetch,
 *   cookies?: () => string,
 *   timeoutMs?: number,
 *   onConnectivity?: (online: boolean) => void,
 *   onAuthRequired?: () => void,
 *   createXhr?: () => XMLHttpRequest,
 *   language?: () => string|null,
 * }} options `language`: the app's language (a BCP 47 tag), sent as Accept-Language so the server
 *   answers in it (the passcode mail above all); null sends the browser's own header.
 */
export function createApi({
  fetch: fetchImpl = (...args) => globalThis.fetch(...args),
  cookies = () => globalThis.document?.cookie ?? '',
  timeoutMs = 30000,
  onConnectivity = () => {},
  onAuthRequired = () => {},
  createXhr = () => new globalThis.XMLHttpRequest(),
  language = () => null,
} = {}) {
  async function send(method, path, { json, form, signal, quiet = false } = {}) {
    const headers = { accept: 'application/json, application/problem+json' };
    const tag = language();
    if (tag) headers['accept-language'] = tag;
    if (!SAFE_METHODS.has(method)) {
      // The server sets the CSRF cookie on any GET; a shell served from the cache may not have made one yet.
      if (readCookie(cookies(), CSRF_COOKIE) === null) await send('GET', '/api/me', { signal, quiet: true }).catch(() => null);
      headers[CSRF_HEADER] = readCookie(cookies(), CSRF_COOKIE) ?? '';
    }
    let body;
    if (json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(json);
    } else if (form !== undefined) {
      body = form;
    }
    const timer = new AbortController();
    const timeout = setTimeout(() => timer.abort(), timeoutMs);
    const onAbort = () => timer.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let response;
    try {
      response = await fetchImpl(path, { method, headers, body, credentials: 'same-origin', signal: timer.signal });
    } catch (error) {
      if (signal?.aborted) throw error;
      const code = timer.signal.aborted ? CLIENT_CODES.timeout : CLIENT_CODES.network;
      if (code === CLIENT_CODES.network) onConnectivity(false);
      throw new ApiError({ code });
    } finally {
      clearTimeout(timeout);
      signal?.removeEventListener('abort', onAbort);
    }
    onConnectivity(!response.headers.get('x-mailseal-offline')); // kept offline: still offline
    const data = await readBody(response);
    if (response.ok) return data;
    const error = problemToError(response.status, data, response.headers.get('retry-after'));
    if (error.code === 'auth.required' && !quiet) onAuthRequired();
    throw error;
  }

  async function csrfHeader(signal) {
    if (readCookie(cookies(), CSRF_COOKIE) === null) await send('GET', '/api/me', { signal, quiet: true }).catch(() => null);
    return readCookie(cookies(), CSRF_COOKIE) ?? '';
  }

  /**
   * POST a form with XMLHttpRequest, reporting upload progress as `onProgress(sentBytes, totalBytes)`.
   * No overall timeout (a large file on a slow line takes long); `signal` aborts it.
   */
  async function upload(path, form, { signal, onProgress = () => {} } = {}) {
    const token = await csrfHeader(signal);
    if (signal?.aborted) throw new DOMException('Aborted', 'AbortError');
    const xhr = createXhr();
    const done = new Promise((resolve, reject) => {
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(event.loaded, event.total);
      };
      xhr.onload = () => resolve();
      xhr.onerror = () => reject(new ApiError({ code: CLIENT_CODES.network }));
      xhr.ontimeout = () => reject(new ApiError({ code: CLIENT_CODES.timeout }));
      xhr.onabort = () => reject(new DOMException('Aborted', 'AbortError'));
    });
    const onAbort = () => xhr.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    xhr.open('POST', path);
    xhr.setRequestHeader('accept', 'application/json, application/problem+json');
    const tag = language();
    if (tag) xhr.setRequestHeader('accept-language', tag);
    xhr.setRequestHeader(CSRF_HEADER, token);
    xhr.send(form);
    try {
      await done;
    } catch (error) {
      if (error?.code === CLIENT_CODES.network) onConnectivity(false);
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    onConnectivity(true);
    let data = null;
    if ((xhr.getResponseHeader('content-type') ?? '').includes('json')) {
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
    }
    if (xhr.status >= 200 && xhr.status < 300) return data;
    const error = problemToError(xhr.status, data, xhr.getResponseHeader('retry-after'));
    if (error.code === 'auth.required') onAuthRequired();
    throw error;
  }

  function answerForm(fields, files) {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    for (const file of files ?? []) form.append('files', file, file.name || 'attachment');
    return form;
  }

  const id = (value) => encodeURIComponent(value);
  const previewQuery = { reply: '', 'reply-all': '?all=1', forward: '?forward=1' };
  return {
    requestCode: (email, o) => send('POST', '/api/auth/code', { ...o, json: { email } }),
    verifyCode: (email, code, o) => send('POST', '/api/auth/verify', { ...o, json: { email, code } }),
    me: (o) => send('GET', '/api/me', o),
    /** Who sent the message behind a link, before sign-in (what the wrapper mail shows). */
    invitation: (messageId, o) => send('GET', `/api/invitations/${id(messageId)}`, { quiet: true, ...o }),
    logout: (o) => send('POST', '/api/auth/logout', o),
    devices: (o) => send('GET', '/api/devices', o),
    removeDevice: (deviceId, o) => send('DELETE', `/api/devices/${id(deviceId)}`, o),
    removeAddress: (address, o) => send('DELETE', `/api/me/addresses/${id(address)}`, o),
    messages: (o) => send('GET', '/api/messages', o),
    /** The page of the inbox after `cursor` (the `nextCursor` of the page before). */
    messagesPage: (cursor, o) => send('GET', `/api/messages?cursor=${encodeURIComponent(cursor)}`, o),
    message: (messageId, o) => send('GET', `/api/messages/${id(messageId)}`, o),
    upload: (file, o) => {
      const form = new FormData();
      form.append('file', file, file.name || 'message.html');
      return send('POST', '/api/messages', { ...o, form });
    },
    thread: (messageId, o) => send('GET', `/api/messages/${id(messageId)}/thread`, o),
    replyRecipients: (messageId, mode, o) =>
      send('GET', `/api/messages/${id(messageId)}/reply-recipients${previewQuery[mode] ?? ''}`, o),
    /** Seal and send a reply; the server chooses the recipients. `replyAll` answers every other party. */
    reply: (messageId, { body, replyAll = false, files = [] }, o) =>
      upload(`/api/messages/${id(messageId)}/reply`, answerForm({ body, replyAll: replyAll ? '1' : '' }, files), o),
    forward: (messageId, { to, body, files = [] }, o) =>
      upload(`/api/messages/${id(messageId)}/forward`, answerForm({ to, body }, files), o),
    /** Offline reading: policy, and may each kept message stay. */
    confirmOffline: (ids, o) => send('POST', '/api/offline/confirm', { ...o, json: { ids } }),
    attachmentUrl: (messageId, index) => `/api/messages/${id(messageId)}/attachments/${Number(index)}`,
    pushKey: (o) => send('GET', '/api/push/key', o),
    addPushSubscription: (subscription, o) =>
      send('POST', '/api/push/subscriptions', { ...o, json: { ...subscription, showSender: false } }),
    removePushSubscription: (endpoint, o) => send('DELETE', '/api/push/subscriptions', { ...o, json: { endpoint } }),
    call: send,
  };
}
