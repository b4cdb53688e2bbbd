import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseRoute } from '../modules/router.js';
import { isShareKey, newShareKey, pruneShares, receiveShare, removeShare, SHARE_CACHE, shareEntryPath, takeShare } from '../modules/share.js';
import { FakeCacheStorage } from './fake-caches.js';

const KEY = '00112233445566778899aabbccddeeff';

function sharePost(files) {
  const form = new FormData();
  for (const file of files) form.append('file', file);
  return new Request('https://mailseal.test/share-target', { method: 'POST', body: form });
}

test('keys are 128 random bits in hex; anything else is refused', () => {
  const key = newShareKey((bytes) => bytes.fill(0xab));
  assert.equal(key, 'ab'.repeat(16));
  assert.ok(isShareKey(newShareKey()));
  assert.notEqual(newShareKey(), newShareKey());
  for (const bad of ['', 'AB'.repeat(16), `${KEY}0`, '../../api/messages', null]) assert.ok(!isShareKey(bad), String(bad));
  assert.equal(shareEntryPath(KEY), `/__shared/${KEY}`);
  assert.throws(() => shareEntryPath('../x'), TypeError);
});

test('a shared file is kept under its key and the app is sent to /?shared=<key>', async () => {
  const caches = new FakeCacheStorage();
  const file = new File(['<html>sealed envelope</html>'], 'message.html', { type: 'text/html' });
  const response = await receiveShare(sharePost([file]), { caches, newKey: () => KEY, now: () => 5 });
  assert.equal(response.status, 303);
  const location = response.headers.get('location');
  assert.equal(location, `/?shared=${KEY}`);
  assert.deepEqual(parseRoute(location), { name: 'shared', params: { key: KEY }, path: location });

  const taken = await takeShare(caches, KEY);
  assert.equal(taken.name, 'message.html');
  assert.equal(taken.type, 'text/html');
  assert.equal(await taken.text(), '<html>sealed envelope</html>');
  assert.ok(await takeShare(caches, KEY), 'kept until the upload succeeded');
  assert.equal(await removeShare(caches, KEY), true);
  assert.equal(await takeShare(caches, KEY), null);
});

test('names survive any characters; only the first file is kept', async () => {
  const caches = new FakeCacheStorage();
  const first = new File(['a'], 'Nachricht für dich.html', { type: '' });
  const second = new File(['b'], 'other.html');
  await receiveShare(sharePost([first, second]), { caches, newKey: () => KEY });
  const taken = await takeShare(caches, KEY);
  assert.equal(taken.name, 'Nachricht für dich.html');
  assert.equal(taken.type, 'application/octet-stream');
  assert.equal((await (await caches.open(SHARE_CACHE)).keys()).length, 1);
});

test('a share without a file (or an empty one) goes to the error screen', async () => {
  const caches = new FakeCacheStorage();
  const textOnly = new FormData();
  textOnly.append('text', 'hello');
  for (const request of [
    new Request('https://mailseal.test/share-target', { method: 'POST', body: textOnly }),
    sharePost([new File([], 'empty.html')]),
    new Request('https://mailseal.test/share-target', { method: 'POST', body: 'not a form' }),
  ]) {
    const response = await receiveShare(request, { caches, newKey: () => KEY });
    assert.equal(response.headers.get('location'), '/?error=input.no-envelope');
    assert.equal(parseRoute(response.headers.get('location')).name, 'share-failed');
  }
  assert.equal(await takeShare(caches, KEY), null);
});

test('takeShare refuses keys that are not keys, without touching the cache', async () => {
  const caches = new FakeCacheStorage();
  assert.equal(await takeShare(caches, '../index.html'), null);
  assert.equal(await removeShare(caches, '../index.html'), false);
  assert.deepEqual(await caches.keys(), []);
});

test('shares nobody opened within a day are pruned', async () => {
  const caches = new FakeCacheStorage();
  const old = '0'.repeat(32);
  await receiveShare(sharePost([new File(['x'], 'a.html')]), { caches, newKey: () => old, now: () => 0 });
  await receiveShare(sharePost([new File(['y'], 'b.html')]), { caches, newKey: () => KEY, now: () => 23 * 3600_000 });
  assert.equal(await pruneShares(caches, 25 * 3600_000), 1);
  assert.equal(await takeShare(caches, old), null);
  assert.ok(await takeShare(caches, KEY));
});
