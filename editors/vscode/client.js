// @ts-check
'use strict';
// The Heed daemon client: LSP framing and JSON-RPC 2.0 over the stdio of `heed serve`
// (protocol.md, sections 1 and 2). It needs nothing but Node: no `vscode` module, so the
// tests drive it against the real daemon under `node --test`.

const { spawn } = require('child_process');
const { EventEmitter } = require('events');

const CRLF2 = Buffer.from('\r\n\r\n', 'latin1');
const MAX_HEADER_BYTES = 8192;

/** An error answered by the daemon (or a failure of the connection itself). */
class HeedError extends Error {
  /**
   * @param {number|string} code JSON-RPC error code, or a string for connection failures
   *   ('daemon-exited', 'not-running', 'spawn-failed', 'timeout').
   * @param {string} message
   * @param {unknown} [data]
   */
  constructor(code, message, data) {
    super(message);
    this.name = 'HeedError';
    this.code = code;
    this.data = data;
  }
}

/**
 * A pure byte state machine for LSP frames: feed it chunks split anywhere, get bodies back.
 * Header lines may come in any order, names are case-insensitive, unknown headers are ignored,
 * and Content-Length counts bytes of the UTF-8 body (not characters).
 */
class FrameReader {
  constructor() {
    /** @type {Buffer} */
    this.buffer = Buffer.alloc(0);
  }

  /**
   * @param {Buffer} chunk
   * @returns {string[]} the complete bodies this chunk finished, decoded as UTF-8
   */
  push(chunk) {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    /** @type {string[]} */
    const bodies = [];
    for (;;) {
      const headerEnd = this.buffer.indexOf(CRLF2);
      if (headerEnd < 0) {
        if (this.buffer.length > MAX_HEADER_BYTES) this.resync(1);
        return bodies;
      }
      const contentLength = FrameReader.contentLength(this.buffer.subarray(0, headerEnd).toString('latin1'));
      if (contentLength === undefined) {
        // No usable Content-Length: skip to the next "Content-Length:" after this one.
        this.resync(1);
        continue;
      }
      const bodyStart = headerEnd + 4;
      if (this.buffer.length < bodyStart + contentLength) return bodies;
      bodies.push(this.buffer.subarray(bodyStart, bodyStart + contentLength).toString('utf8'));
      this.buffer = this.buffer.subarray(bodyStart + contentLength);
    }
  }

  /** Drops bytes up to the next `Content-Length:` found at or after `from`. */
  resync(from) {
    const text = this.buffer.toString('latin1');
    const next = text.toLowerCase().indexOf('content-length:', from);
    this.buffer = next < 0 ? Buffer.alloc(0) : this.buffer.subarray(next);
  }

  /**
   * @param {string} header the header block without its terminating blank line
   * @returns {number|undefined}
   */
  static contentLength(header) {
    for (const line of header.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      if (line.slice(0, colon).trim().toLowerCase() !== 'content-length') continue;
      const value = line.slice(colon + 1).trim();
      if (!/^\d+$/.test(value)) return undefined;
      return Number(value);
    }
    return undefined;
  }
}

/**
 * @param {string} body a JSON text
 * @returns {Buffer} the LSP frame carrying it (Content-Length in UTF-8 bytes)
 */
