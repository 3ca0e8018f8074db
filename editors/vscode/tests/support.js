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

/** Resolves after `ms` milliseconds. */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports = { heedExecutable, FIXTURE, sleep };
