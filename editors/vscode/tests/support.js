'use strict';
// Shared by the tests: the heed executable (HEED_EXECUTABLE, else `heed` on PATH) and the fixture.

const fs = require('fs');
const path = require('path');
const { createHeed } = require('../extension');
const D = require('../decorations');
const { createFakeVscode } = require('./fake-vscode');

/** @returns {string} */
function heedExecutable() {
  const fromEnv = (process.env.HEED_EXECUTABLE || '').trim();
  if (fromEnv) return fromEnv;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const candidate = path.join(dir || '.', 'heed');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch (err) { /* next */ }
  }
  throw new Error('no heed executable: set HEED_EXECUTABLE or put heed on PATH');
}

/** A cross-editor fixture of editors/fixtures by file name. @param {string} name */
const loadFixture = (name) => JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', name), 'utf8'));
const FIXTURE = loadFixture('cross-editor.json');

// The fixture at layer 2, norm-summed, cursor in "keys": spans (UTF-16 offsets of the LF text)
// and buckets. The emoji is one unit of two UTF-16 units; 東 and 京 are a unit each; the
// combining accent of "café" is outside its unit.
const FIXTURE_UNITS = [
  [0, 6, 2], [6, 7, 3], [8, 11, 2], [17, 19, 7], [20, 23, 1], [24, 31, 3], [32, 35, 2], [36, 38, 1],
  [39, 42, 0], [43, 48, 1], [48, 49, 1], [50, 53, 0], [54, 58, 1], [60, 65, 0], [66, 68, 0],
  [69, 73, 1], [74, 75, 1], [75, 76, 1], [77, 80, 0], [81, 84, 0], [84, 85, 1],
];

/**
 * Runs the cross-editor fixture through the extension (the vscode stand-in, the real daemon)
 * and returns what is drawn: {focus, marks} in utf-32 offsets of the fixture text.
 * The caller disposes of `heed` (it stops the daemon).
 * @param {Record<string, any>} [settings]
 * @param {{method?: string}} [overrides] instead of the fixture's own
 * @param {any} [fixture] default: cross-editor.json
 */
async function shadeFixture(settings = {}, overrides = {}, fixture = FIXTURE) {
  const executable = heedExecutable();
  const { vscode, driver } = createFakeVscode({ 'heed.executable': executable, 'heed.model': fixture.model, ...settings });
  const heed = createHeed(vscode, { env: { ...process.env, HEED_EXECUTABLE: executable } });
  const text = fixture.text;
  const editor = driver.open(text);
  const u16 = (utf32) => D.utf32ToUtf16(text, utf32);
  await heed.commands.cycleMethod(overrides.method || fixture.method);
  await heed.commands.setLayer(fixture.layer);
  await heed.commands.cycleDirection(fixture.direction);
  driver.select(editor, u16(fixture.selection.start), u16(fixture.selection.end));
  await heed.commands.analyzeSelection();
  driver.select(editor, u16(fixture.cursor));
  await heed.settle();
  if (driver.recorded.errors.length > 0) throw new Error(driver.recorded.errors.join('\n'));

  const doc = editor.document;
  const utf32 = (p) => D.utf16ToUtf32(text, doc.offsetAt(p));
  const marks = [];
  for (let k = 0; k < 8; k++) {
    for (const r of editor.decorations.get(driver.bucketType(k)) || []) {
      marks.push({ start: utf32(r.start), end: utf32(r.end), bucket: k });
    }
  }
  // text order; overlapping units (byte-level tokens sharing a character) by end and bucket
  marks.sort((a, b) => a.start - b.start || a.end - b.end || a.bucket - b.bucket);
  const [focusRange, ...more] = editor.decorations.get(driver.focusType()) || [];
  if (!focusRange || more.length > 0) throw new Error('expected exactly one focus range');
  return { focus: { start: utf32(focusRange.start), end: utf32(focusRange.end) }, marks, editor, driver, heed };
}

/** Resolves after `ms` milliseconds. */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports = { heedExecutable, loadFixture, FIXTURE, FIXTURE_UNITS, shadeFixture, sleep };
