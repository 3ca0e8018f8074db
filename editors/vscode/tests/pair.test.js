'use strict';
// Translation-pair mode with an encoder-decoder model: the checkout's tiny random Marian model
// (Tests/Fixtures/models/tiny-marian; ModelInfo `encoderDecoder: true`, 2 decoder layers,
// crossMethods norm-summed, attention, norm), through the extension's commands, the vscode
// stand-in and the real daemon. Line 1 is the source, line 2 the target. On line 2 the shading
// lies on line 1 and is the daemon's cross-attention answer (asked for here with a client of the
// test's own), the score-1 unit gets the aligned decoration, Cycle Method walks crossMethods, the
// hover says "aligned to"; on line 1 it is the ordinary highlight of line 1 alone; MiniLM on the
// same two lines is unchanged. Line 3 and an empty line 2 shade nothing and say so once; a blank
// line 1 gets the daemon's -32602; Set Layer on line 2 stays within decoderLayers.

const path = require('path');
const test = require('node:test');
const assert = require('node:assert/strict');
const { createHeed } = require('../extension');
const { HeedClient } = require('../client');
const P = require('../pair');
const { createFakeVscode, Position } = require('./fake-vscode');
const { heedExecutable } = require('./support');

const HEED = heedExecutable();
const ENV = { ...process.env, HEED_EXECUTABLE: HEED };
const MARIAN = path.resolve(__dirname, '..', '..', '..', 'Tests', 'Fixtures', 'models', 'tiny-marian');
// ASCII: UTF-16 offsets are characters. "braune" is 13-19 of TGT, "Fuchs" 20-25; "fox" 16-19 of SRC.
const SRC = 'The quick brown fox jumps over the lazy dog.';
const TGT = 'Der schnelle braune Fuchs springt.';
const DOC = `${SRC}\n${TGT}\n`;
const L2 = SRC.length + 1; // document offset of line 2
const CROSS = ['norm-summed', 'attention', 'norm'];

function setup(t, settings = {}) {
  const { vscode, driver } = createFakeVscode({ 'heed.executable': HEED, 'heed.model': MARIAN, ...settings });
  const heed = createHeed(vscode, { env: ENV });
  t.after(() => heed.dispose());
  return { vscode, driver, heed, recorded: driver.recorded };
}

/** The daemon's own heed/highlight answer (a client of the test's own). */
async function ask(t, params) {
  const client = new HeedClient({ command: HEED });
  t.after(() => client.stop());
  await client.start();
  return client.request('heed/highlight', params);
}

const targetParams = (method, offset, granularity = 'token') => ({
  model: MARIAN, text: SRC, target: TGT, focusIn: 'target', focus: { start: offset, end: offset }, method,
  layer: 'last', granularity,
});

/** Every drawn range with its bucket, sorted: [line, start, endLine, end, bucket]. */
function flat(drawn) {
  return drawn.buckets.flatMap((rs, k) => rs.map((r) => [...r, k]))
    .sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[3] - y[3] || x[4] - y[4]);
}

/** What an answer implies on line 1 (row 0): [0, start, 0, end, bucket]. */
function expected(answer) {
  return answer.ranges.filter((r) => r.value !== 0)
    .map((r) => [0, r.start, 0, r.end, Math.min(7, Math.floor(r.score * 8))])
    .sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[3] - y[3] || x[4] - y[4]);
}

const alignedType = (recorded) => recorded.decorationTypes.find((d) => d.options.textDecoration === 'underline');

function alignedDrawn(editor, recorded) {
  return (editor.decorations.get(alignedType(recorded)) || [])
    .map((r) => [r.start.line, r.start.character, r.end.line, r.end.character]);
}

/** Checks a target focus at `offset` of line 2 by `method` against the daemon. */
async function checkTarget(t, driver, editor, recorded, method, offset) {
  const answer = await ask(t, targetParams(method, offset));
  assert.equal(answer.rangesIn, 'source');
  const drawn = driver.drawn(editor);
  const units = flat(drawn);
  assert.ok(units.length > 0, `${method}: something is shaded`);
  for (const u of units) assert.ok(u[0] === 0 && u[2] === 0 && u[3] <= SRC.length, `${method}: a shade off line 1: ${u}`);
  assert.deepEqual(units, expected(answer), `${method}: the buckets on line 1`);
  assert.deepEqual(drawn.focus, [[1, answer.focus.start, 1, answer.focus.end]], `${method}: the focus on line 2`);
  const one = answer.ranges.find((r) => r.score === 1);
  assert.ok(one, `${method}: a score-1 range`);
  assert.deepEqual(alignedDrawn(editor, recorded), [[0, one.start, 0, one.end]], `${method}: the aligned unit`);
  return { answer, one };
}

