import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { SHARE_CACHE } from '../modules/share.js';
import { cacheFirst, deleteStaleCaches, precache, serveShell } from '../modules/sw-cache.js';
import { classify, SHELL_ASSETS, SHELL_CACHE_PREFIX, shellCacheName } from '../modules/sw-shell.js';
import { isAppPath } from '../modules/router.js';
import { declaredVersion, shellVersion } from '../../scripts/shell-version.mjs';
import { FakeCacheStorage } from './fake-caches.js';

const PWA = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = join(PWA, '..');
const ORIGIN = 'https://mail.example.org';
const ID = '01HZX3K4M5N6P7Q8R9S0T1V2W3';

/** Where a URL path of the shell lives on disk (the server serves pwa/ at /, manifest.json from the top). */
function fileFor(path) {
  if (path === '/') return join(PWA, 'index.html');
  return path === '/manifest.json' ? join(ROOT, 'manifest.json') : join(PWA, ...path.split('/').filter(Boolean));
}

/** The import graph from a module, as URL paths: static imports, and with `dynamic` also `import('…')`. */
function importGraph(path, seen = new Set(), { dynamic = false } = {}) {
  if (seen.has(path)) return seen;
  seen.add(path);
  const source = readFileSync(fileFor(path), 'utf8');
  const found = [...source.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
  if (dynamic) found.push(...[...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]));
  for (const target of found) importGraph(posix.join(posix.dirname(path), target), seen, { dynamic });
  return seen;
}

const request = (path, { method = 'GET', mode = 'cors', origin = ORIGIN } = {}) => ({ method, mode, url: origin + path });

test('cache names carry the version; odd versions are refused', () => {
  assert.equal(shellCacheName('3f2a9c'), `${SHELL_CACHE_PREFIX}3f2a9c`);
  assert.throws(() => shellCacheName('../x'));
  assert.throws(() => shellCacheName(''));
});

test('requests: other origins, non-GET and the API are never touched', () => {
  assert.equal(classify(request('/app.js', { origin: 'https://cdn.example' }), ORIGIN), 'network');
  assert.equal(classify(request('/api/messages'), ORIGIN), 'network');
  assert.equal(classify(request(`/api/messages/${ID}`, { mode: 'navigate' }), ORIGIN), 'network');
  assert.equal(classify(request(`/api/messages/${ID}/attachments/0`, { mode: 'navigate' }), ORIGIN), 'network');
  assert.equal(classify(request('/api/auth/code', { method: 'POST' }), ORIGIN), 'network');
  assert.equal(classify(request('/settings', { method: 'PUT' }), ORIGIN), 'network');
});

test('requests: app routes get the shell, shell files the cache, the share target the worker', () => {
  assert.equal(classify(request(`/m/${ID}`, { mode: 'navigate' }), ORIGIN), 'shell');
  assert.equal(classify(request('/?shared=00112233445566778899aabbccddeeff', { mode: 'navigate' }), ORIGIN), 'shell');
  assert.equal(classify(request('/settings', { mode: 'navigate' }), ORIGIN), 'shell');
  assert.equal(classify(request('/admin', { mode: 'navigate' }), ORIGIN), 'network', 'unknown pages stay the server\'s');
  assert.equal(classify(request('/app.js'), ORIGIN), 'asset');
  assert.equal(classify(request('/styles.css?v=2'), ORIGIN), 'asset');
  assert.equal(classify(request('/icons/icon-512.png'), ORIGIN), 'network', 'not precached');
  assert.equal(classify(request('/share-target', { method: 'POST', mode: 'navigate' }), ORIGIN), 'share');
  assert.equal(classify(request('/share-target', { method: 'POST', origin: 'https://evil.example' }), ORIGIN), 'network');
});

test('the shell lists no API path and nothing outside the app', () => {
  for (const path of SHELL_ASSETS) {
    assert.ok(path.startsWith('/') && !path.startsWith('/api/') && !path.startsWith('/m/'), path);
  }
  assert.equal(new Set(SHELL_ASSETS).size, SHELL_ASSETS.length, 'no duplicates');
});

test('every shell file exists, and every module the app imports (now or on first use) is in the shell', () => {
  for (const path of SHELL_ASSETS) assert.ok(existsSync(fileFor(path)), `missing: ${path}`);
  const graph = importGraph('/app.js', new Set(), { dynamic: true });
  const missing = [...graph].filter((path) => !SHELL_ASSETS.includes(path));
  assert.deepEqual(missing, [], 'add these to SHELL_ASSETS in modules/sw-shell.js');
  const unused = SHELL_ASSETS.filter((path) => path.startsWith('/modules/') && !graph.has(path));
  assert.deepEqual(unused, [], 'the app does not import these: remove them from SHELL_ASSETS');
});

