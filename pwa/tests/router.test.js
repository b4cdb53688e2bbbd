import assert from 'node:assert/strict';
import { test } from 'node:test';

import { APP_PATHS, isAppPath, parseRoute, paths, safeNext } from '../modules/router.js';

const ID = '01HZX3K4M5N6P7Q8R9S0T1V2W3';

test('message routes take exactly 26 letters and digits', () => {
  assert.deepEqual(parseRoute(`/m/${ID}`), { name: 'message', params: { id: ID }, path: `/m/${ID}` });
  assert.equal(parseRoute(`/m/${ID.toLowerCase()}`).params.id, ID.toLowerCase());
  assert.equal(parseRoute(`/m/${ID}/`).name, 'message', 'a trailing slash is forgiven');
  for (const bad of [ID.slice(1), `${ID}A`, `${ID.slice(2)}..`, `${ID.slice(3)}%2F`, '', `${ID}/x`]) {
    assert.equal(parseRoute(`/m/${bad}`).name, 'not-found', bad);
  }
});

test('screens by path, the query string kept', () => {
  assert.equal(parseRoute('/').name, 'inbox');
  assert.equal(parseRoute('/inbox').name, 'inbox');
  assert.equal(parseRoute('/settings').name, 'settings');
  assert.equal(parseRoute('/settings/add-address').name, 'add-address');
  assert.equal(parseRoute('/install').name, 'install');
  assert.equal(parseRoute('/nope').name, 'not-found');
  assert.equal(parseRoute('https://mail.example.org/settings?x=1').path, '/settings?x=1');
});

test('the share redirect: a valid key opens the shared file, a bad one says it is gone', () => {
  const key = '0123456789abcdef0123456789abcdef';
  assert.deepEqual(parseRoute(`/?shared=${key}`).params, { key });
  assert.equal(parseRoute(`/?shared=${key}`).name, 'shared');
  assert.deepEqual(parseRoute('/?shared=../../api').params, { code: 'share.missing' });
});

test("the server's share fallback reports a code; junk codes become 'server'", () => {
  assert.deepEqual(parseRoute('/?error=input.no-envelope'), { name: 'share-failed', params: { code: 'input.no-envelope' }, path: '/?error=input.no-envelope' });
  assert.equal(parseRoute('/?error=%3Cscript%3E').params.code, 'server');
});

test('sign-in keeps only a safe place to return to', () => {
  assert.equal(parseRoute(`/sign-in?next=${encodeURIComponent(`/m/${ID}`)}`).params.next, `/m/${ID}`);
  assert.equal(parseRoute('/sign-in').params.next, '/');
  for (const evil of ['//evil.example/m/x', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '/sign-in', '/nope']) {
    assert.equal(safeNext(evil), '/', evil);
  }
  assert.equal(safeNext('/?shared=0123456789abcdef0123456789abcdef'), '/?shared=0123456789abcdef0123456789abcdef');
  assert.equal(safeNext(null), '/');
});

test('isAppPath: what the service worker answers with the shell', () => {
  assert.ok(isAppPath('/'));
  assert.ok(isAppPath(`/m/${ID}`));
  assert.ok(isAppPath('/settings'));
  assert.ok(!isAppPath('/api/messages'));
  assert.ok(!isAppPath('/admin'));
  assert.ok(!isAppPath('/app.js'));
});

test('paths build what parseRoute reads', () => {
  assert.equal(parseRoute(paths.message(ID)).params.id, ID);
  assert.equal(parseRoute(paths.signIn(`/m/${ID}`)).params.next, `/m/${ID}`);
  assert.equal(paths.signIn('/'), '/sign-in');
  assert.equal(parseRoute(paths.addAddress()).name, 'add-address');
  assert.ok(APP_PATHS.includes('/m/{id}'));
});

test('an attachment opens on its own screen inside the app', () => {
  const id = '01J9ZX3K7QH2M5V8T4R6W0Y1NB';
  assert.deepEqual(parseRoute(`/m/${id}/attachments/3`), { name: 'attachment', params: { id, index: '3' }, path: `/m/${id}/attachments/3` });
  assert.equal(paths.attachment(id, 3), `/m/${id}/attachments/3`);
  for (const bad of ['-1', '01', 'x', '99999']) assert.equal(parseRoute(`/m/${id}/attachments/${bad}`).name, 'not-found', bad);
  assert.ok(isAppPath(`/m/${id}/attachments/0`));
  assert.ok(APP_PATHS.includes('/m/{id}/attachments/{index}'));
});
