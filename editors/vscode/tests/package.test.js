'use strict';
// package.json agrees with extension.js, and make-vsix.js packs a zip that unzip/zipfile read.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { createHeed, METHOD_ORDER } = require('../extension');
const { createFakeVscode } = require('./fake-vscode');
const { makeVsix, crc32 } = require('../make-vsix');

const ROOT = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const COMMANDS = ['heed.analyzeSelection', 'heed.cycleMethod', 'heed.setLayer', 'heed.cycleDirection',
  'heed.clear', 'heed.showInfo', 'heed.selectModel'];

test('package.json: commands, activation, extensionKind, main', async () => {
  assert.deepEqual(pkg.contributes.commands.map((c) => c.command), COMMANDS);
  assert.deepEqual(pkg.activationEvents, COMMANDS.map((c) => `onCommand:${c}`));
  assert.deepEqual(pkg.extensionKind, ['workspace']);
  assert.equal(pkg.main, './extension.js');
  assert.deepEqual(pkg.dependencies, undefined);
  assert.deepEqual(pkg.devDependencies, undefined);
  // the extension registers exactly the contributed commands
  const { vscode, driver } = createFakeVscode();
  const heed = createHeed(vscode, { env: {} });
  assert.deepEqual([...driver.recorded.commands.keys()], COMMANDS);
  await heed.dispose();
  for (const k of pkg.contributes.keybindings) assert.ok(COMMANDS.includes(k.command), k.command);
});

test('activate and deactivate: the entry points VS Code calls', async () => {
  const Module = require('module');
  const { vscode, driver } = createFakeVscode();
  const load = Module._load;
  Module._load = function loadVscode(request, ...rest) {
    return request === 'vscode' ? vscode : load.call(this, request, ...rest);
  };
  try {
    const extension = require('../extension');
    const context = { subscriptions: [] };
    extension.activate(context);
    assert.deepEqual([...driver.recorded.commands.keys()], COMMANDS);
    assert.equal(context.subscriptions.length, 1);
    assert.equal(driver.status().visible, true);
    await extension.deactivate();
    assert.deepEqual([...driver.recorded.commands.keys()], []);
    assert.ok(driver.recorded.decorationTypes.every((type) => type.disposed));
    context.subscriptions[0].dispose(); // after deactivate: harmless
  } finally {
    Module._load = load;
  }
});

test('package.json: settings under heed.*', () => {
  const props = pkg.contributes.configuration.properties;
  assert.deepEqual(Object.keys(props), ['heed.executable', 'heed.model', 'heed.method', 'heed.layer',
    'heed.direction', 'heed.granularity', 'heed.debounce', 'heed.busyDelay']);
  assert.deepEqual(props['heed.method'].enum, METHOD_ORDER);
  assert.equal(props['heed.method'].enumDescriptions.length, METHOD_ORDER.length);
  assert.deepEqual(METHOD_ORDER.slice(7), ['alti', 'alti-rollout', 'globenc', 'value-zeroing']);
  assert.equal(props['heed.busyDelay'].default, 300);
  assert.deepEqual(props['heed.direction'].enum, ['from', 'to', 'received']);
  assert.equal(props['heed.debounce'].default, 50);
  assert.equal(props['heed.layer'].default, 'last');
});

test('package.json: 8 bucket colours and the focus, for light, dark and high contrast', () => {
  const colors = pkg.contributes.colors;
  assert.deepEqual(colors.map((c) => c.id), [...Array.from({ length: 8 }, (_, k) => `heed.bucket${k}`), 'heed.focusBorder']);
  for (const c of colors) {
    for (const theme of ['light', 'dark', 'highContrast', 'highContrastLight']) {
      assert.match(c.defaults[theme], /^#[0-9A-F]{6}([0-9A-F]{2})?$/, `${c.id} ${theme}`);
    }
  }
  // one sequential scale: the same hue per theme, opacity rising with the bucket
  for (const theme of ['light', 'dark', 'highContrast', 'highContrastLight']) {
    const buckets = colors.slice(0, 8).map((c) => c.defaults[theme]);
    assert.equal(new Set(buckets.map((h) => h.slice(0, 7))).size, 1, theme);
    const alphas = buckets.map((h) => parseInt(h.slice(7), 16));
    for (let k = 1; k < 8; k++) assert.ok(alphas[k] > alphas[k - 1], `${theme} bucket ${k}`);
  }
});

test('make-vsix: a zip with the manifest, [Content_Types].xml and extension/', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heed-vsix-'));
  const target = makeVsix(path.join(dir, 'heed.vsix'));
  const script = [
    'import sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'assert z.testzip() is None',
    'print("\\n".join(z.namelist()))',
    'print(z.read("extension/package.json").decode("utf-8") == open(sys.argv[2], encoding="utf-8").read())',
  ].join('\n');
  let listing;
  try {
    listing = execFileSync('python3', ['-c', script, target, path.join(ROOT, 'package.json')], { encoding: 'utf8' });
  } catch (err) {
    if (err.code === 'ENOENT') {
      listing = execFileSync('unzip', ['-Z1', target], { encoding: 'utf8' }) + 'True\n';
    } else {
      throw err;
    }
  }
  const names = listing.trim().split('\n');
  assert.equal(names.pop(), 'True');
  assert.deepEqual(names, ['extension.vsixmanifest', '[Content_Types].xml', 'extension/package.json',
    'extension/extension.js', 'extension/client.js', 'extension/decorations.js', 'extension/pair.js', 'extension/README.md',
    'extension/screenshot.png']);
  fs.rmSync(dir, { recursive: true, force: true });
});
