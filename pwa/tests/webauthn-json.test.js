import assert from 'node:assert/strict';
import { test } from 'node:test';

import { creationOptions, credentialToJSON, fromBase64url, requestOptions, toBase64url } from '../modules/webauthn-json.js';

const bytes = (...values) => new Uint8Array(values).buffer;

test('base64url round trips, padded or not, with the URL-safe letters', () => {
  const data = bytes(0xfb, 0xff, 0xbf, 0x00, 0x01);
  assert.equal(toBase64url(data), '-_-_AAE');
  assert.deepEqual(new Uint8Array(fromBase64url('-_-_AAE')), new Uint8Array(data));
  assert.deepEqual(new Uint8Array(fromBase64url('-_-_AAE=')), new Uint8Array(data));
  assert.equal(toBase64url(new Uint8Array([1, 2, 3]).subarray(1)), 'AgM');
});

test('the server options become what navigator.credentials wants: binary fields as buffers', () => {
  const created = creationOptions({
    challenge: 'AQID', rp: { id: 'mailseal.test', name: 'Mailseal' }, user: { id: 'BAU', name: 'bob@gmail.com' },
    excludeCredentials: [{ id: 'Bgc', type: 'public-key' }], authenticatorSelection: { userVerification: 'required' },
  });
  assert.deepEqual(new Uint8Array(created.challenge), new Uint8Array([1, 2, 3]));
  assert.deepEqual(new Uint8Array(created.user.id), new Uint8Array([4, 5]));
  assert.equal(created.user.name, 'bob@gmail.com');
  assert.deepEqual(new Uint8Array(created.excludeCredentials[0].id), new Uint8Array([6, 7]));
  assert.equal(created.authenticatorSelection.userVerification, 'required');
  const requested = requestOptions({ challenge: 'AQID', rpId: 'mailseal.test', userVerification: 'required' });
  assert.deepEqual(requested.allowCredentials, []);
  assert.equal(requested.rpId, 'mailseal.test');
});

test('a credential without toJSON is written as the server reads it', () => {
  const credential = {
    id: 'Bgc', rawId: bytes(6, 7), type: 'public-key', authenticatorAttachment: 'platform',
    getClientExtensionResults: () => ({}),
    response: { clientDataJSON: bytes(1), authenticatorData: bytes(2), signature: bytes(3), userHandle: bytes(4) },
  };
  assert.deepEqual(credentialToJSON(credential), {
    id: 'Bgc', rawId: 'Bgc', type: 'public-key', authenticatorAttachment: 'platform', clientExtensionResults: {},
    response: { clientDataJSON: 'AQ', authenticatorData: 'Ag', signature: 'Aw', userHandle: 'BA' },
  });
  assert.equal(credentialToJSON({ toJSON: () => 'native' }), 'native');
});
