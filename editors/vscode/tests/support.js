'use strict';
// Shared by the tests: the heed executable (HEED_EXECUTABLE, else `heed` on PATH) and the fixture.

const fs = require('fs');
const path = require('path');

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

const FIXTURE = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'cross-editor.json'), 'utf8'));

// The fixture at layer 2, norm-summed, cursor in "keys": spans (UTF-16 offsets of the LF text)
// and buckets. The emoji is one unit of two UTF-16 units; 東 and 京 are a unit each; the
// combining accent of "café" is outside its unit.
const FIXTURE_UNITS = [
  [0, 6, 2], [6, 7, 3], [8, 11, 2], [17, 19, 7], [20, 23, 1], [24, 31, 3], [32, 35, 2], [36, 38, 1],
  [39, 42, 0], [43, 48, 1], [48, 49, 1], [50, 53, 0], [54, 58, 1], [60, 65, 0], [66, 68, 0],
  [69, 73, 1], [74, 75, 1], [75, 76, 1], [77, 80, 0], [81, 84, 0], [84, 85, 1],
];

/** Resolves after `ms` milliseconds. */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports = { heedExecutable, FIXTURE, FIXTURE_UNITS, sleep };