function encodeFrame(body) {
  const bytes = Buffer.from(body, 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\r\n\r\n`, 'latin1'), bytes]);
}

/**
 * @typedef {Object} ClientOptions
 * @property {string} command the heed executable (a path, or a name looked up on PATH)
 * @property {string[]} [args] default ['serve']
 * @property {NodeJS.ProcessEnv} [env]
 * @property {string} [cwd]
 * @property {string[]} [positionEncodings] offered in `initialize`, default ['utf-16']
 * @property {{name: string, version?: string}} [clientInfo]
 * @property {(line: string) => void} [log] receives the daemon's stderr, line by line
 */

/**
 * @typedef {Promise<any> & {id: number}} PendingRequest
 */

/**
 * One `heed serve` process and the JSON-RPC conversation with it.
 *
 * Events: 'progress' (token, value) for `$/progress`; 'notification' (method, params);
 * 'exit' ({code, signal, expected}) when the process ends — `expected` is false when it died
 * without `stop()`; 'stderr' (line).
 */
class HeedClient extends EventEmitter {
  /** @param {ClientOptions} options */
  constructor(options) {
    super();
    this.options = options;
    /** @type {import('child_process').ChildProcessWithoutNullStreams | undefined} */
    this.process = undefined;
    /** @type {Map<number, {resolve: (v: any) => void, reject: (e: Error) => void, method: string}>} */
    this.pending = new Map();
    this.nextId = 1;
    /** @type {any} */
    this.initializeResult = undefined;
    this.stopping = false;
    /** @type {Promise<any> | undefined} */
    this.starting = undefined;
    /** @type {Promise<void> | undefined} */
    this.exited = undefined;
  }

  /** @returns {boolean} whether a daemon process is running */
  get running() {
    return this.process !== undefined;
  }

  /** @returns {number | undefined} the daemon's process id */
  get pid() {
    return this.process ? this.process.pid : undefined;
  }

  /** @returns {string} the negotiated position encoding */
  get positionEncoding() {
    return this.initializeResult ? this.initializeResult.capabilities.positionEncoding : 'utf-16';
  }

  /**
   * Starts the daemon (if not running) and initializes it. Concurrent calls share one start.
   * @returns {Promise<any>} the `initialize` result
   */
  start() {
    if (this.starting) return this.starting;
    this.starting = this.spawnAndInitialize().catch((err) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  /** @returns {Promise<any>} */
  async spawnAndInitialize() {
    const { command, args = ['serve'], env, cwd } = this.options;
    this.stopping = false;
    /** @type {import('child_process').ChildProcessWithoutNullStreams} */
    let child;
    try {
      child = spawn(command, args, { env: env || process.env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      throw new HeedError('spawn-failed', `cannot start ${command}: ${errorText(err)}`);
    }
    this.process = child;
    const reader = new FrameReader();
    let stderrRest = '';
    /** @type {(err: Error) => void} */
    let spawnFailed = () => {};
    const spawnError = new Promise((_, reject) => { spawnFailed = reject; });
    spawnError.catch(() => {});

    child.stdout.on('data', (/** @type {Buffer} */ chunk) => {
      for (const body of reader.push(chunk)) this.dispatch(body);
    });
    child.stderr.on('data', (/** @type {Buffer} */ chunk) => {
      const lines = (stderrRest + chunk.toString('utf8')).split('\n');
      stderrRest = lines.pop() || '';
      for (const line of lines) {
        this.emit('stderr', line);
        if (this.options.log) this.options.log(line);
      }
    });
    child.stdin.on('error', () => {}); // EPIPE when the daemon died: the 'exit' handler reports it
    let resolveExited = () => {};
    this.exited = new Promise((resolve) => { resolveExited = resolve; });
    child.on('error', (err) => {
      // spawn failure (ENOENT, EACCES): no 'exit' follows
      if (this.process === child) this.process = undefined;
      const failure = new HeedError('spawn-failed', `cannot start ${command}: ${errorText(err)}`);
      spawnFailed(failure);
      this.rejectAll(failure);
      resolveExited();
    });
    child.on('exit', (code, signal) => {
      const expected = this.stopping;
      if (this.process === child) this.process = undefined;
      this.starting = undefined;
      this.initializeResult = undefined;
      const why = signal ? `killed by ${signal}` : `exit code ${code}`;
      this.rejectAll(new HeedError('daemon-exited', `the heed daemon exited (${why})`));
      resolveExited();
      this.emit('exit', { code, signal, expected });
    });

    const initialize = this.request('initialize', {
      processId: process.pid,
      clientInfo: this.options.clientInfo || { name: 'heed-vscode' },
      capabilities: { general: { positionEncodings: this.options.positionEncodings || ['utf-16'] } },
    });
    const result = await Promise.race([initialize, spawnError]);
    this.initializeResult = result;
    this.notify('initialized', {});
    return result;
  }

  /**
   * Sends a request. The returned promise carries the request's `id` (for `cancel`).
   * It rejects with a HeedError holding the daemon's code, message and data.
   * @param {string} method
   * @param {object} [params]
   * @returns {PendingRequest}
   */
  request(method, params) {
    const id = this.nextId++;
    /** @type {any} */
    const promise = new Promise((resolve, reject) => {
      if (!this.process) {
        reject(new HeedError('not-running', 'the heed daemon is not running'));
        return;
      }
      this.pending.set(id, { resolve, reject, method });
      this.write({ jsonrpc: '2.0', id, method, params: params === undefined ? {} : params });
    });
    promise.id = id;
    return promise;
  }

  /**
   * @param {string} method
   * @param {object} [params]
   */
  notify(method, params) {
    if (!this.process) return;
    /** @type {any} */
    const message = { jsonrpc: '2.0', method };
    if (params !== undefined) message.params = params;
    this.write(message);
  }

  /**
   * Asks the daemon to cancel a request (`$/cancelRequest`); it then answers -32800.
   * @param {number} id
   */
  cancel(id) {
    if (this.pending.has(id)) this.notify('$/cancelRequest', { id });
  }

  /** @param {object} message */
  write(message) {
    const child = this.process;
    if (!child || !child.stdin.writable) return;
    child.stdin.write(encodeFrame(JSON.stringify(message)));
  }

  /** @param {string} body */
  dispatch(body) {
    /** @type {any} */
    let message;
    try {
      message = JSON.parse(body);
    } catch (err) {
      this.emit('stderr', `heed client: a frame that is not JSON: ${body.slice(0, 200)}`);
      return;
    }
    const messages = Array.isArray(message) ? message : [message];
    for (const m of messages) {
      if (m && typeof m.method === 'string' && m.id === undefined) {
        if (m.method === '$/progress' && m.params) this.emit('progress', m.params.token, m.params.value);
        this.emit('notification', m.method, m.params);
        continue;
      }
      if (!m || (typeof m.id !== 'number' && typeof m.id !== 'string')) continue;
      const waiter = this.pending.get(Number(m.id));
      if (!waiter) continue;
      this.pending.delete(Number(m.id));
      if (m.error) waiter.reject(new HeedError(m.error.code, String(m.error.message), m.error.data));
      else waiter.resolve(m.result);
    }
  }

  /** @param {Error} err */
  rejectAll(err) {
    const waiters = [...this.pending.values()];
    this.pending.clear();
    for (const w of waiters) w.reject(err);
  }

  /**
   * Ends the daemon: `shutdown`, then `exit`, then closes stdin; kills it if it has not exited
   * within `timeoutMs`. Resolves once the process is gone (reaped, never a zombie).
   * @param {number} [timeoutMs]
   */
  async stop(timeoutMs = 2000) {
    const child = this.process;
    this.starting = undefined;
    if (!child) return;
    this.stopping = true;
    const exited = this.exited;
    const timer = setTimeout(() => { child.kill('SIGKILL'); }, timeoutMs);
    try {
      await Promise.race([this.request('shutdown').catch(() => {}), exited]);
      this.notify('exit');
      child.stdin.end();
      await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the daemon (if running) and starts a fresh one. @returns {Promise<any>} */
  async restart() {
    await this.stop();
    return this.start();
  }
}

/** @param {unknown} err */
function errorText(err) {
  return err instanceof Error ? err.message : String(err);
}

module.exports = { HeedClient, HeedError, FrameReader, encodeFrame };
