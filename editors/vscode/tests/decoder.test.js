'use strict';
// A decoder, unchanged: the extension on smollm2 (SmolLM2-135M-Instruct, GGUF; fetched into Heed's
// cache on first use) with the vscode stand-in and the real daemon. Its ModelInfo lists the
// methods a pre-norm model supports (no attn-res-ln), and the focus of a cursor is the token
// before it (protocol.md section 5.6): the extension draws what the daemon answers.

const test = require('node:test');
const assert = require('node:assert/strict');
const { createHeed } = require('../extension');
const { HeedClient } = require('../client');
const { createFakeVscode } = require('./fake-vscode');
const { heedExecutable } = require('./support');

const HEED = heedExecutable();

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
  assert.deepEqual(info.methods, ['norm-summed', 'attention', 'attn-res', 'norm', 'rollout', 'norm-rollout']);
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
  for (let i = 0; i < 6; i++) {
    await heed.commands.cycleMethod();
    seen.push(heed.state.method);
  }
  assert.deepEqual(seen, ['norm-summed', 'attention', 'attn-res', 'norm', 'rollout', 'norm-rollout', 'norm-summed']);
  assert.deepEqual(driver.recorded.errors, []);
});
