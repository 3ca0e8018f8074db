'use strict';
// The shared cross-editor fixtures (editors/fixtures/README.md): open the text, select the
// selection, run heed.analyzeSelection, put the cursor at the cursor, and read back what is
// drawn, converted from VS Code positions to utf-32 offsets of the text. With HEED_CROSS_OUT
// set, the result is written to $HEED_CROSS_OUT/vscode.json (cross-editor.json, MiniLM) and
// vscode-smollm2.json (cross-editor-smollm2.json, a decoder) for check_cross_editor.py.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { HeedClient } = require('../client');
const { heedExecutable, loadFixture, FIXTURE, FIXTURE_UNITS, shadeFixture } = require('./support');

const HEED = heedExecutable();

/**
 * Shades a fixture, writes $HEED_CROSS_OUT/vscode<suffix>.json, and checks the shading against
 * the daemon asked directly in utf-32 offsets (the fixture's own unit); returns the shading.
 * @param {any} t @param {string} name @param {any} fixture
 */
async function crossCheck(t, name, fixture) {
  const run = await shadeFixture({}, {}, fixture);
  t.after(() => run.heed.dispose());
  const shaded = { focus: run.focus, marks: run.marks };
  // Written before any assertion, so a disagreement shows up in check_cross_editor.py too.
  const out = process.env.HEED_CROSS_OUT;
  if (out) {
    fs.mkdirSync(out, { recursive: true });
    const marks = shaded.marks.map((m) => `  ${JSON.stringify(m)}`).join(',\n');
    const file = `vscode${name.slice('cross-editor'.length, -'.json'.length)}.json`;
    fs.writeFileSync(path.join(out, file), `{"focus": ${JSON.stringify(shaded.focus)},\n "marks": [\n${marks}\n]}\n`);
  }

  const client = new HeedClient({ command: HEED, positionEncodings: ['utf-32'] });
  t.after(() => client.stop());
  await client.start();
  assert.equal(client.positionEncoding, 'utf-32');
  const { start, end } = fixture.selection;
  const text = [...fixture.text].slice(start, end).join(''); // the selection, by scalars
  const cursor = fixture.cursor - start;
  const r = await client.request('heed/highlight', {
    model: fixture.model, text, focus: { start: cursor, end: cursor },
    method: fixture.method, layer: fixture.layer, direction: fixture.direction,
  });
  assert.deepEqual(shaded.focus, { start: r.focus.start + start, end: r.focus.end + start });
  // every range but those of value 0 (no shade), in text order (overlaps by end, bucket)
  assert.deepEqual(shaded.marks, r.ranges.filter((x) => x.value !== 0).map((x) => ({
    start: x.start + start, end: x.end + start, bucket: Math.min(7, Math.floor(x.score * 8)),
  })).sort((a, b) => a.start - b.start || a.end - b.end || a.bucket - b.bucket));
  return shaded;
}

test('cross-editor fixture: the shading in utf-32 offsets equals the daemon answer in utf-32', async (t) => {
  const shaded = await crossCheck(t, 'cross-editor.json', FIXTURE);

  // Exact: "keys" is the focus; 21 units, the emoji in bucket 0, "to" in 7.
  assert.deepEqual(shaded.focus, { start: 12, end: 16 });
  assert.equal(shaded.marks.length, 21);
  // FIXTURE_UNITS are UTF-16 offsets; after the emoji (UTF-16 66-68) utf-32 counts one less.
  const utf32 = (o) => (o >= 68 ? o - 1 : o);
  assert.deepEqual(shaded.marks, FIXTURE_UNITS.map(([s, e, bucket]) => ({ start: utf32(s), end: utf32(e), bucket })));
  assert.deepEqual(shaded.marks.find((m) => m.start === 66), { start: 66, end: 67, bucket: 0 }); // 🙂

});

test('cross-editor fixture with a decoder (SmolLM2): the same, causal', async (t) => {
  const fixture = loadFixture('cross-editor-smollm2.json');
  const shaded = await crossCheck(t, 'cross-editor-smollm2.json', fixture);
  // the focus " far" (its space included); the 29 tokens before it shaded (five overlap over
  // the combining mark, 東 and 京), the "." after it not
  assert.deepEqual(shaded.focus, { start: 79, end: 83 });
  assert.equal(shaded.marks.length, 29);
  assert.ok(shaded.marks.every((m) => m.end <= 79));
  assert.deepEqual(shaded.marks.filter((m) => m.start >= 72 && m.end <= 75).map((m) => [m.start, m.end]),
    [[72, 74], [73, 74], [73, 74], [74, 75], [74, 75]]);
});
