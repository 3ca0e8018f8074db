'use strict';
// A decoder, unchanged: SmolLM2 (catalog `smollm2`, a causal, pre-norm Llama-family model with a
// byte-level BPE tokenizer) through the extension's commands, the vscode stand-in and the real
// daemon. The extension reads its ModelInfo (methods without attn-res-ln, causal), shades by
// weight and by norm, cycles only the methods the model lists, and shades causally: a `from`
// focus sees only itself and what precedes it; a cursor at the start of a token makes the token
// before it the focus (protocol.md section 5.6).

const test = require('node:test');
const assert = require('node:assert/strict');
const { createHeed } = require('../extension');
const { HeedClient } = require('../client');
const { createFakeVscode } = require('./fake-vscode');
const { heedExecutable } = require('./support');

const HEED = heedExecutable();
const ENV = { ...process.env, HEED_EXECUTABLE: HEED };

// Byte-level BPE tokens carry the space before a word: 'The' 0-3, ' keys' 3-8, ' to' 8-11,
// ' the' 11-15, ' cabinet' 15-23, ... Line 1 starts at offset 42; the UTF-8 bytes of 東京
// (characters 12 and 13 of line 1) are split over five overlapping tokens. No astral
// characters: UTF-16 offsets equal the daemon's utf-32 ones here.
const TEXT = 'The keys to the cabinet are on the table.\nZürich said 東京 was far.';
const DOC = `${TEXT}\n`;
const CABINET = 17; // the 'a' of 'cabinet'
const FAR = 62; // the 'a' of 'far' (line 1, character 20)
const METHODS = ['norm-summed', 'attention', 'attn-res', 'norm', 'rollout', 'norm-rollout', 'alti', 'alti-rollout',
  'value-zeroing'];

function setup(t, settings = {}) {
  const { vscode, driver } = createFakeVscode({ 'heed.executable': HEED, 'heed.model': 'smollm2', ...settings });
  const heed = createHeed(vscode, { env: ENV });
  t.after(() => heed.dispose());
  return { vscode, driver, heed, recorded: driver.recorded };
}

/** The daemon's own answer on TEXT with the cursor at `offset` (a client of the test's own). */
async function ask(t, offset, method, direction = 'from', granularity = 'token') {
  const client = new HeedClient({ command: HEED });
  t.after(() => client.stop());
  await client.start();
  return client.request('heed/highlight', {
    model: 'smollm2', text: TEXT, focus: { start: offset, end: offset }, method, direction, granularity,
  });
}

const at = (o) => (o < 42 ? [0, o] : [1, o - 42]);

/** What the answer implies per bucket ([line, start, line, end]; value 0: no shade) and the focus. */
function drawnFrom(result) {
  const buckets = Array.from({ length: 8 }, () => []);
  for (const r of result.ranges) {
    if (r.value !== 0) buckets[Math.min(7, Math.floor(r.score * 8))].push([...at(r.start), ...at(r.end)]);
  }
  return { buckets, focus: [[...at(result.focus.start), ...at(result.focus.end)]] };
}

/** Every drawn range, sorted, with its bucket: [line, start, line, end, bucket]. */
function flat(drawn) {
  return drawn.buckets.flatMap((rs, k) => rs.map((r) => [...r, k]))
    .sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[3] - y[3] || x[4] - y[4]);
}

/** Checks the drawing against the daemon's answer; returns the drawn ranges. */
async function check(t, driver, editor, offset, method, direction = 'from', granularity = 'token') {
  const answer = await ask(t, offset, method, direction, granularity);
  const drawn = driver.drawn(editor);
  assert.deepEqual(flat(drawn), flat(drawnFrom(answer)), `${method} ${direction}: the buckets`);
  assert.deepEqual(drawn.focus, drawnFrom(answer).focus, `${method} ${direction}: the focus`);
  return { ranges: flat(drawn), answer };
}

/** No drawn range ends after line 0, character `col`. */
function before(ranges, col, what) {
  for (const r of ranges) assert.ok(r[2] === 0 && r[3] <= col, `${what}: a range after the focus: ${r}`);
}

