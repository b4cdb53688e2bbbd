import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ApiError, cleanCode, friendly, problemToError } from '../modules/problems.js';
import { useCatalogue } from './catalogue.js';

await useCatalogue('en');

const SERVER_CODES = [
  'auth.invalid-code', 'auth.code-expired', 'auth.too-many-tries', 'auth.long-code-needed', 'rate-limited',
  'rate-limited.client', 'auth.required', 'policy.not-recipient', 'policy.expired', 'policy.revoked',
  'envelope.damaged', 'envelope.unknown-key', 'input.no-envelope', 'input.too-large', 'not-found',
  'csrf.failed', 'internal', 'input.invalid-address',
];

test('a problem body becomes an ApiError with its stable code, title and detail', () => {
  const error = problemToError(410, {
    type: 'https://mailseal.org/problems/policy.revoked', title: 'This message was revoked by the sender',
    status: 410, code: 'policy.revoked', detail: 'Revoked on 3 March',
  });
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 410);
  assert.equal(error.code, 'policy.revoked');
  assert.equal(error.detail, 'Revoked on 3 March');
});

test('without a problem body the status decides the code', () => {
  assert.equal(problemToError(401, null).code, 'auth.required');
  assert.equal(problemToError(413, 'not json').code, 'input.too-large');
  assert.equal(problemToError(502, null).code, 'server');
  assert.equal(problemToError(418, null).code, 'http.error');
});

test('codes that do not look like ours are not trusted', () => {
  assert.equal(problemToError(400, { code: '<img src=x>' }).code, 'input.invalid');
  assert.equal(cleanCode('policy.expired'), 'policy.expired');
  assert.equal(cleanCode('Policy Expired'), null);
  assert.equal(cleanCode('a'.repeat(61)), null);
  assert.equal(cleanCode(42), null);
});

test('triesLeft and Retry-After are read from the body or the header', () => {
  assert.equal(problemToError(401, { code: 'auth.invalid-code', triesLeft: 3 }).triesLeft, 3);
  assert.equal(problemToError(401, { code: 'auth.invalid-code', triesLeft: -1 }).triesLeft, null);
  assert.equal(problemToError(429, { code: 'rate-limited', retryAfter: 30 }).retryAfter, 30);
  assert.equal(problemToError(429, { code: 'rate-limited' }, '120').retryAfter, 120);
  assert.equal(problemToError(429, { code: 'rate-limited' }, 'Wed, 21 Oct 2026 07:28:00 GMT').retryAfter, null);
});

test('every code the server sends has plain words, never the code itself', () => {
  for (const code of SERVER_CODES) {
    const words = friendly(problemToError(400, { code, title: 'Server title' }));
    assert.ok(words.heading.length > 3, code);
    assert.ok(!words.heading.includes(code) && !words.text.includes(code), code);
    assert.notEqual(words.heading, 'Server title', `${code} should have our own wording`);
  }
});

test('policy refusals offer the right next step', () => {
  assert.equal(friendly({ code: 'policy.not-recipient' }).action, 'add-address');
  assert.equal(friendly({ code: 'policy.revoked' }).action, 'inbox');
  assert.match(friendly({ code: 'policy.expired' }).text, /ask the sender to send it again/);
  assert.equal(friendly({ code: 'auth.code-expired' }).action, 'new-code');
  assert.equal(friendly({ code: 'auth.long-code-needed' }).action, 'new-code');
  assert.equal(friendly({ code: 'network' }).action, 'retry');
});

test('wrong code: tries left are said in words', () => {
  assert.equal(friendly(new ApiError({ code: 'auth.invalid-code', triesLeft: 2 })).note, '2 tries left.');
  assert.equal(friendly(new ApiError({ code: 'auth.invalid-code', triesLeft: 1 })).note, '1 try left.');
  assert.equal(friendly(new ApiError({ code: 'auth.invalid-code' })).note, '');
});

test('waiting time is said in seconds or minutes', () => {
  assert.equal(friendly(new ApiError({ code: 'rate-limited', retryAfter: 45 })).note, 'Try again in 45 seconds.');
  assert.equal(friendly(new ApiError({ code: 'rate-limited.client', retryAfter: 600 })).note, 'Try again in 10 minutes.');
});

test("the server's detail is added when it says more than the title", () => {
  const words = friendly(new ApiError({ code: 'policy.expired', title: 'This message has expired', detail: 'It expired on 3 March' }));
  assert.equal(words.note, 'It expired on 3 March');
  assert.equal(friendly(new ApiError({ code: 'policy.expired', title: 'Same', detail: 'Same' })).note, '');
});

test("an unknown code shows the server's own title and detail", () => {
  const words = friendly(new ApiError({ code: 'rules.invalid', title: 'The rules are not valid', detail: 'line 3' }));
  assert.equal(words.heading, 'The rules are not valid');
  assert.equal(words.text, 'line 3');
  assert.equal(words.code, 'rules.invalid');
});

test('anything thrown (a TypeError, undefined) still gets words', () => {
  assert.equal(friendly(new TypeError('x')).code, 'server');
  assert.equal(friendly(undefined).code, 'server');
});
