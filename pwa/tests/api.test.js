import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createApi, readCookie } from '../modules/api.js';
import { ApiError } from '../modules/problems.js';

function recorder(answer) {
  const calls = [];
  const fetch = async (path, init) => {
    calls.push({ path, ...init });
    return typeof answer === 'function' ? answer(path, init) : answer.clone();
  };
  return { calls, fetch };
}

const json = (body, status = 200, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': type } });

test('readCookie finds one cookie among many and decodes it', () => {
  assert.equal(readCookie('a=1; csrftoken=abc%3D; b=2', 'csrftoken'), 'abc=');
  assert.equal(readCookie('xcsrftoken=1', 'csrftoken'), null);
  assert.equal(readCookie('', 'csrftoken'), null);
  assert.equal(readCookie('csrftoken=%E0%A4%A', 'csrftoken'), null);
});

test('changes carry the CSRF header from the cookie; reads do not', async () => {
  const { calls, fetch } = recorder(json({ reference: 'K7QF', expiresInMinutes: 10 }, 202));
  const api = createApi({ fetch, cookies: () => 'csrftoken=tok123' });
  const answer = await api.requestCode('a@example.org');
  assert.deepEqual(answer, { reference: 'K7QF', expiresInMinutes: 10 });
  assert.equal(calls[0].method, 'POST');
  assert.equal(calls[0].path, '/api/auth/code');
  assert.equal(calls[0].headers['x-csrftoken'], 'tok123');
  assert.equal(calls[0].credentials, 'same-origin');
  assert.deepEqual(JSON.parse(calls[0].body), { email: 'a@example.org' });
  await api.messages();
  assert.equal(calls[1].headers['x-csrftoken'], undefined);
});

test('without a CSRF cookie a GET fetches one before the change', async () => {
  let cookie = '';
  const { calls, fetch } = recorder((path) => {
    if (path === '/api/me') {
      cookie = 'csrftoken=fresh';
      return json({ type: 'x', title: 'Please sign in', status: 401, code: 'auth.required' }, 401, 'application/problem+json');
    }
    return new Response(null, { status: 204 });
  });
  let redirected = false;
  const api = createApi({ fetch, cookies: () => cookie, onAuthRequired: () => { redirected = true; } });
  assert.equal(await api.logout(), null);
  assert.deepEqual(calls.map((c) => c.path), ['/api/me', '/api/auth/logout']);
  assert.equal(calls[1].headers['x-csrftoken'], 'fresh');
  assert.equal(redirected, false, 'the token fetch does not count as "signed out"');
});

test('problem details become an ApiError; auth.required calls the hook', async () => {
  const { fetch } = recorder(json({ type: 't', title: 'Please sign in', status: 401, code: 'auth.required' }, 401, 'application/problem+json'));
  let hooked = 0;
  const api = createApi({ fetch, cookies: () => '', onAuthRequired: () => { hooked += 1; } });
  await assert.rejects(api.messages(), (error) => error instanceof ApiError && error.code === 'auth.required' && error.status === 401);
  assert.equal(hooked, 1);
});

test('a refused message keeps its code for the error screen', async () => {
  const { fetch } = recorder(json({ title: 'Expired', status: 410, code: 'policy.expired' }, 410, 'application/problem+json'));
  const api = createApi({ fetch });
  await assert.rejects(api.message('01J0000000000000000000000A'), { code: 'policy.expired', status: 410 });
});

test('a proxy error page (HTML) still maps by status', async () => {
  const { fetch } = recorder(new Response('<h1>Bad gateway</h1>', { status: 502, headers: { 'content-type': 'text/html' } }));
  await assert.rejects(createApi({ fetch }).messages(), { code: 'server', status: 502 });
});

test('no network: code "network", and the offline banner is told', async () => {
  const seen = [];
  const api = createApi({ fetch: async () => { throw new TypeError('Failed to fetch'); }, onConnectivity: (v) => seen.push(v) });
  await assert.rejects(api.messages(), { code: 'network' });
  assert.deepEqual(seen, [false]);
});

test('a success tells the offline banner the connection is back', async () => {
  const seen = [];
  const { fetch } = recorder(json({ messages: [] }));
  await createApi({ fetch, onConnectivity: (v) => seen.push(v) }).messages();
  assert.deepEqual(seen, [true]);
});

test('a request that hangs ends with code "timeout"', async () => {
  const fetch = (_path, init) => new Promise((_resolve, reject) => {
    init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
  });
  await assert.rejects(createApi({ fetch, timeoutMs: 10 }).messages(), { code: 'timeout' });
});

test("the caller's abort (leaving the screen) is not turned into an error screen", async () => {
  const fetch = (_path, init) => new Promise((_resolve, reject) => {
    init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
  });
  const controller = new AbortController();
  const pending = createApi({ fetch }).messages({ signal: controller.signal });
  controller.abort();
  await assert.rejects(pending, { name: 'AbortError' });
});

test('upload sends the file as multipart field "file"', async () => {
  const { calls, fetch } = recorder(json({ id: '01J0000000000000000000000A' }, 201));
  const api = createApi({ fetch, cookies: () => 'csrftoken=t' });
  const answer = await api.upload(new File(['<html>sealed</html>'], 'message.html', { type: 'text/html' }));
  assert.equal(answer.id, '01J0000000000000000000000A');
  const sent = calls[0].body.get('file');
  assert.equal(sent.name, 'message.html');
  assert.equal(await sent.text(), '<html>sealed</html>');
  assert.equal(calls[0].headers['content-type'], undefined, 'the browser sets the multipart boundary');
});

test('ids and addresses are escaped in paths', async () => {
  const { calls, fetch } = recorder(new Response(null, { status: 204 }));
  const api = createApi({ fetch, cookies: () => 'csrftoken=t' });
  await api.removeAddress('a/b@example.org');
  assert.equal(calls[0].path, '/api/me/addresses/a%2Fb%40example.org');
  assert.equal(calls[0].method, 'DELETE');
  assert.equal(api.attachmentUrl('01J0000000000000000000000A', '2'), '/api/messages/01J0000000000000000000000A/attachments/2');
});

test('push subscriptions are sent with showSender false and removed by endpoint', async () => {
  const { calls, fetch } = recorder(new Response(null, { status: 201 }));
  const api = createApi({ fetch, cookies: () => 'csrftoken=t' });
  await api.addPushSubscription({ endpoint: 'https://push.example/1', keys: { p256dh: 'k', auth: 'a' } });
  assert.deepEqual(JSON.parse(calls[0].body), { endpoint: 'https://push.example/1', keys: { p256dh: 'k', auth: 'a' }, showSender: false });
  await api.removePushSubscription('https://push.example/1');
  assert.equal(calls[1].method, 'DELETE');
  assert.deepEqual(JSON.parse(calls[1].body), { endpoint: 'https://push.example/1' });
});

test('requests carry the app\'s language as Accept-Language, uploads too, so the server answers in it', async () => {
  const { calls, fetch } = recorder(json({ reference: 'K7QF', expiresInMinutes: 10 }, 202));
  let chosen = 'pt-BR';
  const sent = [];
  const createXhr = () => ({
    upload: {},
    open() {},
    setRequestHeader(name, value) { sent.push([name, value]); },
    send() { this.status = 201; this.getResponseHeader = () => 'application/json'; this.responseText = '{}'; this.onload(); },
  });
  const api = createApi({ fetch, cookies: () => 'csrftoken=t', language: () => chosen, createXhr });
  await api.requestCode('a@example.org');
  assert.equal(calls[0].headers['accept-language'], 'pt-BR');
  chosen = 'ar';
  await api.messages();
  assert.equal(calls[1].headers['accept-language'], 'ar');
  const plain = createApi({ fetch, cookies: () => 'csrftoken=t' });
  await plain.messages();
  assert.equal(calls[2].headers['accept-language'], undefined, 'without a language the browser\'s own header goes');
  await api.reply('01HZX3K4M5N6P7Q8R9S0T1V2W3', { body: 'x', files: [new File(['a'], 'a.txt')] });
  assert.deepEqual(sent.find(([name]) => name === 'accept-language'), ['accept-language', 'ar']);
});
