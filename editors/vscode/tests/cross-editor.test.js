'use strict';
// The shared cross-editor fixture (editors/fixtures/README.md): open its text, select its
// selection, run heed.analyzeSelection, put the cursor at its cursor, and read back what is
// drawn, converted from VS Code positions to utf-32 offsets of the text. With HEED_CROSS_OUT
// set, the result is written to $HEED_CROSS_OUT/vscode.json for check_cross_editor.py.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { HeedClient } = require('../client');
const { heedExecutable, FIXTURE, FIXTURE_UNITS, shadeFixture } = require('./support');

const HEED = heedExecutable();

test('cross-editor fixture: the shading in utf-32 offsets equals the daemon answer in utf-32', async (t) => {
  const run = await shadeFixture();
  t.after(() => run.heed.dispose());
  const shaded = { focus: run.focus, marks: run.marks };
  // Written before any assertion, so a disagreement shows up in check_cross_editor.py too.
  const out = process.env.HEED_CROSS_OUT;
  if (out) {
    fs.mkdirSync(out, { recursive: true });
    const marks = shaded.marks.map((m) => `  ${JSON.stringify(m)}`).join(',\n');
    fs.writeFileSync(path.join(out, 'vscode.json'), `{"focus": ${JSON.stringify(shaded.focus)},\n "marks": [\n${marks}\n]}\n`);
  }

  // The daemon asked directly, in utf-32 offsets (the fixture's own unit).
  const client = new HeedClient({ command: HEED, positionEncodings: ['utf-32'] });
  t.after(() => client.stop());
  await client.start();
  assert.equal(client.positionEncoding, 'utf-32');
  const { start, end } = FIXTURE.selection;
  const text = [...FIXTURE.text].slice(start, end).join(''); // the selection, by scalars
  const cursor = FIXTURE.cursor - start;
  const r = await client.request('heed/highlight', {
    model: FIXTURE.model, text, focus: { start: cursor, end: cursor },
    method: FIXTURE.method, layer: FIXTURE.layer, direction: FIXTURE.direction,
  });
  assert.deepEqual(shaded.focus, { start: r.focus.start + start, end: r.focus.end + start });
  assert.deepEqual(shaded.marks, r.ranges.map((x) => ({
    start: x.start + start, end: x.end + start, bucket: Math.min(7, Math.floor(x.score * 8)),
  })));

  // Exact: "keys" is the focus; 21 units, the emoji in bucket 0, "to" in 7.
  assert.deepEqual(shaded.focus, { start: 12, end: 16 });
  assert.equal(shaded.marks.length, 21);
  // FIXTURE_UNITS are UTF-16 offsets; after the emoji (UTF-16 66-68) utf-32 counts one less.
  const utf32 = (o) => (o >= 68 ? o - 1 : o);
  assert.deepEqual(shaded.marks, FIXTURE_UNITS.map(([s, e, bucket]) => ({ start: utf32(s), end: utf32(e), bucket })));
  assert.deepEqual(shaded.marks.find((m) => m.start === 66), { start: 66, end: 67, bucket: 0 }); // 🙂

});