test('smollm2: causal shading by norm and by weight, the cycle without attn-res-ln', async (t) => {
  const { driver, heed, recorded } = setup(t);
  const editor = driver.open(DOC);
  driver.select(editor, CABINET);
  await heed.commands.analyzeSelection();
  assert.deepEqual(recorded.errors, []);
  const info = heed.state.models.get('smollm2');
  assert.deepEqual(info.methods, METHODS, "ModelInfo's methods: pre-norm, no attn-res-ln");
  assert.equal(info.causal, true);

  // by norm: exactly the four tokens before " cabinet", "The" (the first token) in the top bucket
  const { ranges, answer } = await check(t, driver, editor, CABINET, 'norm-summed');
  assert.deepEqual(driver.drawn(editor).focus, [[0, 15, 0, 23]], 'the focus " cabinet", its space included');
  assert.deepEqual(ranges.map((r) => r.slice(1, 4)), [[0, 0, 3], [3, 0, 8], [8, 0, 11], [11, 0, 15]]);
  assert.equal(ranges[0][4], 7);
  const later = answer.ranges.filter((r) => r.start >= 23);
  assert.equal(later.length, 18, 'the later tokens in the answer (five over 東京)');
  assert.ok(later.every((r) => r.value === 0), 'the daemon: no mass beyond the diagonal');
  assert.equal(driver.status().text, '$(eye) smollm2 · norm-summed · layer 29 (last) · from');

  // one command: attention weights, other buckets, still causal
  await heed.commands.cycleMethod();
  assert.equal(heed.state.method, 'attention');
  const weights = await check(t, driver, editor, CABINET, 'attention');
  assert.notDeepEqual(weights.ranges, ranges);
  assert.equal(weights.ranges.length, 4);
  before(weights.ranges, 15, 'attention');

  // the cycle walks ModelInfo.methods: never attn-res-ln nor globenc; the follow-ups ALTI, ALTI
  // rollout and value zeroing each shaded as the daemon answers, causally
  const seen = ['attention'];
  for (let i = 0; i < 9; i++) {
    await heed.commands.cycleMethod();
    seen.push(heed.state.method);
    const r = await check(t, driver, editor, CABINET, heed.state.method);
    assert.ok(r.ranges.length > 0, `${heed.state.method}: something is shaded`);
    before(r.ranges, 15, heed.state.method);
  }
  assert.deepEqual(seen, ['attention', 'attn-res', 'norm', 'rollout', 'norm-rollout', 'alti', 'alti-rollout',
    'value-zeroing', 'norm-summed', 'attention']);
  await heed.commands.cycleMethod('attn-res-ln');
  await heed.commands.cycleMethod('globenc'); // post-LN encoders only
  assert.deepEqual(recorded.errors, [
    `Heed: smollm2 does not support attn-res-ln (it supports ${METHODS.join(', ')}).`,
    `Heed: smollm2 does not support globenc (it supports ${METHODS.join(', ')}).`,
  ]);
  assert.equal(heed.state.method, 'attention');

  // direction to: only later tokens attend to the focus
  await heed.commands.cycleMethod('norm-summed');
  await heed.commands.cycleDirection('to');
  const to = await check(t, driver, editor, CABINET, 'norm-summed', 'to');
  assert.ok(to.ranges.length > 0);
  for (const r of to.ranges) assert.ok(r[0] === 1 || r[1] >= 23, `a range before the focus: ${r}`);
});

test('smollm2: the first token sees only itself; of overlapping tokens the strongest shows', async (t) => {
  const { driver, heed, recorded, vscode } = setup(t);
  const editor = driver.open(DOC);
  driver.select(editor, 1);
  await heed.commands.analyzeSelection();
  assert.deepEqual(driver.drawn(editor).focus, [[0, 0, 0, 3]]);
  assert.deepEqual(flat(driver.drawn(editor)), [], 'nothing shaded');

  driver.select(editor, FAR);
  await heed.settle();
  assert.deepEqual(recorded.errors, []);
  const { ranges, answer } = await check(t, driver, editor, FAR, 'norm-summed');
  assert.deepEqual(driver.drawn(editor).focus, [[1, 18, 1, 22]], 'the focus " far"');
  assert.deepEqual(ranges.filter((r) => r[0] === 1 && r[1] >= 11 && r[3] <= 14).map((r) => [r[1], r[3]]),
    [[11, 13], [12, 13], [12, 13], [13, 14], [13, 14]], 'the five tokens over " 東京"');
  assert.ok(!ranges.some((r) => r[0] === 1 && r[3] > 18), 'nothing after the focus');
  // the bucket types are created weakest first: where units overlap, the strongest draws on top
  const order = Array.from({ length: 8 }, (_, k) => recorded.decorationTypes.indexOf(driver.bucketType(k)));
  assert.deepEqual([...order].sort((x, y) => x - y), order);
  // the hover names the strongest unit under the cursor, as drawn
  const provider = recorded.hoverProviders[0].provider;
  for (const ch of [12, 13]) {
    const off = 42 + ch;
    const covering = answer.ranges.filter((r) => r.start <= off && off < r.end);
    const best = covering.reduce((b, r) => (r.score > b.score ? r : b));
    const hover = await provider.provideHover(editor.document, new vscode.Position(1, ch));
    assert.match(hover.contents.value, new RegExp(`· bucket ${Math.min(7, Math.floor(best.score * 8))}\\n`));
    assert.equal(String(hover.range), `[1:${best.start - 42}-1:${best.end - 42}]`);
  }
  // a token after the focus is not shaded and has no hover
  assert.equal(await provider.provideHover(editor.document, new vscode.Position(1, 22)), undefined);
});

