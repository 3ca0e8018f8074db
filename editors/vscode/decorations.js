// @ts-check
'use strict';
// From a `heed/highlight` result to editor positions: pure functions, no `vscode` module.
//
// Offsets in a result count units of the negotiated position encoding in the request's text
// (protocol.md, section 3). This client negotiates "utf-16", VS Code's own unit, so an offset
// is a UTF-16 code unit index into the analysed text; the text itself starts at `base`, a
// (line, character) position in the document. Positions here are plain {line, character}
// objects; extension.js turns them into vscode.Position / vscode.Range.

/** Number of shading buckets; bucket k is drawn by the decoration type heed.bucket<k>. */
const BUCKETS = 8;

/**
 * @typedef {{line: number, character: number}} Pos
 * @typedef {{start: Pos, end: Pos}} PosRange
 * @typedef {{start: number, end: number}} Span
 * @typedef {{start: number, end: number, score: number, value: number}} HighlightRange
 * @typedef {{positionEncoding?: string, ranges: HighlightRange[], focus: Span, method: string,
 *            layer: number|null, window?: Span}} HighlightResult
 * @typedef {{utf16Start: number, utf16End: number, range: PosRange, bucket: number,
 *            score: number, value: number}} Unit
 * @typedef {{buckets: PosRange[][], focus: PosRange, focusSpan: Span, units: Unit[],
 *            window: PosRange|undefined, windowSpan: Span|undefined}} Decorations
 */

/**
 * bucket = min(7, floor(score * 8)); a score outside [0, 1] (never sent) is clamped.
 * @param {number} score
 * @returns {number}
 */
function bucketOf(score) {
  if (!(score > 0)) return 0;
  return Math.min(BUCKETS - 1, Math.floor(score * BUCKETS));
}

/**
 * Where each line of `text` starts, in UTF-16 units. Line breaks are LF, CRLF and a lone CR
 * (VS Code's own rule), so a CRLF text yields the same lines as its LF twin.
 * @param {string} text
 * @returns {number[]}
 */
function lineStarts(text) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 /* \r */) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    } else if (c === 10 /* \n */) {
      starts.push(i + 1);
    }
  }
  return starts;
}

/**
 * The position of a UTF-16 offset of `text`, where `text` begins at `base` in the document.
 * An offset between the CR and LF of a CRLF is the end of its line (as VS Code clamps it).
 * @param {string} text
 * @param {number[]} starts lineStarts(text)
 * @param {number} utf16Offset
 * @param {Pos} [base]
 * @returns {Pos}
 */
function positionAt(text, starts, utf16Offset, base = { line: 0, character: 0 }) {
  const offset = Math.max(0, Math.min(text.length, utf16Offset));
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) { // the last line start <= offset
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid; else hi = mid - 1;
  }
  let character = offset - starts[lo];
  if (offset > 0 && text.charCodeAt(offset - 1) === 13 && text.charCodeAt(offset) === 10) character -= 1;
  if (lo === 0) return { line: base.line, character: base.character + character };
  return { line: base.line + lo, character };
}

/**
 * Converts an offset counted in `encoding` units of `text` to UTF-16 units.
 * @param {string} text
 * @param {number} offset
 * @param {string} encoding "utf-8", "utf-16" or "utf-32"
 * @returns {number}
 */
function toUtf16Offset(text, offset, encoding) {
  if (encoding === 'utf-16' || encoding === undefined) return offset;
  let units = 0; // in `encoding`
  let i = 0; // UTF-16 index
  while (i < text.length && units < offset) {
    const cp = /** @type {number} */ (text.codePointAt(i));
    units += encoding === 'utf-8' ? utf8Length(cp) : 1;
    i += cp > 0xffff ? 2 : 1;
  }
  return i;
}

/**
 * Converts a UTF-16 offset of `text` to Unicode scalars (utf-32 units).
 * @param {string} text
 * @param {number} utf16Offset
 * @returns {number}
 */
function utf16ToUtf32(text, utf16Offset) {
  let scalars = 0;
  for (let i = 0; i < utf16Offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < utf16Offset) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    scalars++;
  }
  return scalars;
}

/**
 * Converts a Unicode-scalar offset of `text` to UTF-16 units.
 * @param {string} text
 * @param {number} utf32Offset
 * @returns {number}
 */
function utf32ToUtf16(text, utf32Offset) {
  return toUtf16Offset(text, utf32Offset, 'utf-32');
}

/** @param {number} cp */
function utf8Length(cp) {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/**
 * Maps a `heed/highlight` result on `text` (which starts at `base` in the document) to
 * decorations: one list of ranges per bucket (every unit except the focus and those of value
 * 0, the lowest bucket included, each covering exactly the unit's span), the focus range, and
 * the window when the text was beyond the model's limit. Units may overlap (a byte-level BPE
 * token holding part of a character shares it with the next one); the bucket decoration types
 * are created weakest first, so where they overlap the strongest draws on top.
 * @param {HighlightResult} result
 * @param {string} text the request's text
 * @param {Pos} [base] the document position of text[0]
 * @returns {Decorations}
 */
function mapHighlight(result, text, base = { line: 0, character: 0 }) {
  const encoding = result.positionEncoding || 'utf-16';
  const starts = lineStarts(text);
  /** @param {Span} span */
  const toUtf16 = (span) => ({
    start: toUtf16Offset(text, span.start, encoding),
    end: toUtf16Offset(text, span.end, encoding),
  });
  /** @param {Span} span @returns {PosRange} */
  const toRange = (span) => ({
    start: positionAt(text, starts, span.start, base),
    end: positionAt(text, starts, span.end, base),
  });
  /** @type {PosRange[][]} */
  const buckets = Array.from({ length: BUCKETS }, () => []);
  /** @type {Unit[]} */
  const units = [];
  for (const r of result.ranges) {
    // Units have non-empty spans; the [CLS]/[SEP] a tokenizer inserts have empty ones and are
    // never sent (a [MASK] typed in the text keeps its span and is shaded like any unit).
    if (r.start === r.end) continue;
    // A value of 0 means nothing flows: no shade (with a causal model, the tokens after a
    // `from` focus and those before a `to` focus: a decoder never looks ahead).
    if (r.value === 0) continue;
    const span = toUtf16(r);
    const bucket = bucketOf(r.score);
    const range = toRange(span);
    buckets[bucket].push(range);
    units.push({ utf16Start: span.start, utf16End: span.end, range, bucket, score: r.score, value: r.value });
  }
  const focusSpan = toUtf16(result.focus);
  const windowSpan = result.window ? toUtf16(result.window) : undefined;
  return {
    buckets,
    focus: toRange(focusSpan),
    focusSpan,
    units,
    window: windowSpan ? toRange(windowSpan) : undefined,
    windowSpan,
  };
}

/**
 * The paragraph around `line`: the run of non-blank lines containing it.
 * @param {(line: number) => string} lineText
 * @param {number} lineCount
 * @param {number} line
 * @returns {{first: number, last: number} | undefined} undefined on a blank line
 */
function paragraphAt(lineText, lineCount, line) {
  const blank = (/** @type {number} */ n) => lineText(n).trim() === '';
  if (blank(line)) return undefined;
  let first = line;
  while (first > 0 && !blank(first - 1)) first--;
  let last = line;
  while (last + 1 < lineCount && !blank(last + 1)) last++;
  return { first, last };
}

module.exports = {
  BUCKETS,
  bucketOf,
  lineStarts,
  positionAt,
  toUtf16Offset,
  utf16ToUtf32,
  utf32ToUtf16,
  mapHighlight,
  paragraphAt,
};
