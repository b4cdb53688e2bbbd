import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createApi } from '../modules/api.js';
import { groupByThread } from '../modules/conversation.js';
import { clearDraft, draftKey, loadDraft, saveDraft } from '../modules/drafts.js';
import { friendly } from '../modules/problems.js';
import { APP_PATHS, isAppPath, parseRoute, paths } from '../modules/router.js';

const ID = '01HZX3K4M5N6P7Q8R9S0T1V2W3';

function memoryStorage() {
  const items = new Map();
  return {
    items,
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
  };
}

test('composer routes: reply, reply to all, forward; anything else is not found', () => {
  assert.deepEqual(parseRoute(`/m/${ID}/reply`), { name: 'compose', params: { id: ID, mode: 'reply' }, path: `/m/${ID}/reply` });
  assert.equal(parseRoute(`/m/${ID}/reply?all=1`).params.mode, 'reply-all');
  assert.equal(parseRoute(`/m/${ID}/reply?all=0`).params.mode, 'reply');
  assert.equal(parseRoute(`/m/${ID}/forward`).params.mode, 'forward');
  for (const bad of [`/m/${ID}/reply/x`, `/m/${ID.slice(1)}/reply`, `/m/${ID}/replyall`, `/m/../reply`]) {
    assert.equal(parseRoute(bad).name, 'not-found', bad);
  }
  for (const mode of ['reply', 'reply-all', 'forward']) {
    assert.deepEqual(parseRoute(paths.compose(ID, mode)).params, { id: ID, mode });
  }
  assert.ok(isAppPath(`/m/${ID}/reply`) && isAppPath(`/m/${ID}/forward`));
  assert.ok(APP_PATHS.includes('/m/{id}/reply') && APP_PATHS.includes('/m/{id}/forward'));
});

test('drafts keep only the typed text, by message id, and go when cleared or emptied', () => {
  const storage = memoryStorage();
  assert.equal(loadDraft(storage, ID), null);
  assert.ok(saveDraft(storage, ID, 'Thanks, see you Monday', 1000));
  assert.deepEqual(loadDraft(storage, ID), { text: 'Thanks, see you Monday', savedAt: 1000 });
  assert.deepEqual([...storage.items.keys()], [draftKey(ID)]);
  assert.deepEqual(Object.keys(JSON.parse(storage.items.get(draftKey(ID)))).sort(), ['savedAt', 'text', 'v']);
  assert.equal(saveDraft(storage, ID, '   '), false);
  assert.equal(loadDraft(storage, ID), null);
  saveDraft(storage, ID, 'again');
  clearDraft(storage, ID);
  assert.equal(storage.items.size, 0);
  storage.setItem(draftKey(ID), '{not json');
  assert.equal(loadDraft(storage, ID), null);
  storage.setItem(draftKey(ID), JSON.stringify({ v: 99, text: 'future' }));
  assert.equal(loadDraft(storage, ID), null);
});

test('the inbox shows one row per thread: its newest unread message, else its newest', () => {
  const rows = groupByThread([
    { id: 'c', threadId: 't1', unread: false },
    { id: 'x', threadId: 't2', unread: false },
    { id: 'b', threadId: 't1', unread: true },
    { id: 'a', threadId: 't1', unread: true },
    { id: 'y' },
  ]);
  assert.deepEqual(rows.map((r) => [r.id, r.threadCount]), [['b', 3], ['x', 1], ['y', 1]]);
  assert.deepEqual(groupByThread(null), []);
  assert.deepEqual(groupByThread([null, 7]), []);
});

class FakeXhr {
  static last = null;
  constructor() {
    this.upload = {};
    this.headers = {};
    FakeXhr.last = this;
  }
  open(method, url) { Object.assign(this, { method, url }); }
  setRequestHeader(name, value) { this.headers[name] = value; }
  getResponseHeader(name) { return name === 'content-type' ? this.contentType : null; }
  abort() { this.onabort?.(); }
  send(body) {
    this.body = body;
    queueMicrotask(() => FakeXhr.script(this));
  }
}

