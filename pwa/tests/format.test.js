import assert from 'node:assert/strict';
import { test } from 'node:test';

import { describeExpiry, formatFullDate, formatRelativeDate, formatSize, templateLabel, toDate, typeLabel } from '../modules/format.js';

const NOW = new Date(2026, 2, 12, 15, 0, 0); // 12 March 2026, 15:00 local time
const ago = (ms) => new Date(NOW.getTime() - ms);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

test('sizes in decimal units, as phones show them', () => {
  assert.equal(formatSize(0), '0 bytes');
  assert.equal(formatSize(1), '1 byte');
  assert.equal(formatSize(840), '840 bytes');
  assert.equal(formatSize(1234), '1.2 kB');
  assert.equal(formatSize(56_000), '56 kB');
  assert.equal(formatSize(999_999), '1 MB');
  assert.equal(formatSize(3_400_000), '3.4 MB');
  assert.equal(formatSize(2.5e12), '2,500 GB');
  assert.equal(formatSize(-5), '0 bytes');
  assert.equal(formatSize(Number.NaN), '0 bytes');
  assert.equal(formatSize(1234, 'de'), '1,2 kB');
});

test('relative dates for the inbox', () => {
  assert.equal(formatRelativeDate(ago(20_000), NOW), 'now');
  assert.equal(formatRelativeDate(ago(5 * MIN), NOW), '5 min. ago');
  assert.equal(formatRelativeDate(ago(3 * HOUR), NOW), '3 hr. ago');
  assert.equal(formatRelativeDate(ago(16 * HOUR), NOW), 'yesterday', '23:00 the day before is yesterday, not 16 hours');
  assert.equal(formatRelativeDate(ago(3 * DAY), NOW), '3 days ago');
  assert.equal(formatRelativeDate(ago(20 * DAY), NOW), 'Feb 20');
  assert.equal(formatRelativeDate(new Date(2025, 11, 24), NOW), 'Dec 24, 2025');
  assert.equal(formatRelativeDate(new Date(NOW.getTime() + 5 * MIN), NOW), 'now', 'clock skew');
  assert.equal(formatRelativeDate('not a date', NOW), '');
  assert.equal(formatRelativeDate(ago(20 * DAY), NOW, 'en-GB'), '20 Feb');
});

test('dates from ISO strings, mail headers and Unix times', () => {
  assert.equal(toDate('2026-03-12T10:00:00Z').toISOString(), '2026-03-12T10:00:00.000Z');
  assert.equal(toDate('Thu, 12 Mar 2026 10:00:00 +0000').toISOString(), '2026-03-12T10:00:00.000Z');
  assert.equal(toDate(1773309600).toISOString(), '2026-03-12T10:00:00.000Z');
  assert.equal(toDate(1773309600000).toISOString(), '2026-03-12T10:00:00.000Z');
  assert.equal(toDate(''), null);
  assert.equal(toDate(null), null);
  assert.equal(toDate('yesterday-ish'), null);
  assert.match(formatFullDate('2026-03-12T10:00:00Z', 'en'), /Mar 12, 2026/);
});

test('expiry in words', () => {
  assert.equal(describeExpiry(null, NOW), null);
  assert.deepEqual(describeExpiry(ago(MIN), NOW), { text: 'Expired', expired: true, soon: false });
  assert.deepEqual(describeExpiry(new Date(NOW.getTime() + 30 * MIN), NOW), { text: 'Expires in 30 minutes', expired: false, soon: true });
  assert.equal(describeExpiry(new Date(NOW.getTime() + 5 * HOUR), NOW).text, 'Expires in 5 hours');
  assert.equal(describeExpiry(new Date(2026, 2, 13, 18), NOW).text, 'Expires tomorrow');
  assert.deepEqual(describeExpiry(new Date(2026, 2, 19, 9), NOW), { text: 'Expires in 7 days', expired: false, soon: false });
  assert.equal(describeExpiry(Math.floor(NOW.getTime() / 1000) + 3 * 86400, NOW).text, 'Expires in 3 days', 'Unix seconds from the API');
});

test('template badges and content types in words', () => {
  assert.equal(templateLabel('encrypt-only'), 'Encrypt-Only');
  assert.equal(templateLabel('do-not-forward'), 'Do-Not-Forward');
  assert.equal(templateLabel('board-only'), 'board-only');
  assert.equal(templateLabel(undefined), '');
  assert.equal(typeLabel('application/pdf'), 'PDF document');
  assert.equal(typeLabel('image/png'), 'Image (PNG)');
  assert.equal(typeLabel('text/plain; charset=utf-8'), 'Text');
  assert.equal(typeLabel('application/octet-stream'), 'File');
  assert.equal(typeLabel('application/vnd.oasis.opendocument.text'), 'OASIS.OPENDOCUMENT.T');
  assert.equal(typeLabel(''), 'File');
});
