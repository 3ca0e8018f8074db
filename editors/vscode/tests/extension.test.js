'use strict';
// extension.js driven through its command handlers with the `vscode` stand-in, against the
// real daemon and MiniLM: the decorations set per bucket, the status bar, hover, messages.

const test = require('node:test');
const assert = require('node:assert/strict');
const { createHeed, describeMethod, ROLLOUTS } = require('../extension');
const { HeedClient } = require('../client');
const { createFakeVscode } = require('./fake-vscode');
const { heedExecutable, FIXTURE, FIXTURE_UNITS, sleep } = require('./support');

const HEED = heedExecutable();
const ENV = { ...process.env, HEED_EXECUTABLE: HEED };

// The fixture's two lines as lines 2 and 3 of a CRLF document, between a heading and a last line.
const HEAD = '# notes\r\n\r\n';
const CRLF_DOC = `${HEAD}${FIXTURE.text.replace('\n', '\r\n')}\r\n\r\nlast line\r\n`;
const KEYS = HEAD.length + 13; // document offset of the cursor inside "keys"

/** Per-bucket [line, start, line, end] of FIXTURE_UNITS with the fixture's first line on `line0`. */
function fixtureDrawn(line0) {
  const at = (o) => (o < 50 ? [line0, o] : [line0 + 1, o - 50]); // line 2 starts at LF offset 50
  const buckets = Array.from({ length: 8 }, () => []);
  for (const [s, e, b] of FIXTURE_UNITS) buckets[b].push([...at(s), ...at(e)]);
  return buckets;
}

/** The drawing a daemon answer implies, placed with the stand-in document's own positionAt: a
 * range of value 0 gets no shade (ALTI clips at 0; a decoder's unseen tokens). */
function drawnFrom(result, document, startOffset) {
  const at = (o) => {
    const p = document.positionAt(startOffset + o);
    return [p.line, p.character];
  };
  const buckets = Array.from({ length: 8 }, () => []);
  for (const r of result.ranges) {
    if (r.value !== 0) buckets[Math.min(7, Math.floor(r.score * 8))].push([...at(r.start), ...at(r.end)]);
  }
  return { buckets, focus: [[...at(result.focus.start), ...at(result.focus.end)]] };
}

/** A stand-in window with the extension loaded; stopped after the test. */
function setup(t, settings = {}) {
  const { vscode, driver } = createFakeVscode({ 'heed.executable': HEED, ...settings });
  const heed = createHeed(vscode, { env: ENV });
  t.after(() => heed.dispose());
  return { vscode, driver, heed, recorded: driver.recorded };
}

/** Asks the daemon directly (a client of the test's own). */
async function ask(t, params) {
  const client = new HeedClient({ command: HEED });
  t.after(() => client.stop());
  await client.start();
  return client.request('heed/highlight', { model: 'minilm', ...params });
}

