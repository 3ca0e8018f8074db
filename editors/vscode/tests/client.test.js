'use strict';
// client.js: the framing state machine, then the client against the real daemon and MiniLM.

const test = require('node:test');
const assert = require('node:assert/strict');
const { HeedClient, HeedError, FrameReader, encodeFrame } = require('../client');
const D = require('../decorations');
const { heedExecutable, FIXTURE, FIXTURE_UNITS, sleep } = require('./support');

const HEED = heedExecutable();

test('FrameReader: frames split at every byte, several in one chunk', () => {
  const bodies = ['{"a":1}', '{"text":"Zürich 🙂 東京"}', '{}'];
  const stream = Buffer.concat(bodies.map(encodeFrame));
  for (let cut = 0; cut <= stream.length; cut++) {
    const reader = new FrameReader();
    const got = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
    assert.deepEqual(got, bodies, `cut at ${cut}`);
  }
  const reader = new FrameReader();
  const got = [];
  for (const byte of stream) got.push(...reader.push(Buffer.from([byte])));
  assert.deepEqual(got, bodies);
});

test('FrameReader: Content-Length counts UTF-8 bytes; headers in any order, any case', () => {
  const body = '{"t":"é🙂"}'; // 11 UTF-16 units, 14 bytes
  assert.equal(encodeFrame(body).toString('latin1').split('\r\n')[0], 'Content-Length: 14');
  const reader = new FrameReader();
  const frame = Buffer.concat([
    Buffer.from('Content-Type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-length: 14\r\n\r\n', 'latin1'),
    Buffer.from(body, 'utf8'),
  ]);
  assert.deepEqual(reader.push(frame), [body]);
});

test('FrameReader: garbage and a header without Content-Length are skipped', () => {
  const reader = new FrameReader();
  const stream = Buffer.concat([
    Buffer.from('garbage\r\nX-Other: 1\r\n\r\n', 'latin1'),
    Buffer.from('Content-Length: x\r\n\r\n', 'latin1'),
    encodeFrame('{"ok":true}'),
  ]);
  assert.deepEqual(reader.push(stream), ['{"ok":true}']);
});

/** A started client with MiniLM loaded. */
async function started(t, options = {}) {
  const client = new HeedClient({ command: HEED, ...options });
  t.after(() => client.stop());
  const init = await client.start();
  return { client, init };
}

test('initialize negotiates utf-16 and lists the methods', async (t) => {
  const { client, init } = await started(t);
  assert.equal(init.serverInfo.name, 'heed');
  assert.equal(init.capabilities.positionEncoding, 'utf-16');
  assert.equal(client.positionEncoding, 'utf-16');
  assert.ok(init.capabilities.methods.includes('heed/highlight'));
  assert.ok(init.capabilities.methods.includes('heed/loadModel'));
});

test('loadModel with a workDoneToken: $/progress begin and end, then ModelInfo', async (t) => {
  const { client } = await started(t);
  const progress = [];
  client.on('progress', (token, value) => progress.push([token, value.kind]));
  const info = await client.request('heed/loadModel', { model: 'minilm', workDoneToken: 'load-7' });
  assert.deepEqual(progress, [['load-7', 'begin'], ['load-7', 'end']]);
  assert.equal(info.id, 'minilm');
  assert.equal(info.family, 'bert');
  assert.equal(info.loaded, true);
  assert.equal(info.layers, 6);
  assert.equal(info.heads, 12);
  assert.equal(info.maxTokens, 512);
  assert.deepEqual(info.methods, ['norm-summed', 'attention', 'attn-res-ln', 'attn-res', 'norm', 'rollout', 'norm-rollout',
    'alti', 'alti-rollout', 'globenc', 'value-zeroing']);
  assert.equal(info.causal, false);
});

test('highlight: the cursor selects a unit; every other unit is a range; offsets in UTF-16', async (t) => {
  const { client } = await started(t);
  const r = await client.request('heed/highlight', {
    model: 'minilm', text: 'The cat sat.', focus: { start: 4, end: 4 }, method: 'norm-summed',
  });
  assert.equal(r.positionEncoding, 'utf-16');
  assert.equal(r.method, 'norm-summed');
  assert.equal(r.layer, 5);
  assert.deepEqual(r.focus, { start: 4, end: 7 });
  assert.deepEqual(r.ranges.map((x) => [x.start, x.end]), [[0, 3], [8, 11], [11, 12]]);
  assert.equal(Math.max(...r.ranges.map((x) => x.score)), 1);
  assert.equal(r.window, undefined);
});