test('pair mode: line 2 shades line 1 by cross-attention; the toggle cycles crossMethods', async (t) => {
  const { driver, heed, recorded } = setup(t);
  const editor = driver.open(DOC);
  driver.select(editor, L2 + 15); // inside "braune"
  await heed.commands.analyzeSelection();
  await heed.settle();
  assert.deepEqual(recorded.errors, []);
  const info = heed.state.models.get(MARIAN);
  assert.equal(info.encoderDecoder, true);
  assert.deepEqual(info.crossMethods, CROSS);
  assert.equal(info.decoderLayers, 2);
  const { answer, one } = await checkTarget(t, driver, editor, recorded, 'norm-summed', 15);
  assert.ok(answer.focus.start >= 13 && answer.focus.end <= 19, 'the focus is in "braune"');
  assert.equal(driver.status().text, `$(eye) ${MARIAN} · cross norm-summed · decoder layer 1 · to source`);

  // the hover on the focus says what it is aligned to
  const hover = await heed.hoverProvider.provideHover(editor.document, new Position(1, 15));
  const md = hover.contents.value !== undefined ? hover.contents.value : String(hover.contents);
  assert.match(md, new RegExp(`aligned to: \`${SRC.slice(one.start, one.end).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\``));

  // Show Info says it too
  await heed.commands.showInfo();
  const shown = recorded.infos[recorded.infos.length - 1];
  assert.ok(shown && shown.includes(`aligned to: "${SRC.slice(one.start, one.end)}"`), `Show Info: ${shown}`);

  // one command: the next cross method; the encoder's method stays
  for (const m of ['attention', 'norm', 'norm-summed']) {
    await heed.commands.cycleMethod();
    await heed.settle();
    assert.equal(heed.state.crossMethod, m);
    assert.equal(heed.state.method, 'norm-summed');
    await checkTarget(t, driver, editor, recorded, m, 15);
  }
  await heed.commands.cycleMethod('attn-res');
  assert.equal(heed.state.crossMethod, 'norm-summed', 'attn-res is no cross method');
  assert.equal(recorded.errors.length, 1);

  // the cursor moves to "Fuchs"
  driver.select(editor, L2 + 21);
  await heed.settle();
  await checkTarget(t, driver, editor, recorded, 'norm-summed', 21);
});

test('pair mode: line 1 is the ordinary highlight of line 1 alone', async (t) => {
  const { driver, heed, recorded } = setup(t);
  const editor = driver.open(DOC);
  driver.select(editor, 17); // inside "fox"
  await heed.commands.analyzeSelection();
  await heed.settle();
  const answer = await ask(t, { model: MARIAN, text: SRC, focus: { start: 17, end: 17 }, method: 'norm-summed',
    layer: 'last', direction: 'from', granularity: 'token' });
  const drawn = driver.drawn(editor);
  assert.deepEqual(flat(drawn), expected(answer), 'line 1: the encoder self-attention');
  assert.deepEqual(drawn.focus, [[0, answer.focus.start, 0, answer.focus.end]]);
  assert.deepEqual(alignedDrawn(editor, recorded), [], 'no aligned unit on line 1');
  assert.equal(heed.state.analysis.params.target, undefined);
  // on line 1 the toggle is the encoder's
  await heed.commands.cycleMethod();
  await heed.settle();
  assert.equal(heed.state.method, heed.state.models.get(MARIAN).methods[1]);
  assert.equal(heed.state.crossMethod, undefined);
  // to line 2 and back
  await heed.commands.cycleMethod('norm-summed');
  driver.select(editor, L2 + 15);
  await heed.settle();
  await checkTarget(t, driver, editor, recorded, 'norm-summed', 15);
  driver.select(editor, 17);
  await heed.settle();
  assert.deepEqual(flat(driver.drawn(editor)), expected(answer));
  assert.deepEqual(alignedDrawn(editor, recorded), []);
  assert.deepEqual(recorded.errors, []);
});

test('pair mode: word granularity aligns whole words; CRLF documents', async (t) => {
  const { driver, heed, recorded } = setup(t, { 'heed.granularity': 'word' });
  const editor = driver.open(`${SRC}\r\n${TGT}\r\n`);
  driver.select(editor, L2 + 1 + 15);
  await heed.commands.analyzeSelection();
  await heed.settle();
  const answer = await ask(t, targetParams('norm-summed', 15, 'word'));
  assert.deepEqual(flat(driver.drawn(editor)), expected(answer));
  const one = answer.ranges.find((r) => r.score === 1);
  assert.deepEqual(alignedDrawn(editor, recorded), [[0, one.start, 0, one.end]]);
  assert.equal(heed.state.analysis.params.focus.start, 15, 'the offset in line 2, after "\\r\\n"');
});

