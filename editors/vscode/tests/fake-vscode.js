// @ts-check
'use strict';
// A small stand-in for the `vscode` API: just what extension.js uses, with recorders for what
// it shows (messages, decorations, progress, status bar) and drivers for what a person does
// (open a document, select, move the cursor, edit). Positions count UTF-16 code units, as in
// VS Code; line breaks are LF, CRLF or CR. It is written independently of decorations.js so
// the tests do not check that module with itself.

class Position {
  /** @param {number} line @param {number} character */
  constructor(line, character) {
    this.line = line;
    this.character = character;
  }

  /** @param {Position} other */
  isEqual(other) { return this.line === other.line && this.character === other.character; }

  /** @param {Position} other */
  isBefore(other) { return this.line < other.line || (this.line === other.line && this.character < other.character); }

  toString() { return `${this.line}:${this.character}`; }
}

class Range {
  /**
   * new Range(start, end) or new Range(startLine, startCharacter, endLine, endCharacter)
   * @param {any} a @param {any} b @param {number} [c] @param {number} [d]
   */
  constructor(a, b, c, d) {
    let start = typeof a === 'number' ? new Position(a, b) : a;
    let end = typeof a === 'number' ? new Position(/** @type {number} */ (c), /** @type {number} */ (d)) : b;
    if (end.isBefore(start)) [start, end] = [end, start];
    this.start = start;
    this.end = end;
  }

  get isEmpty() { return this.start.isEqual(this.end); }

  toString() { return `[${this.start}-${this.end}]`; }
}

class Selection extends Range {
  /** @param {Position} anchor @param {Position} active */
  constructor(anchor, active) {
    super(anchor, active);
    this.anchor = anchor;
    this.active = active;
  }
}

class ThemeColor {
  /** @param {string} id */
  constructor(id) { this.id = id; }
}

class MarkdownString {
  constructor(value = '') { this.value = value; }

  /** @param {string} s */
  appendMarkdown(s) { this.value += s; return this; }
}

class Hover {
  /** @param {any} contents @param {Range} [range] */
  constructor(contents, range) {
    this.contents = contents;
    this.range = range;
  }
}

/** A listener list with VS Code's `event(listener) -> Disposable` shape. */
class Emitter {
  constructor() {
    /** @type {Set<(e: any) => void>} */
    this.listeners = new Set();
    this.event = (/** @type {(e: any) => void} */ listener) => {
      this.listeners.add(listener);
      return { dispose: () => this.listeners.delete(listener) };
    };
  }

  /** @param {any} e */
  fire(e) { for (const l of [...this.listeners]) l(e); }
}

class TextDocument {
  /** @param {string} text @param {string} uri */
  constructor(text, uri) {
    this.uri = { toString: () => uri, scheme: 'untitled', fsPath: uri };
    this.version = 1;
    this.setText(text);
  }

  /** @param {string} text */
  setText(text) {
    this.text = text;
    /** @type {{start: number, end: number}[]} line content spans, without the break */
    this.lines = [];
    const re = /\r\n|\r|\n/g;
    let start = 0;
    let m;
    while ((m = re.exec(text)) !== null) {
      this.lines.push({ start, end: m.index });
      start = m.index + m[0].length;
    }
    this.lines.push({ start, end: text.length });
  }

  get lineCount() { return this.lines.length; }

  get eol() { return this.text.includes('\r\n') ? 2 : 1; }

  /** @param {number} line */
  lineAt(line) {
    const l = this.lines[line];
    return { lineNumber: line, text: this.text.slice(l.start, l.end), range: new Range(line, 0, line, l.end - l.start) };
  }

  /** @param {Position} p */
  offsetAt(p) {
    const line = Math.min(Math.max(p.line, 0), this.lines.length - 1);
    const l = this.lines[line];
    return l.start + Math.min(Math.max(p.character, 0), l.end - l.start);
  }

  /** @param {number} offset */
  positionAt(offset) {
    const o = Math.min(Math.max(offset, 0), this.text.length);
    for (let i = this.lines.length - 1; i >= 0; i--) {
      if (this.lines[i].start <= o) return new Position(i, Math.min(o, this.lines[i].end) - this.lines[i].start);
    }
    return new Position(0, 0);
  }

