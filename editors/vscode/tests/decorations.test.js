'use strict';
// The result-to-decoration mapping (decorations.js): pure, no daemon, no `vscode`.

const test = require('node:test');
const assert = require('node:assert/strict');
const D = require('../decorations');

// Line 3 (0-based) of a document, from character 4: an umlaut, an emoji (a surrogate pair),
// a CRLF, CJK, and a combining mark (e + U+0301).
const CRLF_TEXT = 'héllo 🙂 wörld\r\n東京 e\u0301x';
const LF_TEXT = 'héllo 🙂 wörld\n東京 e\u0301x';
const BASE = { line: 3, character: 4 };

/** The same five units and focus, in each encoding's offsets of CRLF_TEXT. */
const UNITS = {
  'utf-16': { ranges: [[0, 5], [6, 8], [9, 14], [16, 17], [19, 22]], focus: [17, 18], window: [6, 22] },
  'utf-8': { ranges: [[0, 6], [7, 11], [12, 18], [20, 23], [27, 31]], focus: [23, 26], window: [7, 31] },
  'utf-32': { ranges: [[0, 5], [6, 7], [8, 13], [15, 16], [18, 21]], focus: [16, 17], window: [6, 21] },
};
const SCORES = [0.3, 1, 0.00005, 0.125, 0.5];
const VALUES = [0.6, 2, 0.0001, 0.25, 1];

function result(encoding, { window = false, shift = 0 } = {}) {
  const u = UNITS[encoding];
  const at = (o) => (o > 14 ? o + shift : o); // shift: offsets after the line break (LF text: -1)
  const r = {
    positionEncoding: encoding,
    ranges: u.ranges.map(([s, e], i) => ({ start: at(s), end: at(e), score: SCORES[i], value: VALUES[i] })),
    focus: { start: at(u.focus[0]), end: at(u.focus[1]) },
    method: 'norm-summed',
    layer: 5,
  };
  if (window) r.window = { start: at(u.window[0]), end: at(u.window[1]) };
  return r;
}

const pos = (line, character) => ({ line, character });
const range = (l1, c1, l2, c2) => ({ start: pos(l1, c1), end: pos(l2, c2) });

// Expected, in document positions: héllo, 🙂 (2 UTF-16 units), wörld on line 3 after the base
// character 4; 東 and e+U+0301+x on line 4 from character 0; the focus 京.
const EXPECTED_BUCKETS = [
  [range(3, 13, 3, 18)], // wörld, score 0.00005
  [range(4, 0, 4, 1)], // 東, score 0.125
  [range(3, 4, 3, 9)], // héllo, score 0.3
  [],
  [range(4, 3, 4, 6)], // e + U+0301 + x, score 0.5
  [],
  [],
  [range(3, 10, 3, 12)], // 🙂, score 1
];
const EXPECTED_FOCUS = range(4, 1, 4, 2);

test('bucketOf is min(7, floor(score * 8))', () => {
  const cases = [[0, 0], [0.124, 0], [0.125, 1], [0.2499, 1], [0.25, 2], [0.5, 4], [0.874, 6], [0.875, 7], [0.999, 7], [1, 7]];
  for (const [score, bucket] of cases) assert.equal(D.bucketOf(score), bucket, `score ${score}`);
});

test('lineStarts: LF, CRLF and a lone CR', () => {
  assert.deepEqual(D.lineStarts('ab\ncd\r\nef\rg'), [0, 3, 7, 10]);
  assert.deepEqual(D.lineStarts(''), [0]);
  assert.deepEqual(D.lineStarts('x\r\n'), [0, 3]);
});

test('positionAt: across lines from a base position, and inside a CRLF', () => {
  const starts = D.lineStarts(CRLF_TEXT);
  assert.deepEqual(D.positionAt(CRLF_TEXT, starts, 0, BASE), pos(3, 4));
  assert.deepEqual(D.positionAt(CRLF_TEXT, starts, 8, BASE), pos(3, 12)); // after the emoji
  assert.deepEqual(D.positionAt(CRLF_TEXT, starts, 14, BASE), pos(3, 18)); // before \r
  assert.deepEqual(D.positionAt(CRLF_TEXT, starts, 15, BASE), pos(3, 18)); // between \r and \n: end of line
  assert.deepEqual(D.positionAt(CRLF_TEXT, starts, 16, BASE), pos(4, 0));
  assert.deepEqual(D.positionAt(CRLF_TEXT, starts, 22, BASE), pos(4, 6));
  assert.deepEqual(D.positionAt(CRLF_TEXT, starts, 99, BASE), pos(4, 6)); // clamped
});

test('mapHighlight: UTF-16 ranges per bucket across lines, CRLF, emoji, CJK, combining mark', () => {
  const m = D.mapHighlight(result('utf-16'), CRLF_TEXT, BASE);
  assert.deepEqual(m.buckets, EXPECTED_BUCKETS);
  assert.deepEqual(m.focus, EXPECTED_FOCUS);
  assert.deepEqual(m.focusSpan, { start: 17, end: 18 });
  assert.equal(m.window, undefined);
  assert.deepEqual(m.units.map((u) => [u.utf16Start, u.utf16End, u.bucket, u.value]),
    [[0, 5, 2, 0.6], [6, 8, 7, 2], [9, 14, 0, 0.0001], [16, 17, 1, 0.25], [19, 22, 4, 1]]);
});

