// @ts-check
'use strict';
// The Heed VS Code extension: select a passage, move the cursor, and see what the token under
// it attends to, by attention weight and by vector norm. The daemon (`heed serve`, protocol.md)
// does the work; this file starts it, speaks to it through client.js, and draws decorations
// computed by decorations.js.
//
// Everything is built by `createHeed(vscode)`, which takes the `vscode` API as a parameter so
// the tests drive the command handlers with a small stand-in (tests/fake-vscode.js).

const { HeedClient } = require('./client');
const D = require('./decorations');
const P = require('./pair');

/** The order `heed.cycleMethod` walks through; the model's ModelInfo.methods decides which exist. */
const METHOD_ORDER = ['norm-summed', 'attention', 'attn-res-ln', 'attn-res', 'norm', 'rollout', 'norm-rollout',
  'alti', 'alti-rollout', 'globenc', 'value-zeroing'];
const DIRECTIONS = ['from', 'to', 'received'];
/** Products over all layers (protocol.md section 5.5): the layer setting does not apply. */
const ROLLOUTS = new Set(['rollout', 'norm-rollout', 'alti-rollout', 'globenc']);
/** What each method shades, in a few words (protocol.md section 7 defines them exactly). */
const METHOD_DESCRIPTIONS = {
  'norm-summed': 'norm of the summed heads (Attn-N)',
  attention: 'attention weights, mean over heads',
  'attn-res-ln': 'norm with residual and LayerNorm (AttnResLn-N)',
  'attn-res': 'norm with residual (AttnRes-N)',
  norm: 'norm, mean over heads',
  rollout: 'attention rollout, all layers',
  'norm-rollout': 'norm rollout, all layers',
  alti: 'ALTI (Ferrando et al. 2022)',
  'alti-rollout': 'ALTI rolled out over the layers',
  globenc: 'GlobEnc (Modarressi et al. 2022), all layers',
  'value-zeroing': 'value zeroing (Mohebbi et al. 2023), slow: one re-run per token',
};
/** How a method is named while it is being computed ("computing value zeroing…"). */
const BUSY_NAMES = { 'value-zeroing': 'value zeroing', alti: 'ALTI', 'alti-rollout': 'ALTI rollout', globenc: 'GlobEnc' };

/** @param {string} method @returns {string} the method with its description, or its name alone */
function describeMethod(method) {
  const d = /** @type {Record<string, string>} */ (METHOD_DESCRIPTIONS)[method];
  return d ? `${method}: ${d}` : method;
}
const WEIGHT_METHODS = new Set(['attention', 'rollout']);

/**
 * The method on the other side of the paper's contrast: a weight for a norm, a norm for a weight.
 * @param {string} method
 * @param {string[]} supported the model's ModelInfo.methods
 * @returns {string | undefined}
 */
function otherMethod(method, supported) {
  /** @type {string[]} */
  let candidates;
  if (method === 'rollout') candidates = ['norm-rollout', 'norm-summed'];
  else if (method === 'norm-rollout' || method === 'alti-rollout' || method === 'globenc') candidates = ['rollout', 'attention'];
  else if (WEIGHT_METHODS.has(method)) candidates = ['norm-summed', 'attn-res-ln', 'attn-res', 'norm'];
  else candidates = ['attention', 'rollout'];
  return candidates.find((m) => supported.includes(m));
}

/**
 * A one-line, human message for a failed request (never a stack trace).
 * @param {any} err
 * @param {{model?: string, executable?: string}} [context]
 * @returns {string}
 */
function describeError(err, context = {}) {
  const code = err && err.code;
  const message = err && err.message ? String(err.message) : String(err);
  const data = err && err.data;
  switch (code) {
    case -32010: {
      const catalog = data && Array.isArray(data.catalog) ? ` (catalog: ${data.catalog.join(', ')})` : '';
      return `Heed: unknown model "${context.model}"${catalog}. Set heed.model to a catalog name, a model directory or a cached Hugging Face repo id.`;
    }
    case -32011:
      return `Heed: the model failed to load: ${message}`;
    case -32012: {
      const supported = data && Array.isArray(data.supported) ? ` Supported: ${data.supported.join(', ')}.` : '';
      return `Heed: ${message}.${supported}`.replace('..', '.');
    }
    case -32013: {
      const detail = data && data.limit !== undefined ? ` (${data.tokens} tokens, limit ${data.limit})` : '';
      return `Heed: the text is too long for the model${detail}.`;
    }
    case 'spawn-failed':
      return `Heed: ${message}. Set heed.executable (or HEED_EXECUTABLE) to the heed binary.`;
    default:
      return `Heed: ${message}`;
  }
}

/**
 * Markdown inline code for any string (backticks inside are fenced by longer runs).
 * @param {string} s
 */