const nothingDrawn = (driver, editor, recorded) => {
  const drawn = driver.drawn(editor);
  assert.deepEqual(flat(drawn), [], 'no shade');
  assert.deepEqual(drawn.focus, [], 'no focus');
  assert.deepEqual(alignedDrawn(editor, recorded), [], 'no aligned unit');
};

test('pair mode: line 3 or later shades nothing and says so once', async (t) => {
  const { driver, heed, recorded } = setup(t);
  const editor = driver.open(`${SRC}\n${TGT}\nEine dritte Zeile.\nUnd eine vierte.\n`);
  const L3 = L2 + TGT.length + 1;
  const L4 = L3 + 'Eine dritte Zeile.'.length + 1;
  const note = `Heed: ${P.BEYOND}`;
  const count = () => recorded.statusMessages.filter((m) => m === note).length;
  driver.select(editor, L3 + 5);
  await heed.commands.analyzeSelection();
  await heed.settle();
  const a = heed.state.analysis;
  assert.ok(a, 'the analysis stays');
  assert.equal(a.pairSide, 'beyond');
  assert.equal(a.result, undefined, 'no request (not the last token of line 2)');
  assert.equal(a.params, undefined);
  nothingDrawn(driver, editor, recorded);
  assert.equal(count(), 1, 'the note');
  // line 2 shades line 1
  driver.select(editor, L2 + 15);
  await heed.settle();
  await checkTarget(t, driver, editor, recorded, 'norm-summed', 15);
  // line 4: the shading goes, the note is not repeated
  driver.select(editor, L4 + 3);
  await heed.settle();
  assert.equal(heed.state.analysis.pairSide, 'beyond');
  nothingDrawn(driver, editor, recorded);
  assert.equal(count(), 1, 'the note is said once');
  assert.deepEqual(recorded.errors, []);
});

test('pair mode: an empty or blank line 2 shades nothing and says so', async (t) => {
  for (const target of ['', '   ']) {
    const { driver, heed, recorded } = setup(t);
    const editor = driver.open(`${SRC}\n${target}\n`);
    driver.select(editor, L2 + Math.min(1, target.length));
    await heed.commands.analyzeSelection();
    await heed.settle();
    assert.deepEqual(recorded.errors, [], `no error for ${JSON.stringify(target)}`);
    const a = heed.state.analysis;
    assert.ok(a, 'the analysis stays');
    assert.equal(a.pairSide, 'target');
    assert.equal(a.result, undefined);
    nothingDrawn(driver, editor, recorded);
    assert.equal(recorded.statusMessages[recorded.statusMessages.length - 1], 'Heed: the target line (line 2) is empty');
    // line 1 still shades
    driver.select(editor, 17);
    await heed.settle();
    assert.equal(heed.state.analysis.pairSide, 'source');
    assert.ok(flat(driver.drawn(editor)).length > 0, 'line 1 is shaded');
    assert.deepEqual(recorded.errors, []);
  }
});

test('pair mode: a blank line 1 gets the daemon\'s -32602 about the empty source', async (t) => {
  const { driver, heed, recorded } = setup(t);
  const editor = driver.open(`  \n${TGT}\n`);
  driver.select(editor, 3 + 15);
  await heed.commands.analyzeSelection();
  await heed.settle();
  assert.equal(recorded.errors.length, 1);
  assert.match(recorded.errors[0], /^Heed: Invalid params: .*the source is empty/);
  assert.deepEqual(flat(driver.drawn(editor)), []);
});