test('highlight on the cross-editor text: exact spans and buckets; utf-8 and utf-16 map alike', async (t) => {
  const { client } = await started(t);
  const params = { model: 'minilm', text: FIXTURE.text, focus: { start: 13, end: 13 }, method: 'norm-summed', layer: 2 };
  const r = await client.request('heed/highlight', params);
  assert.deepEqual(r.focus, { start: 12, end: 16 });
  assert.equal(r.layer, 2);
  assert.deepEqual(r.ranges.map((x) => [x.start, x.end, D.bucketOf(x.score)]), FIXTURE_UNITS);

  // A second daemon speaking utf-8 byte offsets: the mapping gives the same positions.
  const { client: utf8 } = await started(t, { positionEncodings: ['utf-8'] });
  assert.equal(utf8.positionEncoding, 'utf-8');
  const focus8 = Buffer.byteLength(FIXTURE.text.slice(0, 13), 'utf8');
  const r8 = await utf8.request('heed/highlight', { ...params, focus: { start: focus8, end: focus8 } });
  assert.equal(r8.positionEncoding, 'utf-8');
  const m16 = D.mapHighlight(r, FIXTURE.text, { line: 2, character: 0 });
  const m8 = D.mapHighlight(r8, FIXTURE.text, { line: 2, character: 0 });
  assert.deepEqual(m8.buckets, m16.buckets);
  assert.deepEqual(m8.focus, m16.focus);
  assert.deepEqual(m16.focus, { start: { line: 2, character: 12 }, end: { line: 2, character: 16 } });
  // the emoji on the second line: characters 16-18 (a surrogate pair)
  assert.deepEqual(m16.buckets[0][3], { start: { line: 3, character: 16 }, end: { line: 3, character: 18 } });
});

test('cancel: $/cancelRequest answers the request -32800', async (t) => {
  const { client } = await started(t);
  await client.request('heed/loadModel', { model: 'minilm' });
  const words = Array.from({ length: 300 }, (_, i) => ['river', 'stone', 'cloud', 'maple', 'ember'][i % 5]);
  const pending = client.request('heed/highlight', {
    model: 'minilm', text: words.join(' '), focus: { start: 0, end: 0 }, method: 'norm-summed',
  });
  assert.equal(typeof pending.id, 'number');
  client.cancel(pending.id);
  await assert.rejects(pending, (err) => err instanceof HeedError && err.code === -32800);
  // the daemon keeps serving
  const r = await client.request('heed/highlight', {
    model: 'minilm', text: 'The cat sat.', focus: { start: 0, end: 0 }, method: 'attention',
  });
  assert.deepEqual(r.focus, { start: 0, end: 3 });
});

test('errors carry the daemon code, message and data', async (t) => {
  const { client } = await started(t);
  await assert.rejects(client.request('heed/loadModel', { model: 'no-such-model' }), (err) => {
    assert.equal(err.code, -32010);
    assert.ok(err.data.catalog.includes('minilm'));
    return true;
  });
  await assert.rejects(client.request('heed/highlight', {
    model: 'minilm', text: '   ', focus: { start: 0, end: 0 }, method: 'attention',
  }), (err) => err.code === -32602);
  await assert.rejects(client.request('heed/highlight', {
    model: 'minilm', text: 'a 🙂', focus: { start: 3, end: 3 }, method: 'attention',
  }), (err) => err.code === -32602); // splits the surrogate pair
  await assert.rejects(client.request('heed/nothing', {}), (err) => err.code === -32601);
});

test('a killed daemon: pending requests fail, no zombie, restart works', async (t) => {
  const { client } = await started(t);
  await client.request('heed/loadModel', { model: 'minilm' });
  const exits = [];
  client.on('exit', (info) => exits.push(info));
  const oldPid = client.pid;
  const pending = client.request('heed/highlight', {
    model: 'minilm', text: 'river stone '.repeat(200), focus: { start: 0, end: 0 }, method: 'norm',
  });
  process.kill(oldPid, 'SIGKILL');
  await assert.rejects(pending, (err) => err.code === 'daemon-exited');
  assert.deepEqual(exits, [{ code: null, signal: 'SIGKILL', expected: false }]);
  assert.equal(client.running, false);
  assert.throws(() => process.kill(oldPid, 0), { code: 'ESRCH' }); // reaped
  await assert.rejects(client.request('heed/models'), (err) => err.code === 'not-running');

  const init = await client.restart();
  assert.equal(init.capabilities.positionEncoding, 'utf-16');
  assert.notEqual(client.pid, oldPid);
  const r = await client.request('heed/highlight', {
    model: 'minilm', text: 'The cat sat.', focus: { start: 9, end: 9 }, method: 'norm-summed',
  });
  assert.deepEqual(r.focus, { start: 8, end: 11 });
});

test('stop: shutdown then exit; the daemon exits with code 0', async () => {
  const client = new HeedClient({ command: HEED });
  await client.start();
  const pid = client.pid;
  const exits = [];
  client.on('exit', (info) => exits.push(info));
  await client.stop();
  assert.deepEqual(exits, [{ code: 0, signal: null, expected: true }]);
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  await client.stop(); // idempotent
});

test('a missing executable fails start with spawn-failed', async () => {
  const client = new HeedClient({ command: '/nonexistent/heed' });
  await assert.rejects(client.start(), (err) => {
    assert.equal(err.code, 'spawn-failed');
    assert.match(err.message, /cannot start \/nonexistent\/heed: .*ENOENT/);
    return true;
  });
  assert.equal(client.running, false);
  await sleep(10);
});