test('a reply is a multipart POST with the CSRF header, and reports upload progress', async () => {
  const seen = [];
  FakeXhr.script = (xhr) => {
    xhr.upload.onprogress({ lengthComputable: true, loaded: 50, total: 200 });
    xhr.upload.onprogress({ lengthComputable: true, loaded: 200, total: 200 });
    Object.assign(xhr, { status: 201, contentType: 'application/json', responseText: '{"id":"r1","to":["alice@example.org"]}' });
    xhr.onload();
  };
  const api = createApi({ cookies: () => 'csrftoken=tok', createXhr: () => new FakeXhr(), fetch: async () => { throw new Error('no fetch'); } });
  const file = new File(['x,y'], 'numbers.csv', { type: 'text/csv' });
  const sent = await api.reply(ID, { body: 'Thanks', replyAll: true, files: [file] }, { onProgress: (a, b) => seen.push([a, b]) });
  assert.deepEqual(sent, { id: 'r1', to: ['alice@example.org'] });
  const xhr = FakeXhr.last;
  assert.equal(xhr.method, 'POST');
  assert.equal(xhr.url, `/api/messages/${ID}/reply`);
  assert.equal(xhr.headers['x-csrftoken'], 'tok');
  assert.equal(xhr.body.get('body'), 'Thanks');
  assert.equal(xhr.body.get('replyAll'), '1');
  assert.equal(xhr.body.getAll('files')[0].name, 'numbers.csv');
  assert.equal(xhr.body.has('to'), false, 'a reply names no recipients: the server chooses');
  assert.deepEqual(seen, [[50, 200], [200, 200]]);
});

test('upload failures: problem details, a dropped network, and a cancelled send', async () => {
  let online = null;
  FakeXhr.script = (xhr) => {
    Object.assign(xhr, { status: 403, contentType: 'application/problem+json',
      responseText: JSON.stringify({ code: 'policy.right-not-granted', title: 'Not allowed' }) });
    xhr.onload();
  };
  const api = createApi({ cookies: () => 'csrftoken=t', createXhr: () => new FakeXhr(), onConnectivity: (v) => { online = v; } });
  await assert.rejects(api.forward(ID, { to: 'dave@example.com', body: '' }), { code: 'policy.right-not-granted' });
  assert.equal(FakeXhr.last.body.get('to'), 'dave@example.com');
  FakeXhr.script = (xhr) => xhr.onerror();
  await assert.rejects(api.reply(ID, { body: 'x' }), { code: 'network' });
  assert.equal(online, false);
  FakeXhr.script = () => {};
  const controller = new AbortController();
  const pending = api.reply(ID, { body: 'x' }, { signal: controller.signal });
  await new Promise((resolve) => setTimeout(resolve, 0));
  controller.abort();
  await assert.rejects(pending, { name: 'AbortError' });
});

test('the server chooses the recipients: the preview asks for the mode only', async () => {
  const urls = [];
  const fetch = async (url) => {
    urls.push(url);
    return new Response('{"to":[]}', { headers: { 'content-type': 'application/json' } });
  };
  const api = createApi({ fetch, cookies: () => '' });
  for (const mode of ['reply', 'reply-all', 'forward']) await api.replyRecipients(ID, mode);
  await api.thread(ID);
  assert.deepEqual(urls, [`/api/messages/${ID}/reply-recipients`, `/api/messages/${ID}/reply-recipients?all=1`,
    `/api/messages/${ID}/reply-recipients?forward=1`, `/api/messages/${ID}/thread`]);
});

test('a right the template withholds has plain words', () => {
  const words = friendly({ code: 'policy.right-not-granted', title: 'Server title' });
  assert.notEqual(words.heading, 'Server title');
  assert.equal(words.action, 'inbox');
});
