import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isForeignCode, microsoftPortalUrl } from '../modules/foreign-mail.js';
import { friendly, problemToError } from '../modules/problems.js';
import { useCatalogue } from './catalogue.js';

await useCatalogue('en');

const PORTAL = 'https://outlook.office365.com/Encryption/retrieve.ashx?recipientemailaddress=bob%40gmail.com';

test('only an https Read-the-message link on a Microsoft portal host is offered', () => {
  assert.equal(microsoftPortalUrl(PORTAL), PORTAL);
  assert.equal(microsoftPortalUrl('https://partner.outlook.cn/Encryption/retrieve.ashx?x=1'),
    'https://partner.outlook.cn/Encryption/retrieve.ashx?x=1');
  for (const bad of [
    'http://outlook.office365.com/Encryption/retrieve.ashx',  // not https
    'https://outlook.office365.com.evil.example/Encryption/retrieve.ashx',  // not Microsoft's host
    'https://evil.example/Encryption/retrieve.ashx',
    'https://user@outlook.office365.com/Encryption/retrieve.ashx',  // credentials in the link
    'https://outlook.office365.com:8443/Encryption/retrieve.ashx',
    'https://outlook.office365.com/owa/',  // not the portal page
    'javascript:alert(1)',
    '',
    null,
    42,
  ]) assert.equal(microsoftPortalUrl(bad), null, String(bad));
});

test('a foreign-microsoft problem keeps its checked link and gets its own words', () => {
  const error = problemToError(422, {
    code: 'envelope.foreign-microsoft', title: 'This message was protected with Microsoft 365',
    detail: 'This message was protected with Microsoft 365 Message Encryption.', openUrl: PORTAL,
  });
  assert.equal(error.openUrl, PORTAL);
  assert.ok(isForeignCode(error.code));
  assert.equal(friendly(error).heading, 'Protected with Microsoft 365');
  const forged = problemToError(422, { code: 'envelope.foreign-microsoft', openUrl: 'https://evil.example/Encryption/retrieve.ashx' });
  assert.equal(forged.openUrl, null);
});

test('each kind of mail Mailseal cannot open has words of its own', () => {
  for (const code of ['envelope.foreign-smime', 'envelope.foreign-pgp', 'input.not-email']) {
    const words = friendly({ code, detail: 'This is an Outlook .msg file, not an e-mail message.' });
    assert.notEqual(words.heading, 'Something went wrong', code);
    assert.equal(words.note, 'This is an Outlook .msg file, not an e-mail message.');
  }
  assert.equal(isForeignCode('input.not-email'), false);
});