test('index.html preloads exactly the modules the app imports statically, and links what the shell caches', () => {
  const html = readFileSync(join(PWA, 'index.html'), 'utf8');
  const preloaded = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) => m[1]).sort();
  const graph = [...importGraph('/app.js')].filter((path) => path !== '/app.js').sort();
  assert.deepEqual(preloaded, graph);
  for (const path of ['/styles.css', '/manifest.json', '/icons/icon.svg', '/icons/apple-touch-icon.png', '/app.js']) {
    assert.ok(html.includes(`"${path}"`), path);
    assert.ok(SHELL_ASSETS.includes(path), path);
  }
  assert.ok(!/<script(?![^>]*\bsrc=)/.test(html), 'no inline script (CSP script-src self)');
  assert.ok(!/\sstyle=/.test(html) && !/<style/.test(html), 'no inline style (CSP style-src self)');
});

test("sw.js VERSION is the hash of the app's files, so any change reaches installed apps", () => {
  const expected = shellVersion(ROOT);
  assert.match(expected, /^[0-9a-f]{12}$/);
  assert.equal(declaredVersion(join(PWA, 'sw.js')), expected,
    `a shell file changed: run 'node scripts/shell-version.mjs --write' (VERSION becomes '${expected}')`);
});

test('install precaches every shell file past the HTTP cache; a failure fails the install', async () => {
  const caches = new FakeCacheStorage();
  const seen = [];
  const fetch = async (req) => {
    seen.push([new URL(req.url).pathname, req.cache]);
    return new Response(`body of ${new URL(req.url).pathname}`);
  };
  await precache(caches, 'mailseal-shell-a', ['/', '/app.js'], { fetch, base: ORIGIN });
  assert.deepEqual(seen, [['/', 'reload'], ['/app.js', 'reload']]);
  const cache = await caches.open('mailseal-shell-a');
  assert.equal(await (await cache.match('/app.js')).text(), 'body of /app.js');

  const broken = async () => new Response('nope', { status: 404 });
  await assert.rejects(precache(new FakeCacheStorage(), 'mailseal-shell-b', ['/app.js'], { fetch: broken, base: ORIGIN }), /404/);
});

test('activate deletes old shells only: the share cache and other caches stay', async () => {
  const caches = new FakeCacheStorage();
  for (const name of ['mailseal-shell-old1', 'mailseal-shell-new', SHARE_CACHE, 'something-else']) await caches.open(name);
  assert.deepEqual(await deleteStaleCaches(caches, 'mailseal-shell-new'), ['mailseal-shell-old1']);
  assert.deepEqual((await caches.keys()).sort(), ['mailseal-shell-new', SHARE_CACHE, 'something-else'].sort());
});

test('app routes are answered with the cached index.html, offline too', async () => {
  const caches = new FakeCacheStorage();
  await (await caches.open('mailseal-shell-v')).put('/', new Response('<!doctype html>shell'));
  const offline = async () => { throw new TypeError('offline'); };
  const answer = await serveShell(caches, 'mailseal-shell-v', new Request(`${ORIGIN}/m/${ID}`), offline);
  assert.equal(await answer.text(), '<!doctype html>shell');
  const asset = await cacheFirst(caches, 'mailseal-shell-v', new Request(`${ORIGIN}/?x=1`), offline);
  assert.equal(await asset.text(), '<!doctype html>shell');
  const network = async () => new Response('from the network');
  assert.equal(await (await cacheFirst(caches, 'mailseal-shell-v', new Request(`${ORIGIN}/app.js`), network)).text(), 'from the network');
  assert.equal((await (await caches.open('mailseal-shell-v')).keys()).length, 1, 'network answers are not stored');
});

test('the manifest has screenshots of their declared sizes (narrow and wide) and shortcuts to app routes', () => {
  const manifest = JSON.parse(readFileSync(fileFor('/manifest.json'), 'utf8'));
  assert.deepEqual(manifest.screenshots.map((s) => s.form_factor).sort(), ['narrow', 'wide']);
  for (const shot of manifest.screenshots) {
    const png = readFileSync(fileFor(shot.src));
    assert.equal(`${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`, shot.sizes, shot.src);
    const [w, h] = shot.sizes.split('x').map(Number);
    assert.equal(shot.form_factor === 'wide', w > h, shot.src);
  }
  assert.ok(manifest.shortcuts.length >= 2);
  for (const shortcut of manifest.shortcuts) assert.ok(isAppPath(shortcut.url), shortcut.url);
  const html = readFileSync(join(PWA, 'index.html'), 'utf8');
  assert.match(html, /name="viewport" content="[^"]*viewport-fit=cover/, 'safe-area insets reach the app');
});