function code(s) {
  const shown = s.replace(/\r?\n/g, '⏎');
  let fence = '`';
  while (shown.includes(fence)) fence += '`';
  const pad = shown.startsWith('`') || shown.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${shown}${pad}${fence}`;
}

/** @param {number} x */
/**
 * The next tokens a decoder predicts, most probable first: `" are" 15.9%, ":" 8.7%`.
 * @param {Prediction[]} next
 * @param {(s: string) => string} show how a token's text is written (code span or quoted)
 */
function nextList(next, show) {
  return next.map((p) => `${show(p.text)} ${(100 * p.probability).toFixed(1)}%`).join(', ');
}

/** @typedef {{id: number, text: string, probability: number, logit: number}} Prediction */

function num(x) {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1000 || a < 0.001 ? x.toExponential(3) : x.toPrecision(4).replace(/\.?0+$/, '');
}

/**
 * @typedef {import('./decorations').HighlightResult} HighlightResult
 * @typedef {import('./decorations').Decorations} Decorations
 * @typedef {{text: string, value: number, score: number}} Contributor
 * @typedef {Object} Analysis the analysed span of one document and its latest result
 * @property {any} document
 * @property {any} editor
 * @property {number} startOffset UTF-16 document offset of text[0]
 * @property {string} text the analysed text (sent as `text`)
 * @property {{line: number, character: number}} base document position of text[0]
 * @property {HighlightResult} [result]
 * @property {any} [params] the request that produced `result`
 * @property {Decorations} [decorations]
 * @property {boolean} windowShown whether the long-text message was shown
 * @property {Map<string, Promise<{top: Contributor[], next: Prediction[] | undefined}>>} others top 5 by
 *   another method (and, for a model that predicts, the next tokens), per request
 * @property {{source: string, target: string, text: string, targetStart: number, startOffset: number}} [pair]
 *   translation pairs (an encoder-decoder model, pair.js): lines 1 and 2
 * @property {'source' | 'target' | 'beyond'} [pairSide] translation pairs: the line of the cursor at the
 *   last request ('beyond': line 3 or later)
 * @property {Set<string>} [said] translation pairs: the notes said for this analysis
 * @property {import('./decorations').PosRange} [aligned] translation pairs: the aligned source unit
 */

/**
 * Builds the extension against a `vscode` API object.
 * @param {any} vscode the `vscode` module (or a stand-in)
 * @param {{env?: NodeJS.ProcessEnv}} [options]
 */
function createHeed(vscode, options = {}) {
  const env = options.env || process.env;
  /** @type {any[]} */
  const disposables = [];
  const output = vscode.window.createOutputChannel('Heed');
  disposables.push(output);

  // Decoration types: created once, one per bucket plus one for the focus.
  const bucketTypes = Array.from({ length: D.BUCKETS }, (_, k) =>
    vscode.window.createTextEditorDecorationType({
      backgroundColor: new vscode.ThemeColor(`heed.bucket${k}`),
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    }));
  const focusType = vscode.window.createTextEditorDecorationType({
    borderStyle: 'solid',
    borderWidth: '0 0 2px 0',
    borderColor: new vscode.ThemeColor('heed.focusBorder'),
    fontWeight: 'bold',
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  // Translation-pair mode (pair.js): the source unit a target focus aligns to, over its shade.
  const alignedType = vscode.window.createTextEditorDecorationType({
    fontWeight: 'bold',
    textDecoration: 'underline',
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  disposables.push(...bucketTypes, focusType, alignedType);

  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  status.command = 'heed.showInfo';
  disposables.push(status);

  const state = {
    /** @type {HeedClient | undefined} */
    client: undefined,
    /** @type {string | undefined} */
    clientCommand: undefined,
    restartedOnce: false,
    disposed: false,
    /** @type {Map<string, any>} model id -> ModelInfo */
    models: new Map(),
    /** @type {Map<string, Promise<any>>} */
    loading: new Map(),
    loadCount: 0,
    model: 'minilm',
    method: 'norm-summed',
    /** @type {string | undefined} translation pairs: the cross method (undefined: the first) */
    crossMethod: undefined,
    /** @type {number | 'last'} */
    layer: /** @type {number | 'last'} */ ('last'),
    /** @type {number | 'last'} translation pairs, line 2: 0...decoderLayers-1 or 'last' */
    decoderLayer: /** @type {number | 'last'} */ ('last'),
    direction: 'from',
    granularity: 'token',
    debounce: 50,
    busyDelay: 300,
    /** @type {string | undefined} what a slow highlight computes ("computing value zeroing") */
    busy: undefined,
    /** @type {string | undefined} basis and text of the request in flight */
    inflightKey: undefined,
    /** @type {Promise<void>} settles when the request in flight has been drawn (or failed) */
    inflightRun: Promise.resolve(),
    /** the cursor moved while a slow request ran: follow it when that lands */
    after: false,
    /** @type {Analysis | undefined} */
    analysis: undefined,
    seq: 0,
    /** @type {(Promise<any> & {id: number}) | undefined} */
    inflight: undefined,
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    timer: undefined,
    /** @type {(() => void) | undefined} */
    timerFired: undefined,
    /** @type {Promise<void>} */
    work: Promise.resolve(),
  };

  readSettings();

  // ---- settings ---------------------------------------------------------------------------

  function readSettings() {
    const config = vscode.workspace.getConfiguration('heed');
    state.model = String(config.get('model', 'minilm') || 'minilm');
    state.method = String(config.get('method', 'norm-summed') || 'norm-summed');
    const layer = config.get('layer', 'last');
    state.layer = layer === 'last' || layer === undefined || layer === null || layer === ''
      ? 'last' : Number(layer);
    if (state.layer !== 'last' && !(Number.isInteger(state.layer) && state.layer >= 0)) state.layer = 'last';
    const direction = String(config.get('direction', 'from'));
    state.direction = DIRECTIONS.includes(direction) ? direction : 'from';
    const granularity = String(config.get('granularity', 'token'));
    state.granularity = granularity === 'word' ? 'word' : 'token';
    const debounce = Number(config.get('debounce', 50));
    state.debounce = Number.isFinite(debounce) && debounce >= 0 ? debounce : 50;
    const busyDelay = Number(config.get('busyDelay', 300));
    state.busyDelay = Number.isFinite(busyDelay) ? busyDelay : 300;
  }

  /** The command that starts the daemon: heed.executable, else HEED_EXECUTABLE, else PATH. */
  function executable() {
    const configured = String(vscode.workspace.getConfiguration('heed').get('executable', '') || '').trim();
    return configured || (env.HEED_EXECUTABLE || '').trim() || 'heed';
  }

  // ---- daemon -----------------------------------------------------------------------------

  /** Starts the daemon on first use (one per window) and returns the client. */
  async function ensureClient() {
    const command = executable();
    if (state.client && state.clientCommand !== command) {
      const old = state.client;
      state.client = undefined;
      state.models.clear();
      await old.stop();
    }
    if (!state.client) {
      const client = new HeedClient({
        command,
        args: ['serve'],
        env,
        positionEncodings: ['utf-16'],
        clientInfo: { name: 'heed-vscode', version: '0.1.0' },
        log: (line) => output.appendLine(line),
      });
      client.on('exit', (info) => onDaemonExit(client, info));
      state.client = client;
      state.clientCommand = command;
    }
    await state.client.start();
    return state.client;
  }

  /**
   * @param {HeedClient} client
   * @param {{code: number|null, signal: string|null, expected: boolean}} info
   */
  function onDaemonExit(client, info) {
    if (client !== state.client) return;
    state.models.clear();
    state.loading.clear();
    state.inflight = undefined;
    if (info.expected || state.disposed) return;
    const why = info.signal ? `killed by ${info.signal}` : `exit code ${info.code}`;
    output.appendLine(`heed daemon exited unexpectedly (${why})`);
    if (!state.restartedOnce) {
      state.restartedOnce = true;
      vscode.window.showWarningMessage(`Heed: the daemon stopped (${why}); restarting it.`);
      state.work = (async () => {
        try {
          await ensureClient();
          if (state.analysis) await highlightNow();
        } catch (err) {
          clearHighlights();
          report(err);
        }
      })();
    } else {
      vscode.window.showErrorMessage(
        `Heed: the daemon stopped again (${why}); it is not restarted automatically. Run a Heed command to start it.`);
      updateStatus();
    }
  }

  /**
   * Loads a model once (ModelInfo cached), with progress: a notification while a catalog model
   * is fetched, the status bar while one already on disk loads.
   * @param {string} model
   */
  async function ensureModel(model) {
    const known = state.models.get(model);
    if (known) return known;
    const loading = state.loading.get(model);
    if (loading) return loading;
    const promise = (async () => {
      const client = await ensureClient();
      /** @type {any[]} */
      let listed = [];
      try {
        listed = (await client.request('heed/models')).models || [];
      } catch (err) { /* the load below reports any real failure */ }
      const entry = listed.find((m) => m.id === model);
      const onDisk = entry && entry.source !== null;
      const token = `heed-load-${++state.loadCount}`;
      const location = onDisk ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification;
      const info = await vscode.window.withProgress(
        { location, title: `Heed: loading ${model}`, cancellable: false },
        async (/** @type {any} */ progress) => {
          let percent = 0;
          const onProgress = (/** @type {any} */ t, /** @type {any} */ value) => {
            if (t !== token || !value) return;
            /** @type {{message?: string, increment?: number}} */
            const report = { message: value.message || value.title };
            if (typeof value.percentage === 'number') {
              report.increment = Math.max(0, value.percentage - percent);
              percent = value.percentage;
            }
            progress.report(report);
          };
          client.on('progress', onProgress);
          try {
            return await client.request('heed/loadModel', { model, workDoneToken: token });
          } finally {
            client.off('progress', onProgress);
          }
        });
      state.models.set(model, info);
      return info;
    })();
    state.loading.set(model, promise);
    try {
      return await promise;
    } finally {
      state.loading.delete(model);
    }
  }

  /** The methods the current model supports, read from its ModelInfo (never assumed). */
  async function supportedMethods() {
    const info = await ensureModel(state.model);
    return Array.isArray(info.methods) ? info.methods : [];
  }

  /** @param {any} err @param {string} [model] the model the failed request named */
  function report(err, model = state.model) {
    if (err && err.code === -32800) return; // a newer request took over
    const text = describeError(err, { model, executable: executable() });
    output.appendLine(text);
    vscode.window.showErrorMessage(text);
  }

  // ---- highlighting -----------------------------------------------------------------------

  /** The editor showing the analysed document: the active one if it does, else a visible one. */
  function editorFor(/** @type {Analysis} */ a) {
    const active = vscode.window.activeTextEditor;
    if (active && active.document === a.document) return active;
    const visible = (vscode.window.visibleTextEditors || []).find((/** @type {any} */ e) => e.document === a.document);
    return visible || a.editor;
  }

  /**
   * Asks for the highlight at the cursor now; a request still running is cancelled, except, for
   * a cursor move (`follow`), a slow one computing the same matrix (see highlightAtCursor).
   */
  function highlightNow(follow = false) {
    const run = highlightAtCursor(follow).catch((err) => report(err));
    state.work = run;
    return run;
  }

  /** What the daemon caches a highlight's matrix by, beside the text (protocol.md section 8). */
  function basisKey() {
    return JSON.stringify([state.model, state.method, state.layer, state.granularity]);
  }

  async function highlightAtCursor(follow = false) {
    const a = state.analysis;
    if (!a) return;
    const editor = editorFor(a);
    const cursor = a.document.offsetAt(editor.selection.active) - a.startOffset;
    // Outside the span: keep the shading (a translation pair: its line 3 and later say why not).
    if ((cursor < 0 || cursor > a.text.length) && !a.pair && !P.isPair(state.models.get(state.model))) return;
    // A slow request (value zeroing) computing what this one needs is not cancelled by a cursor
    // move, which would start it again: when it lands, the cursor is followed and the daemon
    // answers from its cache (the matrix is cached for every focus).
    if (follow && state.busy && state.inflight && state.inflightKey === `${basisKey()}\0${a.text}`) {
      state.after = true;
      await state.inflightRun;
      return;
    }
    state.after = false;
    const seq = ++state.seq;
    if (state.inflight && state.client) state.client.cancel(state.inflight.id);
    state.inflight = undefined;
    /** @type {() => void} */
    let landed = () => {};
    state.inflightRun = new Promise((resolve) => { landed = () => resolve(undefined); });
    try {
      const client = await ensureClient();
      const info = await ensureModel(state.model);
      if (seq !== state.seq || state.analysis !== a) return;
      if (Array.isArray(info.methods) && info.methods.length > 0 && !info.methods.includes(state.method)) {
        state.method = info.methods[0];
      }
      /** @type {any} */
      let params;
      /** @type {'source' | 'target' | undefined} */
      let side;
      if (P.isPair(info)) {
        // An encoder-decoder model: line 1 is the source, line 2 the target (pair.js).
        const p = P.pairOf(a.document, (l1, c1, l2, c2) => new vscode.Range(l1, c1, l2, c2),
          (l, c) => new vscode.Position(l, c));
        a.text = p.text;
        a.startOffset = p.startOffset;
        a.base = { line: 0, character: 0 };
        a.pair = p;
        const at = a.document.offsetAt(editor.selection.active) - a.startOffset;
        let note;
        ({ params, side, note } = P.paramsFor(p, Math.max(0, Math.min(at, p.text.length)), state, info,
          editor.selection.active.line));
        if (!params) { // nothing to shade here: say why, once per analysis
          a.pairSide = side;
          a.result = undefined;
          a.decorations = undefined;
          a.aligned = undefined;
          draw(editor, undefined);
          a.said = a.said || new Set();
          if (note && !a.said.has(note)) {
            a.said.add(note);
            vscode.window.setStatusBarMessage(`Heed: ${note}`, 4000);
          }
          updateStatus();
          return;
        }
      } else {
        params = {
          model: state.model,
          text: a.text,
          focus: { start: cursor, end: cursor },
          method: state.method,
          layer: state.layer,
          direction: state.direction,
          granularity: state.granularity,
        };
      }
      a.pairSide = side;
      const request = client.request('heed/highlight', params);
      state.inflight = request;
      state.inflightKey = `${basisKey()}\0${a.text}`;
      const busy = watchBusy(request, params.method);
      /** @type {HighlightResult} */
      let result;
      let answered = false;
      try {
        result = await request;
        answered = true;
      } finally {
        if (state.inflight === request) state.inflight = undefined;
        busy.end(answered);
      }
      if (seq !== state.seq || state.analysis !== a) return;
      if (side && a.pair) result = P.toSpan(result, side, a.pair.targetStart);
      apply(a, editor, result, params);
      if (state.after) { // the cursor moved while it ran: its focus now (from the cache)
        state.after = false;
        highlightNow(true);
      }
    } catch (err) {
      if (seq !== state.seq || state.analysis !== a) return;
      if (err && (err.code === 'daemon-exited' || err.code === -32800)) return; // handled elsewhere
      // This passage cannot be shaded (unknown model, no token, ...): drop it, so that cursor
      // moves do not repeat the error, and say why.
      clearHighlights();
      report(err);
    } finally {
      landed();
    }
  }

  /**
   * Value zeroing (and, on long texts, the other follow-ups) can take seconds. The request runs
   * in the background (the editor is never blocked); when it has not answered after
   * heed.busyDelay ms, a window progress (the status bar's spinner) and the status item say
   * "computing value zeroing…" until it settles. heed/highlight takes no workDoneToken
   * (protocol.md section 6): there is no percentage to show.
   * @param {Promise<any>} request
   * @param {string} method
   * @returns {{end: (answered: boolean) => void}}
   */
  function watchBusy(request, method) {
    /** @type {() => void} */
    let settle = () => {};
    const settled = new Promise((resolve) => { settle = () => resolve(undefined); });
    let shown = false;
    let ended = false;
    const label = `computing ${/** @type {Record<string, string>} */ (BUSY_NAMES)[method] || method}`;
    const timer = state.busyDelay >= 0 ? setTimeout(() => {
      if (ended || state.inflight !== request) return;
      shown = true;
      state.busy = label;
      updateStatus();
      vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Heed: ${label}…`, cancellable: false },
        () => settled);
    }, state.busyDelay) : undefined;
    return {
      /** @param {boolean} answered the request answered (not cancelled, not failed) */
      end(answered) {
        if (ended) return;
        ended = true;
        if (timer) clearTimeout(timer);
        settle();
        if (shown && state.busy === label) {
          state.busy = undefined;
          updateStatus();
          if (answered) vscode.window.setStatusBarMessage(`Heed: ${label.replace(/^computing /, '')} done`, 3000);
        }
      },
    };
  }

  /**
   * @param {Analysis} a
   * @param {any} editor
   * @param {HighlightResult} result
   * @param {any} params
   */
  function apply(a, editor, result, params) {
    a.result = result;
    a.params = params;
    a.editor = editor;
    a.others = new Map();
    a.decorations = D.mapHighlight(result, a.text, a.base);
    a.aligned = a.pairSide === 'target' ? P.alignedRange(result, a.text, a.base) : undefined;
    draw(editor, a.decorations, a.aligned);
    updateStatus();
    if (result.window && !a.windowShown) {
      a.windowShown = true;
      const info = state.models.get(state.model);
      const limit = info && info.maxTokens ? `${info.maxTokens} tokens` : 'its token limit';
      const w = a.decorations.window;
      const lines = w ? ` (lines ${w.start.line + 1}-${w.end.line + 1})` : '';
      // A decoder's window ends at the focus (its row sees only earlier tokens).
      const where = info && info.causal === true ? 'ending at' : 'around';
      vscode.window.showInformationMessage(
        `Heed: the passage is longer than ${state.model} takes (${limit}); shading the window ${where} the cursor${lines}.`);
    }
  }

  /**
   * @param {any} editor @param {Decorations | undefined} decorations
   * @param {import('./decorations').PosRange} [aligned] a translation pair's aligned source unit
   */
  function draw(editor, decorations, aligned) {
    const toRange = (/** @type {import('./decorations').PosRange} */ r) =>
      new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
    for (let k = 0; k < D.BUCKETS; k++) {
      editor.setDecorations(bucketTypes[k], decorations ? decorations.buckets[k].map(toRange) : []);
    }
    editor.setDecorations(focusType, decorations ? [toRange(decorations.focus)] : []);
    editor.setDecorations(alignedType, decorations && aligned ? [toRange(aligned)] : []);
  }

  function cancelPending() {
    if (state.timer) clearTimeout(state.timer);
    state.timer = undefined;
    if (state.timerFired) state.timerFired();
    state.timerFired = undefined;
    state.seq++;
    if (state.inflight && state.client) state.client.cancel(state.inflight.id);
    state.inflight = undefined;
  }

  function clearHighlights() {
    const a = state.analysis;
    cancelPending();
    state.analysis = undefined;
    if (a) {
      const editors = new Set([a.editor, ...(vscode.window.visibleTextEditors || [])
        .filter((/** @type {any} */ e) => e.document === a.document)]);
      for (const e of editors) draw(e, undefined);
    }
    vscode.commands.executeCommand('setContext', 'heed.active', false);
    updateStatus();
  }

  function scheduleHighlight() {
    if (state.timer) clearTimeout(state.timer);
    let fired = () => {};
    const waiting = new Promise((resolve) => { fired = () => resolve(undefined); });
    if (state.timerFired) state.timerFired();
    state.timerFired = fired;
    state.work = waiting.then(() => state.work);
    state.timer = setTimeout(() => {
      state.timer = undefined;
      state.timerFired = undefined;
      highlightNow(true);
      fired();
    }, state.debounce);
  }

  // ---- top contributors -------------------------------------------------------------------

  /**
   * The focus's top 5 by the current method (from the result) and by the other one (asked),
   * and for a model whose ModelInfo has `predicts: true` (a decoder) the 5 most probable next
   * tokens after the focus (asked with the other method, heed/highlight's `predict`).
   * @param {Analysis} a
   * @returns {Promise<{method: string, top: Contributor[], other: string | undefined,
   *   otherTop: Contributor[] | undefined, next: Prediction[] | undefined}>}
   */
  async function topFive(a) {
    const result = /** @type {HighlightResult} */ (a.result);
    const decorations = /** @type {Decorations} */ (a.decorations);
    const textOf = (/** @type {number} */ s, /** @type {number} */ e) => a.text.slice(s, e);
    const top = [...decorations.units]
      .sort((x, y) => y.value - x.value)
      .slice(0, 5)
      .map((u) => ({ text: textOf(u.utf16Start, u.utf16End), value: u.value, score: u.score }));
    const info = state.models.get(a.params.model);
    // A translation pair's target focus: its own top 5 only (the source units it reads).
    const other = a.pairSide === 'target' ? undefined
      : otherMethod(result.method, info && Array.isArray(info.methods) ? info.methods : []);
    if (!other) return { method: result.method, top, other: undefined, otherTop: undefined, next: undefined };
    const predicts = Boolean(info && info.predicts === true);
    let pending = a.others.get(other);
    if (!pending) {
      pending = (async () => {
        const client = await ensureClient();
        /** @type {HighlightResult & {predictions?: Prediction[]}} */
        const r = await client.request('heed/highlight', {
          ...a.params, method: other, focus: result.focus, topK: 5, ...(predicts ? { predict: 5 } : {}),
        });
        const m = D.mapHighlight(r, a.text, a.base);
        return {
          top: m.units.sort((x, y) => y.value - x.value)
            .map((u) => ({ text: textOf(u.utf16Start, u.utf16End), value: u.value, score: u.score })),
          next: Array.isArray(r.predictions) && r.predictions.length > 0 ? r.predictions : undefined,
        };
      })();
      a.others.set(other, pending);
      pending.catch(() => a.others.delete(other));
    }
    const o = await pending;
    return { method: result.method, top, other, otherTop: o.top, next: o.next };
  }

  /** @param {Analysis} a @param {Awaited<ReturnType<typeof topFive>>} t */
  function topTable(a, t) {
    const rows = Math.max(t.top.length, t.otherTop ? t.otherTop.length : 0);
    const cell = (/** @type {Contributor | undefined} */ c) => (c ? `${code(c.text)} ${num(c.value)}` : '');
    const lines = [`| # | ${t.method} | ${t.other || '(no other method)'} |`, '|---|---|---|'];
    for (let i = 0; i < rows; i++) {
      lines.push(`| ${i + 1} | ${cell(t.top[i])} | ${cell(t.otherTop ? t.otherTop[i] : undefined)} |`);
    }
    return lines.join('\n');
  }

  function layerLabel(/** @type {HighlightResult | undefined} */ result) {
    if (ROLLOUTS.has(state.method)) return 'all layers';
    if (result && result.layer !== null && result.layer !== undefined && result.method === state.method) {
      return state.layer === 'last' ? `layer ${result.layer} (last)` : `layer ${result.layer}`;
    }
    return state.layer === 'last' ? 'last layer' : `layer ${state.layer}`;
  }

  // ---- hover ------------------------------------------------------------------------------

  const hoverProvider = {
    /** @param {any} document @param {any} position */
    async provideHover(document, position) {
      const a = state.analysis;
      if (!a || !a.result || !a.decorations || document !== a.document) return undefined;
      const offset = document.offsetAt(position) - a.startOffset;
      const d = a.decorations;
      const isFocus = offset >= d.focusSpan.start && offset < d.focusSpan.end;
      // Overlapping units (byte-level tokens sharing a character): the strongest, as drawn.
      const unit = isFocus ? undefined : d.units
        .filter((u) => offset >= u.utf16Start && offset < u.utf16End)
        .reduce((/** @type {import('./decorations').Unit | undefined} */ best, u) =>
          (best && best.score >= u.score ? best : u), undefined);
      if (!isFocus && !unit) return undefined;
      let t;
      try {
        t = await topFive(a);
      } catch (err) {
        t = undefined;
      }
      if (state.analysis !== a) return undefined;
      const focusText = a.text.slice(d.focusSpan.start, d.focusSpan.end);
      const md = new vscode.MarkdownString();
      if (a.pairSide === 'target' && a.pair) {
        // A translation pair, the focus in the target: what it is aligned to in the source.
        const al = P.aligned(a.result);
        md.appendMarkdown(`**Heed** · ${state.model} · cross \`${a.result.method}\` · decoder layer ${a.result.layer} · ${a.params.setting || 'input'}\n\n`);
        md.appendMarkdown(`${code(focusText)} aligned to: ${al ? code(a.text.slice(al.start, al.end)) : '(none)'}\n\n`);
      } else {
        md.appendMarkdown(`**Heed** · ${state.model} · \`${a.result.method}\` · ${layerLabel(a.result)} · ${a.params.direction}\n\n`);
      }
      if (unit) {
        const text = a.text.slice(unit.utf16Start, unit.utf16End);
        md.appendMarkdown(`${code(text)}: value ${num(unit.value)} · score ${num(unit.score)} · bucket ${unit.bucket}\n\n`);
      } else {
        md.appendMarkdown(`${code(focusText)} is the focus\n\n`);
      }
      if (t) {
        md.appendMarkdown(`Top 5 for the focus ${code(focusText)}:\n\n${topTable(a, t)}\n`);
        if (t.next) md.appendMarkdown(`\nNext token: ${nextList(t.next, code)}\n`);
      }
      const r = unit ? unit.range : d.focus;
      return new vscode.Hover(md, new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character));
    },
  };

  // ---- status -----------------------------------------------------------------------------

  function updateStatus() {
    const a = state.analysis;
    const result = a && a.result;
    const running = state.client && state.client.running;
    const pairInfo = state.models.get(state.model);
    const parts = a && a.pairSide === 'target'
      ? [state.model, `cross ${result ? result.method : state.crossMethod || P.crossMethods(pairInfo)[0]}`,
        `decoder layer ${result ? result.layer : P.decoderLayer(state, pairInfo)}`, 'to source']
      : [state.model, state.method, layerLabel(result), state.direction];
    if (result && result.window) parts.push('window');
    status.text = `$(eye) ${parts.join(' · ')}${state.busy ? ` $(sync~spin) ${state.busy}…` : ''}`;
    const info = state.models.get(state.model);
    const model = info
      ? `${info.id} (${info.family}, ${info.layers} layers, ${info.causal ? 'decoder' : 'encoder'}, ${info.maxTokens} tokens)`
      : state.model;
    status.tooltip = `Heed — model ${model}; method ${describeMethod(state.method)}; ${layerLabel(result)}; direction ${state.direction}`
      + `${result && result.window ? '; the passage is beyond the model\'s limit: the window around the cursor is shaded' : ''}`
      + `${running ? '' : '; daemon not running'}. Click for details.`;
    status.show();
  }

  // ---- commands ---------------------------------------------------------------------------

  /** heed.analyzeSelection: the selection (or the paragraph) becomes the analysed span. */
  async function analyzeSelection() {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      vscode.window.showErrorMessage('Heed: open a text editor to analyze.');
      return;
    }
    const document = editor.document;
    const selection = editor.selection;
    let start;
    let end;
    if (!selection.isEmpty) {
      start = selection.start;
      end = selection.end;
    } else {
      const para = D.paragraphAt((n) => document.lineAt(n).text, document.lineCount, selection.active.line);
      // A translation pair's empty line 2 (or a blank line after it) is no paragraph, but pair
      // mode analyses lines 1 and 2 wherever the cursor is (highlightAtCursor says why not).
      let pairMode = false;
      if (!para) {
        try {
          pairMode = P.isPair(state.models.get(state.model) || await ensureModel(state.model));
        } catch (err) {
          pairMode = false;
        }
        if (!pairMode) {
          vscode.window.showErrorMessage('Heed: the cursor is on a blank line; select the text to analyze.');
          return;
        }
      }
      start = para ? new vscode.Position(para.first, 0) : new vscode.Position(0, 0);
      end = document.lineAt(para ? para.last : 0).range.end;
    }
    clearHighlights();
    const text = document.getText(new vscode.Range(start, end));
    state.analysis = {
      document,
      editor,
      startOffset: document.offsetAt(start),
      text,
      base: { line: start.line, character: start.character },
      windowShown: false,
      others: new Map(),
    };
    vscode.commands.executeCommand('setContext', 'heed.active', true);
    updateStatus();
    await highlightNow();
  }

  /** heed.cycleMethod [name]: the next method the model supports (weight <-> norm), or `name`. */
  async function cycleMethod(/** @type {unknown} */ name) {
    if (state.analysis && state.analysis.pairSide === 'target') return cycleCrossMethod(name);
    let methods;
    try {
      methods = await supportedMethods();
    } catch (err) {
      report(err);
      return;
    }
    if (methods.length === 0) {
      vscode.window.showErrorMessage(`Heed: ${state.model} reports no highlight methods.`);
      return;
    }
    if (typeof name === 'string' && name !== '') {
      if (!methods.includes(name)) {
        vscode.window.showErrorMessage(`Heed: ${state.model} does not support ${name} (it supports ${methods.join(', ')}).`);
        return;
      }
      state.method = name;
    } else {
      const i = methods.indexOf(state.method);
      state.method = methods[(i + 1) % methods.length];
    }
    vscode.window.setStatusBarMessage(`Heed: method ${describeMethod(state.method)}`, 4000);
    updateStatus();
    if (state.analysis) await highlightNow();
  }

  /**
   * heed.cycleMethod with the cursor on a translation pair's target line: the next of the
   * model's crossMethods (norm-summed -> attention -> norm), or `name`.
   */
  async function cycleCrossMethod(/** @type {unknown} */ name) {
    let info;
    try {
      info = await ensureModel(state.model);
    } catch (err) {
      report(err);
      return;
    }
    const methods = P.crossMethods(info);
    if (methods.length === 0) return;
    if (typeof name === 'string' && name !== '') {
      if (!methods.includes(name)) {
        vscode.window.showErrorMessage(`Heed: ${state.model} does not support ${name} for cross-attention (it supports ${methods.join(', ')}).`);
        return;
      }
      state.crossMethod = name;
    } else {
      const current = state.crossMethod && methods.includes(state.crossMethod) ? state.crossMethod : methods[0];
      state.crossMethod = methods[(methods.indexOf(current) + 1) % methods.length];
    }
    vscode.window.setStatusBarMessage(`Heed: cross-attention method ${describeMethod(state.crossMethod)}`, 4000);
    updateStatus();
    if (state.analysis) await highlightNow();
  }

  /**
   * heed.setLayer [n | "next" | "prev" | "last"]: without an argument, a pick list. With the cursor
   * on line 2 of a translation pair: the decoder's layers (ModelInfo `decoderLayers`).
   */
  async function setLayer(/** @type {unknown} */ arg) {
    let info;
    try {
      info = await ensureModel(state.model);
    } catch (err) {
      report(err);
      return;
    }
    if (state.analysis && state.analysis.pairSide === 'target' && P.isPair(info)) return setDecoderLayer(arg, info);
    const layers = Number(info.layers);
    if (!(layers > 0)) {
      vscode.window.showErrorMessage(`Heed: ${state.model} reports no layers.`);
      return;
    }
    let choice = arg;
    if (choice === undefined || choice === null || choice === '') {
      const items = ['next', 'prev', 'last', ...Array.from({ length: layers }, (_, i) => String(i))];
      choice = await vscode.window.showQuickPick(items, { placeHolder: `Layer (0-${layers - 1}), now ${layerLabel(state.analysis && state.analysis.result)}` });
      if (choice === undefined) return;
    }
    const a = state.analysis;
    const shown = a && a.result && typeof a.result.layer === 'number' ? a.result.layer : undefined;
    const current = state.layer === 'last' ? (shown !== undefined ? shown : layers - 1) : state.layer;
    if (choice === 'next') state.layer = (current + 1) % layers;
    else if (choice === 'prev') state.layer = (current - 1 + layers) % layers;
    else if (choice === 'last') state.layer = 'last';
    else {
      const n = typeof choice === 'number' ? choice : Number(String(choice).trim());
      if (!Number.isInteger(n) || n < 0 || n >= layers) {
        vscode.window.showErrorMessage(`Heed: layer ${String(choice)} is out of range: ${state.model} has layers 0-${layers - 1}.`);
        return;
      }
      state.layer = n;
    }
    if (ROLLOUTS.has(state.method)) {
      vscode.window.setStatusBarMessage(`Heed: ${state.method} is a product over all layers; the layer applies to the other methods.`, 4000);
    }
    updateStatus();
    if (state.analysis) await highlightNow();
  }

  /**
   * heed.setLayer with the cursor on a translation pair's target line: one of the decoder's
   * layers 0...decoderLayers-1, next, prev or last.
   * @param {unknown} arg @param {any} info ModelInfo
   */
  async function setDecoderLayer(arg, info) {
    const layers = Number(info.decoderLayers);
    if (!(layers > 0)) {
      vscode.window.showErrorMessage(`Heed: ${state.model} reports no decoder layers.`);
      return;
    }
    let choice = arg;
    const current = P.decoderLayer(state, info);
    if (choice === undefined || choice === null || choice === '') {
      const items = ['next', 'prev', 'last', ...Array.from({ length: layers }, (_, i) => String(i))];
      choice = await vscode.window.showQuickPick(items, { placeHolder: `Decoder layer (0-${layers - 1}), now ${current}` });
      if (choice === undefined) return;
    }
    const cur = current === undefined ? layers - 1 : current;
    if (choice === 'next') state.decoderLayer = (cur + 1) % layers;
    else if (choice === 'prev') state.decoderLayer = (cur - 1 + layers) % layers;
    else if (choice === 'last') state.decoderLayer = 'last';
    else {
      const n = typeof choice === 'number' ? choice : Number(String(choice).trim());
      if (!Number.isInteger(n) || n < 0 || n >= layers) {
        vscode.window.showErrorMessage(`Heed: decoder layer ${String(choice)} is out of range: ${state.model} has decoder layers 0-${layers - 1}.`);
        return;
      }
      state.decoderLayer = n;
    }
    vscode.window.setStatusBarMessage(`Heed: decoder layer ${P.decoderLayer(state, info)}`, 4000);
    updateStatus();
    if (state.analysis) await highlightNow();
  }

  /** heed.cycleDirection [from|to|received] */
  async function cycleDirection(/** @type {unknown} */ name) {
    if (typeof name === 'string' && name !== '') {
      if (!DIRECTIONS.includes(name)) {
        vscode.window.showErrorMessage(`Heed: unknown direction ${name} (from, to, received).`);
        return;
      }
      state.direction = name;
    } else {
      state.direction = DIRECTIONS[(DIRECTIONS.indexOf(state.direction) + 1) % DIRECTIONS.length];
    }
    updateStatus();
    if (state.analysis) await highlightNow();
  }

  /** heed.selectModel [id]: a pick list from heed/models. */
  async function selectModel(/** @type {unknown} */ id) {
    let choice = typeof id === 'string' && id !== '' ? id : undefined;
    if (!choice) {
      /** @type {any[]} */
      let models;
      try {
        const client = await ensureClient();
        models = (await client.request('heed/models')).models || [];
      } catch (err) {
        report(err);
        return;
      }
      const other = 'Other (a model directory or Hugging Face repo id)…';
      const items = models.map((m) => ({
        label: m.id,
        description: m.loaded ? `${m.family}, ${m.layers} layers, loaded` : (m.source ? 'on disk' : 'fetched on first use'),
      }));
      items.push({ label: other, description: '' });
      const picked = await vscode.window.showQuickPick(items, { placeHolder: `Model (now ${state.model})` });
      if (!picked) return;
      choice = picked.label === other
        ? await vscode.window.showInputBox({ prompt: 'Model directory or Hugging Face repo id (ORG/NAME)' })
        : picked.label;
      if (!choice) return;
    }
    const previous = state.model;
    state.model = choice;
    try {
      const info = await ensureModel(choice);
      if (Array.isArray(info.methods) && info.methods.length > 0 && !info.methods.includes(state.method)) state.method = info.methods[0];
      if (state.layer !== 'last' && state.layer >= Number(info.layers)) state.layer = 'last';
    } catch (err) {
      state.model = previous;
      report(err, choice);
      updateStatus();
      return;
    }
    updateStatus();
    if (state.analysis) await highlightNow();
  }

  /** heed.clear */
  function clear() {
    clearHighlights();
  }

  /** heed.showInfo: the settings in use and the focus's top 5 by both methods. */
  async function showInfo() {
    const a = state.analysis;
    const info = state.models.get(state.model);
    const head = `Heed: ${state.model} · ${state.method} · ${layerLabel(a && a.result)} · ${state.direction}`;
    output.appendLine(head);
    if (info) output.appendLine(`  model: ${info.family}, ${info.layers} layers, ${info.heads} heads, ${info.maxTokens} tokens, ${info.causal ? 'decoder' : 'encoder'}; methods: ${(info.methods || []).join(', ')}; source: ${info.source}`);
    if (!a || !a.result || !a.decorations) {
      vscode.window.showInformationMessage(`${head}. Nothing analyzed yet: run Heed: Analyze Selection or Paragraph.`);
      return;
    }
    const focusText = a.text.slice(a.decorations.focusSpan.start, a.decorations.focusSpan.end);
    let t;
    try {
      t = await topFive(a);
    } catch (err) {
      report(err);
      return;
    }
    const list = (/** @type {Contributor[] | undefined} */ cs) => (cs || []).map((c) => `${c.text} ${num(c.value)}`).join(', ');
    // A translation pair's target focus: the source unit it is aligned to (score 1).
    const al = a.pairSide === 'target' ? P.aligned(a.result) : undefined;
    const alignedTo = a.pairSide === 'target' ? ` aligned to: "${al ? a.text.slice(al.start, al.end) : '(none)'}"` : '';
    output.appendLine(`  focus "${focusText}"${alignedTo}${a.result.window ? ' (long text: window shaded)' : ''}`);
    output.appendLine(`  top 5 by ${t.method}: ${list(t.top)}`);
    if (t.other) output.appendLine(`  top 5 by ${t.other}: ${list(t.otherTop)}`);
    const quote = (/** @type {string} */ s) => JSON.stringify(s);
    if (t.next) output.appendLine(`  next token: ${nextList(t.next, quote)}`);
    vscode.window.showInformationMessage(
      `${head}. Focus "${focusText}"${alignedTo}. Top by ${t.method}: ${list(t.top)}.${t.other ? ` Top by ${t.other}: ${list(t.otherTop)}.` : ''}`
      + `${t.next ? ` Next token: ${nextList(t.next, quote)}.` : ''}`);
  }

  // ---- events -----------------------------------------------------------------------------

  disposables.push(vscode.window.onDidChangeTextEditorSelection((/** @type {any} */ e) => {
    const a = state.analysis;
    if (!a || e.textEditor.document !== a.document) return;
    scheduleHighlight();
  }));

  disposables.push(vscode.workspace.onDidChangeTextDocument((/** @type {any} */ e) => {
    const a = state.analysis;
    if (!a || e.document !== a.document || e.contentChanges.length === 0) return;
    const spanEnd = a.startOffset + a.text.length;
    let shift = 0;
    for (const change of e.contentChanges) {
      const changeEnd = change.rangeOffset + change.rangeLength;
      if (changeEnd < a.startOffset) shift += change.text.length - change.rangeLength;
      else if (change.rangeOffset > spanEnd) continue;
      else {
        clearHighlights(); // the text under the shading changed
        return;
      }
    }
    if (shift !== 0) {
      a.startOffset += shift;
      const p = a.document.positionAt(a.startOffset);
      a.base = { line: p.line, character: p.character };
      if (a.result) a.decorations = D.mapHighlight(a.result, a.text, a.base);
    }
  }));

  disposables.push(vscode.window.onDidChangeVisibleTextEditors((/** @type {any[]} */ editors) => {
    const a = state.analysis;
    if (!a || !a.decorations) return;
    for (const e of editors) {
      if (e.document === a.document) {
        a.editor = e;
        draw(e, a.decorations, a.aligned);
      }
    }
  }));

  disposables.push(vscode.workspace.onDidChangeConfiguration((/** @type {any} */ e) => {
    if (!e.affectsConfiguration('heed')) return;
    readSettings();
    updateStatus();
    if (state.analysis) highlightNow();
  }));

  disposables.push(vscode.languages.registerHoverProvider('*', hoverProvider));

  const commands = {
    analyzeSelection,
    cycleMethod,
    setLayer,
    cycleDirection,
    clear,
    showInfo,
    selectModel,
  };
  for (const [name, handler] of Object.entries(commands)) {
    disposables.push(vscode.commands.registerCommand(`heed.${name}`, handler));
  }
  updateStatus();

  const heed = {
    commands,
    hoverProvider,
    state,
    /** Resolves once the pending debounce timer and the request it started are done. */
    async settle() {
      for (let i = 0; i < 100; i++) {
        const work = state.work;
        await work;
        if (work === state.work && !state.timer) return;
      }
    },
    /** Stops the daemon (shutdown + exit) and disposes of everything (once). */
    dispose() {
      if (!disposing) disposing = disposeAll();
      return disposing;
    },
  };

  /** @type {Promise<void> | undefined} */
  let disposing;
  return heed;

  async function disposeAll() {
    state.disposed = true;
    cancelPending();
    for (const d of disposables.reverse()) {
      try { d.dispose(); } catch (err) { /* already gone */ }
    }
    if (state.client) await state.client.stop();
  }
}

/** @type {ReturnType<typeof createHeed> | undefined} */
let heed;

/** VS Code entry point. @param {any} context */
function activate(context) {
  // eslint-disable-next-line global-require
  const vscode = require('vscode');
  heed = createHeed(vscode);
  const instance = heed;
  context.subscriptions.push({ dispose: () => { instance.dispose(); } });
}

/** VS Code exit point: `shutdown` + `exit` to the daemon; waits for it to be gone. */
function deactivate() {
  const instance = heed;
  heed = undefined;
  return instance ? instance.dispose() : undefined;
}

module.exports = { activate, deactivate, createHeed, otherMethod, describeError, describeMethod, METHOD_ORDER, ROLLOUTS };
