import assert from 'node:assert/strict';
import test from 'node:test';

import { fetchProviders, refusalKey, startSignIn } from '../modules/ui-sign-in-providers.js';

test('the callback\'s refusal code picks its message; an unknown one reads as a plain refusal', () => {
  assert.equal(refusalKey('?signin-refused=oidc.unverified-email'), 'signin-providers.unverified');
  assert.equal(refusalKey('?signin-refused=oidc.refused'), 'signin-providers.refused');
  assert.equal(refusalKey('?signin-refused=<script>'), 'signin-providers.refused');
  assert.equal(refusalKey('?next=/m/abc'), null);
  assert.equal(refusalKey(''), null);
});

test('only well-formed providers are offered, and none when the answer is not readable', async () => {
  const answer = (status, body) => async () => ({ ok: status === 200, status, json: async () => body });
  const listed = await fetchProviders({ fetch: answer(200, { providers: [{ id: 'google', name: 'Google' }, { id: 3 }, null] }) });
  assert.deepEqual(listed, [{ id: 'google', name: 'Google' }]);
  assert.deepEqual(await fetchProviders({ fetch: answer(500, null) }), []);
});

test('starting a sign-in posts the return path with the CSRF header and answers the provider\'s URL', async () => {
  const calls = [];
  const fetch = async (url, init = {}) => {
    calls.push({ url, init });
    if (url === '/api/auth/oidc/google/start') {
      return { ok: true, status: 200, json: async () => ({ authorizationUrl: 'https://idp.example/auth?state=x' }) };
    }
    return { ok: false, status: 404, json: async () => null };
  };
  const url = await startSignIn('google', '/m/abc', { fetch, cookies: () => 'csrftoken=tok' });
  assert.equal(url, 'https://idp.example/auth?state=x');
  assert.equal(calls.length, 1);
  assert.equal(calls[0].init.method, 'POST');
  assert.equal(calls[0].init.headers['x-csrftoken'], 'tok');
  assert.deepEqual(JSON.parse(calls[0].init.body), { returnTo: '/m/abc' });
});

test('a refused start throws the server\'s problem', async () => {
  const fetch = async () => ({ ok: false, status: 404, json: async () => ({ code: 'not-found', title: 'No such way to sign in' }) });
  await assert.rejects(startSignIn('nope', '/', { fetch, cookies: () => 'csrftoken=t' }), (e) => e.code === 'not-found');
});
