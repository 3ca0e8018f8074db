// @ts-check
'use strict';
// Translation-pair mode, for an encoder-decoder model (ModelInfo `encoderDecoder: true`,
// protocol.md section 5.9): the document's first line is the source text, its second line the
// target. With the cursor on line 2, heed/highlight gets text = line 1, target = line 2,
// focusIn "target" and the cursor's UTF-16 offset in line 2 as the focus, and shades line 1 by
// the cross-attention (method: one of ModelInfo `crossMethods`); the source unit with score 1
// (what the focus aligns to) gets the `aligned` decoration on top of its shade. With the cursor
// on line 1: the ordinary highlight of line 1 alone (the encoder's self-attention). With the
// cursor on line 3 or later, or on an empty (or blank) line 2, nothing is shaded and the status
// bar says why, once per analysis. Set Layer on line 2 chooses among the decoder's layers
// (ModelInfo `decoderLayers`, `state.decoderLayer`), on line 1 among the encoder's.
//
// The analysed span becomes lines 1 and 2 (the text between, "\n" or "\r\n", as the document
// has it), so that the extension's offsets, drawing and edit tracking work unchanged: a result is
// moved into span offsets (a target focus by the offset of line 2) before it is drawn. Pure
// functions over plain objects; extension.js calls them.

const D = require('./decorations');

/** The notes for a cursor where pair mode shades nothing. */
const BEYOND = 'pair mode reads line 1 (source) and line 2 (target); lines after the second are not part of the pair';
const EMPTY_TARGET = 'the target line (line 2) is empty';

/**
 * Whether a ModelInfo is an encoder-decoder model's (a missing field means it is not).
 * @param {any} info
 */
function isPair(info) {
  return Boolean(info) && info.encoderDecoder === true;
}

/** @param {any} info @returns {string[]} the cross methods, in the order the toggle cycles */
function crossMethods(info) {
  return info && Array.isArray(info.crossMethods) ? info.crossMethods : [];
}

/**
 * The pair of a document: lines 1 and 2 and the span that holds them.
 * @param {{lineCount: number, lineAt: (n: number) => {text: string, range: any}, offsetAt: (p: any) => number,
 *   getText: (r?: any) => string}} document
 * @param {(l1: number, c1: number, l2: number, c2: number) => any} range makes a range
 * @param {(l: number, c: number) => any} position makes a position
 */
function pairOf(document, range, position) {
  const source = document.lineAt(0).text;
  const hasTarget = document.lineCount > 1;
  const target = hasTarget ? document.lineAt(1).text : '';
  const end = hasTarget ? document.lineAt(1).range.end : document.lineAt(0).range.end;
  const text = document.getText(range(0, 0, end.line, end.character));
  const targetStart = hasTarget ? document.offsetAt(position(1, 0)) - document.offsetAt(position(0, 0)) : text.length + 1;
  return { source, target, text, targetStart, startOffset: document.offsetAt(position(0, 0)) };
}

/**
 * The decoder layer in use: `state.decoderLayer`, 'last' (or one beyond the model's) resolved to
 * decoderLayers - 1; undefined when the model lists no decoder layers.
 * @param {{decoderLayer?: number | 'last'}} state @param {any} info ModelInfo
 */
function decoderLayer(state, info) {
  const n = Number(info && info.decoderLayers) || 0;
  const l = state.decoderLayer;
  if (typeof l === 'number' && l >= 0 && l < n) return l;
  return n > 0 ? n - 1 : undefined;
}

/**
 * The heed/highlight params for a cursor at span offset `cursor` on document line `line`
 * (0-based), and the line it is on. Where nothing is to be shaded (line 3 or later, an empty or
 * blank line 2) there are no params, and `note` says why.
 * @param {{source: string, target: string, targetStart: number}} pair
 * @param {number} cursor UTF-16 offset in the span
 * @param {{model: string, method: string, crossMethod?: string, layer: number | 'last',
 *   decoderLayer?: number | 'last', direction: string, granularity: string}} state
 * @param {any} info ModelInfo
 * @param {number} [line] the cursor's 0-based line (default: from `cursor`)
 * @returns {{params: any, side: 'source' | 'target' | 'beyond', note?: string}}
 */
function paramsFor(pair, cursor, state, info, line) {
  const methods = crossMethods(info);
  if (line !== undefined && line >= 2) return { params: undefined, side: 'beyond', note: BEYOND };
  if (cursor >= pair.targetStart && methods.length > 0) {
    if (!/\S/.test(pair.target)) return { params: undefined, side: 'target', note: EMPTY_TARGET };
    const method = state.crossMethod && methods.includes(state.crossMethod) ? state.crossMethod : methods[0];
    const n = Number(info.decoderLayers) || 0;
    /** @type {number | 'last'} */
    let layer = state.decoderLayer === undefined ? 'last' : state.decoderLayer;
    if (layer !== 'last' && !(layer >= 0 && layer < n)) layer = 'last';
    const focus = Math.min(cursor - pair.targetStart, pair.target.length);
    return {
      side: 'target',
      params: {
        model: state.model, text: pair.source, target: pair.target, focusIn: 'target',
        focus: { start: focus, end: focus }, method, layer, granularity: state.granularity,
      },
    };
  }
  const focus = Math.min(cursor, pair.source.length);
  return {
    side: 'source',
    params: {
      model: state.model, text: pair.source, focus: { start: focus, end: focus }, method: state.method,
      layer: state.layer, direction: state.direction, granularity: state.granularity,
    },
  };
}

/**
 * The range with score 1 (for a target focus, the source unit it aligns to), or undefined.
 * @param {{ranges: {start: number, end: number, score: number, value: number}[]}} result
 */
function aligned(result) {
  return (result.ranges || []).find((r) => r.score === 1 && r.value !== 0);
}

/**
 * A result in span offsets: the ranges are offsets into line 1, which starts the span; a target
 * focus moves to line 2. The offsets are UTF-16 units (the extension negotiates "utf-16").
 * @param {any} result @param {'source' | 'target'} side @param {number} targetStart
 */
function toSpan(result, side, targetStart) {
  if (side !== 'target') return result;
  return { ...result, focus: { start: result.focus.start + targetStart, end: result.focus.end + targetStart } };
}

/**
 * Where the aligned unit of a (span-offset) result is drawn, or undefined.
 * @param {any} result @param {string} text the span's text @param {{line: number, character: number}} base
 */
function alignedRange(result, text, base) {
  const r = aligned(result);
  if (!r) return undefined;
  const starts = D.lineStarts(text);
  return { start: D.positionAt(text, starts, r.start, base), end: D.positionAt(text, starts, r.end, base) };
}

module.exports = { BEYOND, EMPTY_TARGET, isPair, crossMethods, decoderLayer, pairOf, paramsFor, aligned, toSpan,
  alignedRange };
