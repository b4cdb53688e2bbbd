import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fitBox } from '../modules/frame-fit.js';
import { linkSegments } from '../modules/linkify.js';
import { peopleOf, recipientsSummary } from '../modules/people.js';
import { snippet, splitQuoted } from '../modules/quotes.js';
import { useCatalogue } from './catalogue.js';

await useCatalogue('en');

const links = (text) => linkSegments(text).filter((s) => s.href).map((s) => s.href);

test('a mail that fits keeps its size; a wider one is scaled to the width', () => {
  assert.deepEqual(fitBox({ contentWidth: 358, contentHeight: 900.4, available: 358 }), { width: 358, height: 901, scale: 1, boxHeight: 901 });
  const wide = fitBox({ contentWidth: 624, contentHeight: 1200, available: 312 });
  assert.equal(wide.width, 624);
  assert.equal(wide.scale, 0.5);
  assert.equal(wide.boxHeight, 600);
});

test('web links, addresses and phone numbers become https:, mailto: and tel: links', () => {
  assert.deepEqual(links('See https://example.org/a?b=1 (or https://x.example/(y)).'), ['https://example.org/a?b=1', 'https://x.example/(y)']);
  assert.deepEqual(links('Write to alice.martin@example.org, or call +44 20 7946 0958.'), ['mailto:alice.martin@example.org', 'tel:+442079460958']);
  assert.deepEqual(links('US: (555) 123-4567 and 555-123-4567'), ['tel:5551234567', 'tel:5551234567']);
  const segments = linkSegments('go https://a.example now');
  assert.deepEqual(segments, [{ text: 'go ' }, { text: 'https://a.example', href: 'https://a.example' }, { text: ' now' }]);
});

test('no other scheme, no dates, no short numbers, no address inside a URL', () => {
  assert.deepEqual(links('javascript:alert(1) http://plain.example data:text/html,x ftp://f.example'), []);
  assert.deepEqual(links('On 2026-12-05 at 10:30, code 1234 5678, room 12'), []);
  assert.deepEqual(links('https://example.org/u/bob@example.org/x'), ['https://example.org/u/bob@example.org/x']);
  assert.equal(linkSegments('').length, 1);
});

test('quoted text with its attribution line is one folded block; short inline quotes stay', () => {
  const text = 'Thanks, agreed.\n\nOn Tue, 3 Dec 2026, Alice <a@x> wrote:\n> line one\n>\n> line two\n> line three\n';
  const blocks = splitQuoted(text);
  assert.deepEqual(blocks.map((b) => b.quoted), [false, true, false]);
  assert.match(blocks[1].text, /^On Tue.*wrote:\n> line one/u);
  assert.deepEqual(splitQuoted('> just this\nYes.').map((b) => b.quoted), [false]);
  assert.deepEqual(splitQuoted('Hi\n-----Original Message-----\nFrom: x\nSent: y\nbody').map((b) => b.quoted), [false, true]);
  assert.equal(snippet(text), 'Thanks, agreed.');
});

test('one name per person across the thread, the reader as "me"', () => {
  const people = peopleOf([
    { from: 'alice@example.org', fromName: 'Alice Martin', to: ['bob@gmail.com'] },
    { from: 'bob@gmail.com', fromName: '', to: ['alice@example.org', 'Carol Jones <carol@example.org>'] },
  ], ['bob@gmail.com']);
  assert.equal(people.name('alice@example.org'), 'Alice Martin');
  assert.equal(people.name('ALICE@example.org'), 'Alice Martin');
  assert.equal(people.name('carol@example.org'), 'Carol Jones');
  assert.equal(people.name('dan@example.org'), 'dan@example.org');
  const mixed = peopleOf([{ from: 'alice@example.org', fromName: 'alice@example.org' },
    { from: 'Alice Martin <alice@example.org>', fromName: 'Alice Martin' }, { from: 'alice@example.org' }]);
  assert.equal(mixed.name('alice@example.org'), 'Alice Martin', 'an address given with its name is one person');
  assert.equal(recipientsSummary(['alice@example.org', 'bob@gmail.com'], people), 'me, Alice Martin');
  assert.equal(recipientsSummary(['a@x.example', 'b@x.example', 'c@x.example', 'bob@gmail.com'], people), 'me, a@x.example and 2 others');
});