test('pair mode: Set Layer on line 2 chooses among the decoder\'s layers, on line 1 the encoder\'s', async (t) => {
  const { driver, heed, recorded } = setup(t);
  const editor = driver.open(DOC);
  driver.select(editor, L2 + 15);
  await heed.commands.analyzeSelection();
  await heed.settle();
  assert.equal(heed.state.analysis.params.layer, 'last');
  await heed.commands.setLayer(0);
  await heed.settle();
  assert.equal(heed.state.decoderLayer, 0);
  assert.equal(heed.state.layer, 'last', 'the encoder layer is untouched');
  const answer = await ask(t, { ...targetParams('norm-summed', 15), layer: 0 });
  assert.equal(answer.layer, 0);
  assert.equal(heed.state.analysis.params.layer, 0);
  assert.deepEqual(flat(driver.drawn(editor)), expected(answer), 'line 1 shaded by decoder layer 0');
  assert.equal(driver.status().text, `$(eye) ${MARIAN} · cross norm-summed · decoder layer 0 · to source`);
  // the range is decoderLayers, not the encoder's `layers` (made different here)
  const info = heed.state.models.get(MARIAN);
  const layers = info.layers;
  info.layers = 6;
  try {
    await heed.commands.setLayer(3);
    assert.equal(recorded.errors.length, 1);
    assert.match(recorded.errors[0], /decoder layer 3 is out of range: .* has decoder layers 0-1/);
    assert.equal(heed.state.decoderLayer, 0);
    await heed.commands.setLayer('prev');
    assert.equal(heed.state.decoderLayer, 1, 'prev wraps within the 2 decoder layers');
    await heed.commands.setLayer('next');
    assert.equal(heed.state.decoderLayer, 0, 'next wraps within the 2 decoder layers');
  } finally {
    info.layers = layers;
  }
  await heed.settle();
  // line 1: the encoder's layers; the decoder layer stays
  driver.select(editor, 17);
  await heed.settle();
  await heed.commands.setLayer(0);
  await heed.settle();
  assert.equal(heed.state.layer, 0);
  assert.equal(heed.state.decoderLayer, 0);
  assert.equal(heed.state.analysis.pairSide, 'source');
  assert.deepEqual([heed.state.analysis.params.layer, heed.state.analysis.params.target], [0, undefined]);
  assert.equal(recorded.errors.length, 1);
});

test('pair helpers: params and offsets', () => {
  const pair = { source: 'ab cd', target: 'xy z', targetStart: 6 };
  const info = { encoderDecoder: true, crossMethods: CROSS, decoderLayers: 2 };
  const state = { model: 'm', method: 'attention', layer: 3, direction: 'to', granularity: 'token' };
  assert.equal(P.isPair(info), true);
  assert.equal(P.isPair({ methods: [] }), false);
  assert.deepEqual(P.paramsFor(pair, 8, state, info), { side: 'target', params: {
    model: 'm', text: 'ab cd', target: 'xy z', focusIn: 'target', focus: { start: 2, end: 2 }, method: 'norm-summed',
    layer: 'last', granularity: 'token' } });
  assert.deepEqual(P.paramsFor(pair, 5, state, info).params.focus, { start: 5, end: 5 });
  assert.equal(P.paramsFor(pair, 5, state, info).side, 'source');
  assert.deepEqual(P.toSpan({ ranges: [], focus: { start: 1, end: 2 } }, 'target', 6).focus, { start: 7, end: 8 });
  // line 3 or later, an empty line 2: no params, a note; the decoder's own layer
  assert.deepEqual(P.paramsFor(pair, 8, state, info, 2), { params: undefined, side: 'beyond', note: P.BEYOND });
  assert.deepEqual(P.paramsFor({ ...pair, target: ' \t' }, 7, state, info, 1),
    { params: undefined, side: 'target', note: P.EMPTY_TARGET });
  assert.equal(P.paramsFor(pair, 8, { ...state, decoderLayer: 1 }, info, 1).params.layer, 1);
  assert.equal(P.paramsFor(pair, 8, { ...state, decoderLayer: 2 }, info, 1).params.layer, 'last');
  assert.equal(P.paramsFor(pair, 5, { ...state, decoderLayer: 0 }, info, 0).params.layer, 3, 'line 1: the encoder layer');
  assert.equal(P.decoderLayer({ decoderLayer: 'last' }, info), 1);
  assert.equal(P.decoderLayer({ decoderLayer: 0 }, info), 0);
  assert.equal(P.decoderLayer({}, { decoderLayers: 0 }), undefined);
});

test('minilm on the same two lines is unchanged', async (t) => {
  const { driver, heed, recorded } = setup(t, { 'heed.model': 'minilm' });
  const editor = driver.open(DOC);
  driver.select(editor, L2 + 15);
  await heed.commands.analyzeSelection();
  await heed.settle();
  assert.deepEqual(recorded.errors, []);
  const a = heed.state.analysis;
  assert.equal(a.params.text, `${SRC}\n${TGT}`);
  assert.equal(a.params.target, undefined);
  assert.equal(a.pair, undefined);
  assert.deepEqual(alignedDrawn(editor, recorded), []);
  const lines = new Set(flat(driver.drawn(editor)).map((u) => u[0]));
  assert.deepEqual([...lines].sort(), [0, 1], 'both lines shaded');
});