test('smollm2: showInfo lists only what the focus sees; word granularity', async (t) => {
  const { driver, heed, recorded, vscode } = setup(t);
  const editor = driver.open(DOC);
  driver.select(editor, CABINET);
  await heed.commands.analyzeSelection();
  await heed.commands.showInfo();
  const norm = (await ask(t, CABINET, 'norm-summed')).ranges.filter((r) => r.value !== 0)
    .sort((x, y) => y.value - x.value);
  assert.equal(norm.length, 4);
  const num = (x) => x.toPrecision(4).replace(/\.?0+$/, '');
  const list = norm.map((r) => `${TEXT.slice(r.start, r.end)} ${num(r.value)}`).join(', ');
  assert.equal(recorded.infos.length, 1);
  let message = recorded.infos[0];
  // ModelInfo says `predicts: true`: the 5 most probable next tokens after the focus, as
  // heed/predict gives them for the text up to it.
  assert.equal(heed.state.models.get('smollm2').predicts, true);
  {
    const client = new HeedClient({ command: HEED });
    t.after(() => client.stop());
    await client.start();
    const want = await client.request('heed/predict', { model: 'smollm2', text: TEXT.slice(0, 23), topK: 5 });
    assert.equal(want.tokens.length, 5);
    const next = ` Next token: ${want.tokens.map((p) => `${JSON.stringify(p.text)} ${(100 * p.probability).toFixed(1)}%`).join(', ')}.`;
    assert.ok(message.endsWith(next), message);
    message = message.slice(0, -next.length);
    const hover = await recorded.hoverProviders[0].provider.provideHover(editor.document, new vscode.Position(0, 17));
    assert.ok(hover.contents.value.endsWith(
      `\nNext token: ${want.tokens.map((p) => `\`${p.text}\` ${(100 * p.probability).toFixed(1)}%`).join(', ')}\n`),
    hover.contents.value);
  }
  assert.ok(message.startsWith('Heed: smollm2 · norm-summed · layer 29 (last) · from. Focus " cabinet". '
    + `Top by norm-summed: ${list}. Top by attention: The 0.`), message);
  assert.equal(message.split('Top by attention: ')[1].split(', ').length, 4);
  heed.dispose();

  const w = setup(t, { 'heed.granularity': 'word' });
  const e2 = w.driver.open(DOC);
  w.driver.select(e2, FAR);
  await w.heed.commands.analyzeSelection();
  const words = await check(t, w.driver, e2, FAR, 'norm-summed', 'from', 'word');
  assert.deepEqual(words.ranges.filter((r) => r[0] === 1).map((r) => [r[1], r[3]]),
    [[0, 6], [6, 11], [11, 14], [14, 18]], '"Zürich", " said", " 東京", " was"');
});

test('smollm2: the token before the cursor is the focus; cycleMethod walks its methods', async (t) => {
  const { vscode, driver } = createFakeVscode({ 'heed.executable': HEED, 'heed.model': 'smollm2' });
  const heed = createHeed(vscode, { env: { ...process.env, HEED_EXECUTABLE: HEED } });
  t.after(() => heed.dispose());
  const text = 'The capital of France is';
  const editor = driver.open(text);
  driver.select(editor, text.length);
  await heed.commands.analyzeSelection();
  assert.deepEqual(driver.recorded.errors, []);

  const client = new HeedClient({ command: HEED });
  t.after(() => client.stop());
  await client.start();
  const info = await client.request('heed/loadModel', { model: 'smollm2' });
  assert.equal(info.causal, true);
  assert.equal(info.predicts, true);
  assert.deepEqual(info.methods, METHODS);
  const direct = await client.request('heed/highlight', {
    model: 'smollm2', text, focus: { start: text.length, end: text.length }, method: 'norm-summed', predict: 1,
  });
  assert.deepEqual(direct.focus, { start: 21, end: 24 }, '" is", the token before the cursor');
  assert.equal(direct.predictions[0].text, ' Paris');
  const drawn = driver.drawn(editor);
  const doc = editor.document;
  const at = (o) => { const p = doc.positionAt(o); return [p.line, p.character]; };
  assert.deepEqual(drawn.focus, [[...at(21), ...at(24)]]);
  const buckets = Array.from({ length: 8 }, () => []);
  for (const r of direct.ranges) buckets[Math.min(7, Math.floor(r.score * 8))].push([...at(r.start), ...at(r.end)]);
  assert.deepEqual(drawn.buckets, buckets);

  // The cursor moves to the space before "France": " France" (14-21) starts at it, so the
  // token before the cursor is " of" (11-14) (an encoder would take " France").
  driver.select(editor, 14);
  await heed.settle();
  assert.deepEqual(driver.drawn(editor).focus, [[...at(11), ...at(14)]]);

  const seen = [heed.state.method];
  for (let i = 0; i < 9; i++) {
    await heed.commands.cycleMethod();
    seen.push(heed.state.method);
  }
  assert.deepEqual(seen, [...METHODS, 'norm-summed']);
  assert.deepEqual(driver.recorded.errors, []);
});