test('mapHighlight: the LF twin of the text gives the same positions', () => {
  const m = D.mapHighlight(result('utf-16', { shift: -1 }), LF_TEXT, BASE);
  assert.deepEqual(m.buckets, EXPECTED_BUCKETS);
  assert.deepEqual(m.focus, EXPECTED_FOCUS);
});

test('mapHighlight: a result in utf-8 or utf-32 offsets maps to the same UTF-16 positions', () => {
  for (const encoding of ['utf-8', 'utf-32']) {
    const m = D.mapHighlight(result(encoding, { window: true }), CRLF_TEXT, BASE);
    assert.deepEqual(m.buckets, EXPECTED_BUCKETS, encoding);
    assert.deepEqual(m.focus, EXPECTED_FOCUS, encoding);
    assert.deepEqual(m.window, range(3, 10, 4, 6), encoding);
    assert.deepEqual(m.windowSpan, { start: 6, end: 22 }, encoding);
  }
});

test('mapHighlight: the window of a long text', () => {
  const m = D.mapHighlight(result('utf-16', { window: true }), CRLF_TEXT, BASE);
  assert.deepEqual(m.window, range(3, 10, 4, 6));
});

test('mapHighlight: every unit but the focus is marked, the lowest bucket included', () => {
  const m = D.mapHighlight(result('utf-16'), CRLF_TEXT, BASE);
  assert.equal(m.buckets.flat().length, 5);
  assert.equal(m.buckets[0].length, 1);
});

test('mapHighlight: a unit of value 0 (a decoder\'s token after a from focus) is not drawn', () => {
  const r = result('utf-16');
  r.ranges[2] = { ...r.ranges[2], score: 0, value: 0 }; // wörld: nothing flows
  const m = D.mapHighlight(r, CRLF_TEXT, BASE);
  assert.deepEqual(m.buckets, [[], ...EXPECTED_BUCKETS.slice(1)]);
  assert.deepEqual(m.units.map((u) => u.utf16Start), [0, 6, 16, 19]);
});

test('mapHighlight: overlapping units (byte-level tokens sharing a character) are each drawn', () => {
  const text = 'a 東京.';
  const ranges = [[1, 3, 0.5], [2, 3, 0.125], [2, 3, 0.25], [3, 4, 1], [3, 4, 0.125]]
    .map(([start, end, score]) => ({ start, end, score, value: score * 2 }));
  const m = D.mapHighlight({ positionEncoding: 'utf-16', ranges, focus: { start: 4, end: 5 }, method: 'attention', layer: 0 }, text);
  assert.deepEqual(m.buckets.map((b) => b.map((x) => [x.start.character, x.end.character])),
    [[], [[2, 3], [3, 4]], [[2, 3]], [], [[1, 3]], [], [], [[3, 4]]]);
});

test('mapHighlight: a base at the start of the document', () => {
  const m = D.mapHighlight(result('utf-16'), CRLF_TEXT);
  assert.deepEqual(m.buckets[7], [range(0, 6, 0, 8)]);
  assert.deepEqual(m.focus, range(1, 1, 1, 2));
});

test('utf16ToUtf32 and utf32ToUtf16: emoji, CJK, combining mark', () => {
  const utf16 = [0, 5, 6, 8, 9, 14, 15, 16, 17, 18, 19, 20, 21, 22];
  const utf32 = [0, 5, 6, 7, 8, 13, 14, 15, 16, 17, 18, 19, 20, 21];
  for (let i = 0; i < utf16.length; i++) {
    assert.equal(D.utf16ToUtf32(CRLF_TEXT, utf16[i]), utf32[i], `utf16 ${utf16[i]}`);
    assert.equal(D.utf32ToUtf16(CRLF_TEXT, utf32[i]), utf16[i], `utf32 ${utf32[i]}`);
  }
  assert.equal(D.toUtf16Offset(CRLF_TEXT, 11, 'utf-8'), 8); // after the 4-byte emoji
  assert.equal(D.toUtf16Offset(CRLF_TEXT, 20, 'utf-8'), 16); // 東 after \r\n
});

test('paragraphAt: the run of non-blank lines around a line', () => {
  const lines = ['# title', '', 'one', 'two', '   ', 'three'];
  const at = (n) => D.paragraphAt((i) => lines[i], lines.length, n);
  assert.deepEqual(at(2), { first: 2, last: 3 });
  assert.deepEqual(at(3), { first: 2, last: 3 });
  assert.deepEqual(at(0), { first: 0, last: 0 });
  assert.deepEqual(at(5), { first: 5, last: 5 });
  assert.equal(at(1), undefined);
  assert.equal(at(4), undefined);
});

test('mapHighlight: an empty span (an inserted [CLS]/[SEP]) is never drawn; a typed [MASK] is', () => {
  const text = 'a [MASK]';
  const m = D.mapHighlight({
    positionEncoding: 'utf-16',
    ranges: [{ start: 0, end: 0, score: 1, value: 3 }, { start: 2, end: 8, score: 0.5, value: 1.5 }],
    focus: { start: 0, end: 1 },
    method: 'attention',
    layer: 5,
  }, text);
  assert.deepEqual(m.buckets.flat(), [range(0, 2, 0, 8)]);
  assert.deepEqual(m.buckets[4], [range(0, 2, 0, 8)]);
});