  /** @param {Range} [range] */
  getText(range) {
    if (!range) return this.text;
    return this.text.slice(this.offsetAt(range.start), this.offsetAt(range.end));
  }
}

class TextEditor {
  /** @param {TextDocument} document */
  constructor(document) {
    this.document = document;
    this.selection = new Selection(new Position(0, 0), new Position(0, 0));
    /** @type {Map<any, Range[]>} decoration type -> the ranges last set */
    this.decorations = new Map();
    /** @type {{type: any, ranges: Range[]}[]} every setDecorations call */
    this.decorationCalls = [];
  }

  get selections() { return [this.selection]; }

  /** @param {any} type @param {Range[]} ranges */
  setDecorations(type, ranges) {
    this.decorations.set(type, ranges);
    this.decorationCalls.push({ type, ranges });
  }
}

/**
 * A fresh stand-in; `settings` are the values `getConfiguration('heed').get(key)` returns.
 * @param {Record<string, any>} [settings]
 */
function createFakeVscode(settings = {}) {
  const selectionChanged = new Emitter();
  const visibleChanged = new Emitter();
  const activeChanged = new Emitter();
  const documentChanged = new Emitter();
  const configurationChanged = new Emitter();
  let typeCount = 0;
  let docCount = 0;

  const recorded = {
    /** @type {string[]} */ errors: [],
    /** @type {string[]} */ warnings: [],
    /** @type {string[]} */ infos: [],
    /** @type {string[]} */ statusMessages: [],
    /** @type {{options: any, reports: any[]}[]} */ progress: [],
    /** @type {Map<string, any>} */ context: new Map(),
    /** @type {Map<string, Function>} */ commands: new Map(),
    /** @type {any[]} */ hoverProviders: [],
    /** @type {any[]} */ decorationTypes: [],
    /** @type {any[]} */ statusItems: [],
    /** @type {string[]} */ output: [],
    /** @type {any[]} answers for showQuickPick / showInputBox, first in first out */
    answers: [],
  };

  const vscode = {
    Position,
    Range,
    Selection,
    ThemeColor,
    MarkdownString,
    Hover,
    StatusBarAlignment: { Left: 1, Right: 2 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    DecorationRangeBehavior: { OpenOpen: 0, ClosedClosed: 1, OpenClosed: 2, ClosedOpen: 3 },
    window: {
      /** @type {TextEditor | undefined} */
      activeTextEditor: undefined,
      /** @type {TextEditor[]} */
      visibleTextEditors: [],
      /** @param {any} options */
      createTextEditorDecorationType(options) {
        const type = { key: `TextEditorDecorationType${typeCount++}`, options, disposed: false, dispose() { this.disposed = true; } };
        recorded.decorationTypes.push(type);
        return type;
      },
      createStatusBarItem() {
        const item = { text: '', tooltip: '', command: undefined, visible: false, show() { this.visible = true; }, hide() { this.visible = false; }, dispose() {} };
        recorded.statusItems.push(item);
        return item;
      },
      createOutputChannel() {
        return { appendLine: (/** @type {string} */ l) => recorded.output.push(l), show() {}, dispose() {} };
      },
      /** @param {string} m */
      showErrorMessage(m) { recorded.errors.push(m); return Promise.resolve(undefined); },
      /** @param {string} m */
      showWarningMessage(m) { recorded.warnings.push(m); return Promise.resolve(undefined); },
      /** @param {string} m */
      showInformationMessage(m) { recorded.infos.push(m); return Promise.resolve(undefined); },
      /** @param {string} m */
      setStatusBarMessage(m) { recorded.statusMessages.push(m); return { dispose() {} }; },
      /** @param {any} options @param {(progress: any, token: any) => Promise<any>} task */
      withProgress(options, task) {
        const entry = { options, reports: /** @type {any[]} */ ([]) };
        recorded.progress.push(entry);
        return task({ report: (/** @type {any} */ r) => entry.reports.push(r) }, { isCancellationRequested: false });
      },
      showQuickPick() { return Promise.resolve(recorded.answers.shift()); },
      showInputBox() { return Promise.resolve(recorded.answers.shift()); },
      onDidChangeTextEditorSelection: selectionChanged.event,
      onDidChangeVisibleTextEditors: visibleChanged.event,
      onDidChangeActiveTextEditor: activeChanged.event,
    },
    workspace: {
      /** @param {string} section */
      getConfiguration(section) {
        return {
          /** @param {string} key @param {any} fallback */
          get(key, fallback) {
            const full = `${section}.${key}`;
            return Object.prototype.hasOwnProperty.call(settings, full) ? settings[full] : fallback;
          },
        };
      },
      onDidChangeTextDocument: documentChanged.event,
      onDidChangeConfiguration: configurationChanged.event,
    },
    commands: {
      /** @param {string} id @param {Function} handler */
      registerCommand(id, handler) {
        recorded.commands.set(id, handler);
        return { dispose: () => recorded.commands.delete(id) };
      },
      /** @param {string} id @param {any[]} args */
      executeCommand(id, ...args) {
        if (id === 'setContext') {
          recorded.context.set(args[0], args[1]);
          return Promise.resolve(undefined);
        }
        const handler = recorded.commands.get(id);
        if (!handler) return Promise.reject(new Error(`command '${id}' not found`));
        return Promise.resolve(handler(...args));
      },
    },
    languages: {
      /** @param {any} selector @param {any} provider */
      registerHoverProvider(selector, provider) {
        recorded.hoverProviders.push({ selector, provider });
        return { dispose() {} };
      },
    },
  };

  /** Drivers: what a person does. */
  const driver = {
    recorded,
    /**
     * Opens `text` in a new editor and makes it the active one.
     * @param {string} text
     */
    open(text) {
      const editor = new TextEditor(new TextDocument(text, `untitled:Untitled-${++docCount}`));
      vscode.window.activeTextEditor = editor;
      vscode.window.visibleTextEditors = [...vscode.window.visibleTextEditors, editor];
      visibleChanged.fire(vscode.window.visibleTextEditors);
      activeChanged.fire(editor);
      return editor;
    },
    /**
     * Selects from `anchor` to `active` (UTF-16 document offsets; `active` is the cursor).
     * @param {TextEditor} editor @param {number} anchor @param {number} [active]
     */
    select(editor, anchor, active = anchor) {
      const d = editor.document;
      editor.selection = new Selection(d.positionAt(anchor), d.positionAt(active));
      selectionChanged.fire({ textEditor: editor, selections: [editor.selection], kind: 1 });
    },
    /**
     * Replaces [start, end) (UTF-16 document offsets) with `text`.
     * @param {TextEditor} editor @param {number} start @param {number} end @param {string} text
     */
    edit(editor, start, end, text) {
      const d = editor.document;
      const range = new Range(d.positionAt(start), d.positionAt(end));
      d.setText(d.text.slice(0, start) + text + d.text.slice(end));
      d.version++;
      documentChanged.fire({ document: d, contentChanges: [{ range, rangeOffset: start, rangeLength: end - start, text }], reason: undefined });
    },
    /** @param {Record<string, any>} changes */
    configure(changes) {
      Object.assign(settings, changes);
      configurationChanged.fire({ affectsConfiguration: (/** @type {string} */ s) => s === 'heed' || Object.keys(changes).some((k) => k.startsWith(`${s}.`) || k === s) });
    },
    /** The decoration type drawing bucket k (by its colour id), or the focus type. */
    bucketType(/** @type {number} */ k) {
      return recorded.decorationTypes.find((t) => t.options.backgroundColor && t.options.backgroundColor.id === `heed.bucket${k}`);
    },
    focusType() {
      return recorded.decorationTypes.find((t) => t.options.borderColor && t.options.borderColor.id === 'heed.focusBorder');
    },
    /**
     * The ranges currently drawn per bucket, as [line, startCharacter, endLine, endCharacter].
     * @param {TextEditor} editor
     */
    drawn(editor) {
      const flat = (/** @type {Range[] | undefined} */ rs) => (rs || []).map((r) => [r.start.line, r.start.character, r.end.line, r.end.character]);
      return {
        buckets: Array.from({ length: 8 }, (_, k) => flat(editor.decorations.get(driver.bucketType(k)))),
        focus: flat(editor.decorations.get(driver.focusType())),
      };
    },
    status() {
      return recorded.statusItems[0];
    },
  };

  return { vscode, driver };
}

module.exports = { createFakeVscode, Position, Range, Selection, TextDocument, TextEditor };