async function until(predicate, what) {
  for (let i = 0; i < 500; i++) {
    if (predicate()) return;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('analyzeSelection without a selection: the paragraph, the cursor as focus, every bucket (CRLF)', async (t) => {
  const { driver, heed, recorded } = setup(t, { 'heed.layer': 2 });
  const editor = driver.open(CRLF_DOC);
  driver.select(editor, KEYS);
  await heed.commands.analyzeSelection();
  assert.deepEqual(recorded.errors, []);
  const drawn = driver.drawn(editor);
  assert.deepEqual(drawn.buckets, fixtureDrawn(2));
  assert.deepEqual(drawn.focus, [[2, 12, 2, 16]]);
  assert.equal(drawn.buckets.flat().length, 21);
  assert.equal(driver.status().text, '$(eye) minilm · norm-summed · layer 2 · from');
  assert.equal(recorded.context.get('heed.active'), true);
  // the model was loaded once, with progress ($/progress begin and end)
  assert.equal(recorded.progress.length, 1);
  assert.equal(recorded.progress[0].options.title, 'Heed: loading minilm');
  assert.equal(recorded.progress[0].options.location, 10); // on disk: the status bar, not a notification
  assert.deepEqual(recorded.progress[0].reports, [{ message: 'Loading minilm' }, { message: 'minilm loaded' }]);
  // one decoration type per bucket, one for the focus and one for a translation pair's aligned
  // unit, created once
  assert.equal(recorded.decorationTypes.length, 10);
});

test('analyzeSelection with a selection: the cursor end is the focus', async (t) => {
  const { driver, heed, recorded } = setup(t, { 'heed.layer': 2 });
  const editor = driver.open(`${FIXTURE.text}\n`);
  // "cabinet are on the table." selected backwards: the cursor is before "cabinet"
  driver.select(editor, 49, 24);
  await heed.commands.analyzeSelection();
  assert.deepEqual(recorded.errors, []);
  const expected = await ask(t, { text: 'cabinet are on the table.', focus: { start: 0, end: 0 }, method: 'norm-summed', layer: 2 });
  const drawn = driver.drawn(editor);
  assert.deepEqual(drawn, drawnFrom(expected, editor.document, 24));
  assert.deepEqual(drawn.focus, [[0, 24, 0, 31]]);
  assert.deepEqual(drawn.buckets.flat().map((r) => r.slice(1, 4).join(':')).sort(),
    ['32:0:35', '36:0:38', '39:0:42', '43:0:48', '48:0:49']);

  // selected forwards: the cursor is at the end, after "." (the unit ending there)
  driver.select(editor, 24, 49);
  await heed.commands.analyzeSelection();
  assert.deepEqual(driver.drawn(editor).focus, [[0, 48, 0, 49]]);
});

test('cycleMethod walks the methods ModelInfo lists and redraws', async (t) => {
  const { driver, heed, recorded } = setup(t, { 'heed.layer': 2 });
  const editor = driver.open(CRLF_DOC);
  driver.select(editor, KEYS);
  await heed.commands.analyzeSelection();
  await heed.commands.cycleMethod();
  assert.equal(driver.status().text, '$(eye) minilm · attention · layer 2 · from');
  const attention = await ask(t, { text: FIXTURE.text.replace('\n', '\r\n'), focus: { start: 13, end: 13 }, method: 'attention', layer: 2 });
  assert.deepEqual(driver.drawn(editor), drawnFrom(attention, editor.document, HEAD.length));

  // every method ModelInfo lists, the follow-ups included, each drawn as the daemon answers
  const seen = ['attention'];
  const drawings = new Map();
  for (let i = 0; i < 10; i++) {
    await heed.commands.cycleMethod();
    const m = heed.state.method;
    seen.push(m);
    if (m === 'norm-summed') continue;
    const rollout = ROLLOUTS.has(m);
    assert.equal(driver.status().text, `$(eye) minilm · ${m} · ${rollout ? 'all layers' : 'layer 2'} · from`);
    assert.equal(recorded.statusMessages.at(-1), `Heed: method ${describeMethod(m)}`);
    const answer = await ask(t, { text: FIXTURE.text.replace('\n', '\r\n'), focus: { start: 13, end: 13 }, method: m, layer: 2 });
    assert.equal(answer.layer, rollout ? null : 2);
    const drawn = driver.drawn(editor);
    assert.deepEqual(drawn, drawnFrom(answer, editor.document, HEAD.length), `${m}: the daemon's shading`);
    assert.ok(drawn.buckets.flat().length > 0, `${m}: something is shaded`);
    drawings.set(m, drawn.buckets);
  }
  assert.deepEqual(seen, ['attention', 'attn-res-ln', 'attn-res', 'norm', 'rollout', 'norm-rollout', 'alti',
    'alti-rollout', 'globenc', 'value-zeroing', 'norm-summed']);
  assert.deepEqual(driver.drawn(editor).buckets, fixtureDrawn(2));
  assert.notDeepEqual(drawings.get('alti'), drawnFrom(attention, editor.document, HEAD.length).buckets);
  assert.notDeepEqual(drawings.get('value-zeroing'), drawings.get('alti'));
  assert.notDeepEqual(drawings.get('globenc'), drawings.get('rollout'));
  assert.match(describeMethod('value-zeroing'), /Mohebbi et al\. 2023.*slow/);
  assert.equal(describeMethod('a-future-method'), 'a-future-method');

  await heed.commands.cycleMethod('rollout');
  assert.equal(driver.status().text, '$(eye) minilm · rollout · all layers · from');
  await heed.commands.cycleMethod('alti-rollout');
  assert.equal(driver.status().text, '$(eye) minilm · alti-rollout · all layers · from');
  await heed.commands.cycleMethod('value-norm');
  assert.deepEqual(recorded.errors, [
    'Heed: minilm does not support value-norm (it supports norm-summed, attention, attn-res-ln, attn-res, norm, rollout, norm-rollout, alti, alti-rollout, globenc, value-zeroing).',
  ]);
});

test('value zeroing: the status bar says "computing value zeroing…" while it runs; the editor is not blocked', async (t) => {
  // busyDelay 0: the progress shows as soon as the request is sent (a real one after 300 ms).
  const { driver, heed, recorded } = setup(t, { 'heed.method': 'value-zeroing', 'heed.busyDelay': 0 });
  const lines = Array.from({ length: 6 }, (_, i) => `Line ${i + 1}: the quick brown fox jumps over the lazy dog near the bank.`);
  const editor = driver.open(`${lines.join('\n')}\n`);
  driver.select(editor, 11);
  const work = heed.commands.analyzeSelection();
  // the command has not finished, and the event loop runs: the window progress appears
  await until(() => recorded.progress.some((p) => p.options.title === 'Heed: computing value zeroing…'), 'the progress');
  const progress = recorded.progress.find((p) => p.options.title === 'Heed: computing value zeroing…');
  assert.equal(progress.options.location, 10, 'the status bar (ProgressLocation.Window), not a notification');
  const during = driver.status().text;
  await work;
  await heed.settle();
  assert.ok(during === '$(eye) minilm · value-zeroing · last layer · from $(sync~spin) computing value zeroing…'
    || during.startsWith('$(eye) minilm · value-zeroing · layer 5'), during);
  assert.equal(driver.status().text, '$(eye) minilm · value-zeroing · layer 5 (last) · from');
  assert.ok(recorded.statusMessages.includes('Heed: value zeroing done'), JSON.stringify(recorded.statusMessages));
  const answer = await ask(t, { text: lines.join('\n'), focus: { start: 11, end: 11 }, method: 'value-zeroing' });
  assert.deepEqual(driver.drawn(editor), drawnFrom(answer, editor.document, 0));
  assert.deepEqual(recorded.errors, []);
});

test('a cursor move while value zeroing runs does not restart it; the new focus comes when it lands', async (t) => {
  const { driver, heed, recorded } = setup(t, { 'heed.method': 'value-zeroing', 'heed.busyDelay': 0 });
  // about 330 tokens: value zeroing takes a good part of a second
  const lines = Array.from({ length: 20 }, (_, i) => `Row ${i + 1}: a slow brown fox walks past the lazy dogs by the river.`);
  const text = lines.join('\n');
  const editor = driver.open(`${text}\n`);
  driver.select(editor, 10);
  const work = heed.commands.analyzeSelection();
  await until(() => heed.state.busy !== undefined, 'value zeroing to be running');
  const client = heed.state.client;
  let cancels = 0;
  let highlights = 0;
  const cancel = client.cancel.bind(client);
  const request = client.request.bind(client);
  client.cancel = (id) => { cancels++; return cancel(id); };
  client.request = (method, params) => { if (method === 'heed/highlight') highlights++; return request(method, params); };
  const moved = lines[0].length + 1 + lines[1].length + 1 + 12; // row 3, character 12
  driver.select(editor, moved); // debounced: highlightNow 50 ms later
  await until(() => heed.state.after === true || heed.state.busy === undefined, 'the move to be seen');
  assert.equal(heed.state.after, true, 'the move came while value zeroing ran (the test needs a slow request)');
  await work;
  await heed.settle();
  assert.equal(cancels, 0, 'the running request was not cancelled');
  assert.equal(highlights, 1, 'one more request, for the new focus (from the cache)');
  const answer = await ask(t, { text, focus: { start: moved, end: moved }, method: 'value-zeroing' });
  assert.deepEqual(driver.drawn(editor), drawnFrom(answer, editor.document, 0));
  assert.deepEqual(recorded.errors, []);
});

test('setLayer: next, prev, a number, a pick, out of range', async (t) => {
  const { driver, heed, recorded } = setup(t);
  const editor = driver.open(CRLF_DOC);
  driver.select(editor, KEYS);
  await heed.commands.analyzeSelection();
  assert.equal(driver.status().text, '$(eye) minilm · norm-summed · layer 5 (last) · from');
  await heed.commands.setLayer('next');
  assert.equal(driver.status().text, '$(eye) minilm · norm-summed · layer 0 · from');
  await heed.commands.setLayer('prev');
  assert.equal(driver.status().text, '$(eye) minilm · norm-summed · layer 5 · from');
  await heed.commands.setLayer(2);
  assert.equal(driver.status().text, '$(eye) minilm · norm-summed · layer 2 · from');
  assert.deepEqual(driver.drawn(editor).buckets, fixtureDrawn(2));
  recorded.answers.push('3');
  await heed.commands.setLayer();
  assert.equal(heed.state.layer, 3);
  const layer3 = await ask(t, { text: FIXTURE.text.replace('\n', '\r\n'), focus: { start: 13, end: 13 }, method: 'norm-summed', layer: 3 });
  assert.deepEqual(driver.drawn(editor), drawnFrom(layer3, editor.document, HEAD.length));
  await heed.commands.setLayer(6);
  assert.deepEqual(recorded.errors, ['Heed: layer 6 is out of range: minilm has layers 0-5.']);
  assert.equal(heed.state.layer, 3);
});

test('cycleDirection: from, to, received, from', async (t) => {
  const { driver, heed } = setup(t, { 'heed.layer': 2 });
  const editor = driver.open(CRLF_DOC);
  driver.select(editor, KEYS);
  await heed.commands.analyzeSelection();
  await heed.commands.cycleDirection();
  assert.equal(driver.status().text, '$(eye) minilm · norm-summed · layer 2 · to');
  const to = await ask(t, { text: FIXTURE.text.replace('\n', '\r\n'), focus: { start: 13, end: 13 }, method: 'norm-summed', layer: 2, direction: 'to' });
  assert.deepEqual(driver.drawn(editor), drawnFrom(to, editor.document, HEAD.length));
  await heed.commands.cycleDirection();
  assert.equal(heed.state.direction, 'received');
  await heed.commands.cycleDirection();
  assert.equal(heed.state.direction, 'from');
  assert.deepEqual(driver.drawn(editor).buckets, fixtureDrawn(2));
});

test('the cursor follows: debounced, and a newer request cancels the older one', async (t) => {
  const { driver, heed } = setup(t, { 'heed.layer': 2, 'heed.debounce': 30 });
  const editor = driver.open(CRLF_DOC);
  driver.select(editor, KEYS);
  await heed.commands.analyzeSelection();
  const client = heed.state.client;
  const sent = [];
  const request = client.request.bind(client);
  client.request = (method, params) => {
    const p = request(method, params);
    if (method === 'heed/highlight') sent.push({ id: p.id, focus: params.focus.start, direction: params.direction });
    return p;
  };
  const notified = [];
  const notify = client.notify.bind(client);
  client.notify = (method, params) => { notified.push([method, params]); notify(method, params); };

  // three moves within the debounce: one request, for the last position ("table")
  driver.select(editor, HEAD.length + 20);
  driver.select(editor, HEAD.length + 33);
  driver.select(editor, HEAD.length + 44);
  await heed.settle();
  assert.deepEqual(sent.map((s) => s.focus), [44]);
  assert.deepEqual(driver.drawn(editor).focus, [[2, 43, 2, 48]]);
  // the second line: "東" (CJK after the CRLF)
  driver.select(editor, CRLF_DOC.indexOf('東'));
  await heed.settle();
  assert.deepEqual(driver.drawn(editor).focus, [[3, 24, 3, 25]]);

  // a request still running when the next one starts is cancelled
  sent.length = 0;
  const first = heed.commands.cycleDirection('to');
  // microtasks only: no I/O is read meanwhile, so the first answer cannot have arrived yet
  for (let i = 0; i < 100 && sent.length === 0; i++) await null;
  assert.equal(sent.length, 1);
  const second = heed.commands.cycleDirection('from');
  await Promise.all([first, second]);
  assert.deepEqual(notified.filter(([m]) => m === '$/cancelRequest'), [['$/cancelRequest', { id: sent[0].id }]]);
  assert.deepEqual(sent.map((s) => s.direction), ['to', 'from']);
  assert.equal(driver.status().text, '$(eye) minilm · norm-summed · layer 2 · from');
  assert.deepEqual(driver.drawn(editor).focus, [[3, 24, 3, 25]]);
});

test('an edit under the shading clears it; an edit before it keeps and shifts it', async (t) => {
  const { driver, heed, recorded } = setup(t, { 'heed.layer': 2, 'heed.debounce': 0 });
  const editor = driver.open(CRLF_DOC);
  driver.select(editor, KEYS);
  await heed.commands.analyzeSelection();
  const empty = { buckets: Array.from({ length: 8 }, () => []), focus: [] };

  // an edit after the span and one before it (line 0): the shading stays
  driver.edit(editor, CRLF_DOC.length - 1, CRLF_DOC.length - 1, '!');
  driver.edit(editor, 0, 0, '##');
  assert.equal(heed.state.analysis.startOffset, HEAD.length + 2);
  assert.deepEqual(driver.drawn(editor).buckets, fixtureDrawn(2));
  driver.select(editor, HEAD.length + 2 + 44); // "table", in the shifted document
  await heed.settle();
  assert.deepEqual(driver.drawn(editor).focus, [[2, 43, 2, 48]]);

  // typing inside the span clears every bucket and the focus
  driver.edit(editor, HEAD.length + 2 + 20, HEAD.length + 2 + 20, 'x');
  assert.deepEqual(driver.drawn(editor), empty);
  assert.equal(heed.state.analysis, undefined);
  assert.equal(recorded.context.get('heed.active'), false);
  // and cursor moves no longer ask for anything
  driver.select(editor, HEAD.length + 5);
  await heed.settle();
  assert.deepEqual(driver.drawn(editor), empty);
});

test('a [MASK] typed in the text is a unit: it can be the focus and is shaded', async (t) => {
  const { driver, heed, recorded } = setup(t);
  const editor = driver.open('The [MASK] is blue.\nThe sky is [MASK].');
  driver.select(editor, 6); // inside the first [MASK]
  await heed.commands.analyzeSelection();
  assert.deepEqual(recorded.errors, []);
  const drawn = driver.drawn(editor);
  assert.deepEqual(drawn.focus, [[0, 4, 0, 10]]);
  const all = drawn.buckets.flat().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  assert.deepEqual(all, [[0, 0, 0, 3], [0, 11, 0, 13], [0, 14, 0, 18], [0, 18, 0, 19],
    [1, 0, 1, 3], [1, 4, 1, 7], [1, 8, 1, 10], [1, 11, 1, 17], [1, 17, 1, 18]]);
});

test('selectModel picks from heed/models; a settings change redraws', async (t) => {
  const { driver, heed, recorded } = setup(t, { 'heed.layer': 2 });
  const editor = driver.open(CRLF_DOC);
  driver.select(editor, KEYS);
  await heed.commands.analyzeSelection();
  recorded.answers.push({ label: 'minilm' });
  await heed.commands.selectModel();
  assert.equal(heed.state.model, 'minilm');
  assert.deepEqual(recorded.errors, []);
  await heed.commands.selectModel('no-such-model');
  assert.equal(heed.state.model, 'minilm'); // kept after the failure
  assert.equal(recorded.errors.length, 1);
  assert.match(recorded.errors[0], /^Heed: unknown model "no-such-model"/);

  driver.configure({ 'heed.method': 'attention', 'heed.direction': 'to' });
  await heed.settle();
  assert.equal(driver.status().text, '$(eye) minilm · attention · layer 2 · to');
  const expected = await ask(t, { text: FIXTURE.text.replace('\n', '\r\n'), focus: { start: 13, end: 13 }, method: 'attention', layer: 2, direction: 'to' });
  assert.deepEqual(driver.drawn(editor), drawnFrom(expected, editor.document, HEAD.length));
});

test('clear removes every decoration', async (t) => {
  const { driver, heed, recorded } = setup(t, { 'heed.layer': 2 });
  const editor = driver.open(CRLF_DOC);
  driver.select(editor, KEYS);
  await heed.commands.analyzeSelection();
  heed.commands.clear();
  assert.deepEqual(driver.drawn(editor), { buckets: Array.from({ length: 8 }, () => []), focus: [] });
  assert.equal(recorded.context.get('heed.active'), false);
  assert.equal(driver.status().text, '$(eye) minilm · norm-summed · layer 2 · from');
});

test('hover and showInfo: the token, its value and score, top 5 by weight and by norm', async (t) => {
  const { driver, heed, recorded, vscode } = setup(t, { 'heed.layer': 2 });
  const editor = driver.open(CRLF_DOC);
  driver.select(editor, KEYS);
  await heed.commands.analyzeSelection();
  const provider = recorded.hoverProviders[0].provider;
  const table = [
    '| # | norm-summed | attention |',
    '|---|---|---|',
    '| 1 | `to` 1.813 | `to` 0.06187 |',
    '| 2 | `:` 0.7833 | `:` 0.0387 |',
    '| 3 | `cabinet` 0.6866 | `cabinet` 0.03398 |',
    '| 4 | `are` 0.6004 | `Zürich` 0.02787 |',
    '| 5 | `Zürich` 0.5367 | `the` 0.02655 |',
  ].join('\n');
  const hover = await provider.provideHover(editor.document, new vscode.Position(2, 18));
  assert.equal(hover.contents.value, '**Heed** · minilm · `norm-summed` · layer 2 · from\n\n'
    + '`to`: value 1.813 · score 1 · bucket 7\n\n'
    + `Top 5 for the focus \`keys\`:\n\n${table}\n`);
  assert.equal(String(hover.range), '[2:17-2:19]');
  const onFocus = await provider.provideHover(editor.document, new vscode.Position(2, 14));
  assert.match(onFocus.contents.value, /\n\n`keys` is the focus\n\n/);
  const emoji = await provider.provideHover(editor.document, new vscode.Position(3, 17));
  assert.match(emoji.contents.value, /\n\n`🙂`: value 0\.1585 · score 0\.08741 · bucket 0\n\n/);
  assert.equal(await provider.provideHover(editor.document, new vscode.Position(0, 3)), undefined);

  await heed.commands.showInfo();
  assert.deepEqual(recorded.infos, ['Heed: minilm · norm-summed · layer 2 · from. Focus "keys". '
    + 'Top by norm-summed: to 1.813, : 0.7833, cabinet 0.6866, are 0.6004, Zürich 0.5367. '
    + 'Top by attention: to 0.06187, : 0.0387, cabinet 0.03398, Zürich 0.02787, the 0.02655.']);
});

test('errors are messages, never stack traces', async (t) => {
  {
    const { driver, heed, recorded } = setup(t, { 'heed.model': 'no-such-model' });
    const editor = driver.open('Some text.');
    await heed.commands.analyzeSelection();
    assert.deepEqual(recorded.errors, ['Heed: unknown model "no-such-model" (catalog: minilm, smollm2). '
      + 'Set heed.model to a catalog name, a model directory or a cached Hugging Face repo id.']);
    assert.deepEqual(driver.drawn(editor).focus, []);
    // the passage was dropped: cursor moves do not repeat the error
    assert.equal(heed.state.analysis, undefined);
    driver.select(editor, 3);
    await heed.settle();
    assert.equal(recorded.errors.length, 1);
  }
  {
    const { driver, heed, recorded } = setup(t, { 'heed.executable': '/nonexistent/heed' });
    driver.open('Some text.');
    await heed.commands.analyzeSelection();
    assert.deepEqual(recorded.errors, ['Heed: cannot start /nonexistent/heed: spawn /nonexistent/heed ENOENT. '
      + 'Set heed.executable (or HEED_EXECUTABLE) to the heed binary.']);
  }
  {
    const { driver, heed, recorded } = setup(t);
    const editor = driver.open('one\n\ntwo');
    driver.select(editor, 4);
    await heed.commands.analyzeSelection();
    assert.deepEqual(recorded.errors, ['Heed: the cursor is on a blank line; select the text to analyze.']);
    driver.select(editor, 3, 5); // "\n\n": no unit to focus on (-32602)
    await heed.commands.analyzeSelection();
    assert.equal(recorded.errors.length, 2);
    assert.match(recorded.errors[1], /^Heed: Invalid params: the text has no token to focus on[^\n]*$/);
    assert.doesNotMatch(recorded.errors[1], /\bat .*\.js:\d+/);
  }
});

test('long text: the returned window is shaded, and the user is told', async (t) => {
  const { driver, heed, recorded } = setup(t);
  const words = ['the', 'cat', 'sat', 'on', 'mat']; // one token each
  const line = (n) => Array.from({ length: n }, (_, i) => words[i % 5]).join(' ');
  const editor = driver.open(`${line(400)}\n${line(400)}`);
  driver.select(editor, 0);
  await heed.commands.analyzeSelection();
  assert.deepEqual(recorded.errors, []);
  assert.deepEqual(recorded.infos, ['Heed: the passage is longer than minilm takes (512 tokens); shading the window around the cursor (lines 1-2).']);
  assert.equal(driver.status().text, '$(eye) minilm · norm-summed · layer 5 (last) · from · window');
  const drawn = driver.drawn(editor);
  assert.deepEqual(drawn.focus, [[0, 0, 0, 3]]);
  // 512 positions: [CLS], 510 words, [SEP]; the focus is one of the 510
  assert.equal(drawn.buckets.flat().length, 509);
  const last = drawn.buckets.flat().sort((a, b) => a[0] - b[0] || a[1] - b[1]).pop();
  const start = line(109).length + 1; // the window's last word: word 510, word 110 of line 2 ("mat")
  assert.deepEqual(last, [1, start, 1, start + 3]);
  // a cursor move does not repeat the message
  driver.select(editor, 6);
  await heed.settle();
  assert.equal(recorded.infos.length, 1);
});

test('a daemon that dies is restarted once, with a message; the second time it is not', async (t) => {
  const { driver, heed, recorded } = setup(t, { 'heed.layer': 2 });
  const editor = driver.open(CRLF_DOC);
  driver.select(editor, KEYS);
  await heed.commands.analyzeSelection();
  const first = heed.state.client.pid;
  editor.setDecorations(driver.bucketType(7), []); // so the redraw is visible
  process.kill(first, 'SIGKILL');
  await until(() => recorded.warnings.length === 1, 'the restart warning');
  assert.deepEqual(recorded.warnings, ['Heed: the daemon stopped (killed by SIGKILL); restarting it.']);
  await heed.settle();
  const second = heed.state.client.pid;
  assert.notEqual(second, first);
  assert.throws(() => process.kill(first, 0), { code: 'ESRCH' });
  assert.deepEqual(driver.drawn(editor).buckets, fixtureDrawn(2));

  process.kill(second, 'SIGKILL');
  await until(() => recorded.errors.length === 1, 'the second-death error');
  assert.deepEqual(recorded.errors, ['Heed: the daemon stopped again (killed by SIGKILL); it is not restarted automatically. Run a Heed command to start it.']);
  assert.equal(heed.state.client.running, false);
  // the next command starts it again
  await heed.commands.analyzeSelection();
  assert.equal(heed.state.client.running, true);
  assert.deepEqual(driver.drawn(editor).buckets, fixtureDrawn(2));
});

test('dispose sends shutdown and exit: the daemon exits with code 0', async (t) => {
  const { driver, heed } = setup(t);
  const editor = driver.open('The cat sat.');
  driver.select(editor, 5);
  await heed.commands.analyzeSelection();
  const pid = heed.state.client.pid;
  const exits = [];
  heed.state.client.on('exit', (info) => exits.push(info));
  await heed.dispose();
  assert.deepEqual(exits, [{ code: 0, signal: null, expected: true }]);
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
});
