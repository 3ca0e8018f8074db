#!/usr/bin/env node
'use strict';
// Renders what the extension draws for the cross-editor fixture to HTML: the real pipeline
// (extension.js through the vscode stand-in, the real daemon, decorations.js) with the
// decoration ranges turned into <span>s coloured by package.json's contributes.colors.
// It is the decoration mapping rendered to HTML, not a VS Code window.
//
//   HEED_EXECUTABLE=/path/to/heed node tests/render-fixture.js OUT.html
//   chromium --headless --screenshot=screenshot.png --window-size=900,640 OUT.html

const fs = require('fs');
const path = require('path');
const { shadeFixture } = require('./support');

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
const color = (id, theme) => pkg.contributes.colors.find((c) => c.id === id).defaults[theme];
const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The document's lines as HTML, each decoration range a span with its bucket's colour.
 * @param {any} editor the stand-in editor after the analysis
 * @param {any} driver
 * @param {string} theme 'light' | 'dark'
 */
function renderLines(editor, driver, theme) {
  const doc = editor.document;
  /** @type {{line: number, start: number, end: number, style: string, title: string}[]} */
  const marks = [];
  const add = (range, style, title) => {
    for (let line = range.start.line; line <= range.end.line; line++) {
      const start = line === range.start.line ? range.start.character : 0;
      const end = line === range.end.line ? range.end.character : doc.lineAt(line).text.length;
      marks.push({ line, start, end, style, title });
    }
  };
  for (let k = 0; k < 8; k++) {
    for (const r of editor.decorations.get(driver.bucketType(k)) || []) {
      add(r, `background:${color(`heed.bucket${k}`, theme)}`, `bucket ${k}`);
    }
  }
  for (const r of editor.decorations.get(driver.focusType()) || []) {
    add(r, `font-weight:bold;border-bottom:2px solid ${color('heed.focusBorder', theme)}`, 'focus');
  }
  // Marks may overlap (a byte-level BPE token holding part of a character shares it with the
  // next one): at each character the last bucket mark added (the strongest: buckets were added
  // weakest first, as VS Code draws the later decoration type on top) and the focus combine.
  const lines = [];
  for (let line = 0; line < doc.lineCount; line++) {
    const text = doc.lineAt(line).text; // UTF-16 indices, as the decoration characters are
    const here = marks.filter((m) => m.line === line && m.end > m.start);
    const at = (/** @type {number} */ i) => {
      let bg; let focus;
      for (const m of here) {
        if (m.start <= i && i < m.end) {
          if (m.title === 'focus') focus = m; else bg = m;
        }
      }
      return [bg, focus];
    };
    let html = '';
    let i = 0;
    while (i < text.length) {
      const [bg, focus] = at(i);
      let j = i + 1;
      while (j < text.length) {
        const [b2, f2] = at(j);
        if (b2 !== bg || f2 !== focus) break;
        j++;
      }
      const chunk = escape(text.slice(i, j));
      const styles = [bg, focus].filter(Boolean);
      html += styles.length === 0 ? chunk
        : `<span style="${styles.map((m) => m.style).join(';')}" title="${styles.map((m) => m.title).join(', ')}">${chunk}</span>`;
      i = j;
    }
    lines.push(`<div class="line"><span class="ln">${line + 1}</span>${html}</div>`);
  }
  return lines.join('\n');
}

function legend(theme) {
  const cells = Array.from({ length: 8 }, (_, k) =>
    `<span class="swatch" style="background:${color(`heed.bucket${k}`, theme)}">${k}</span>`).join('');
  return `<div class="legend">buckets ${cells} <span class="focus-key" style="border-bottom:2px solid ${color('heed.focusBorder', theme)}">focus</span></div>`;
}

async function panel(title, theme, method) {
  const run = await shadeFixture({}, { method });
  try {
    const { editor, driver, heed } = run;
    const hover = await heed.hoverProvider.provideHover(editor.document, new (require('./fake-vscode').Position)(0, 17));
    const rows = hover.contents.value.split('\n').filter((l) => /^\| \d/.test(l))
      .map((l) => l.split('|').slice(2, 4).map((c) => escape(c.trim()).replace(/`([^`]*)`/g, '<code>$1</code>')));
    const [, head] = hover.contents.value.match(/\| # \| ([^|]+) \| ([^|]+) \|/) || [];
    const other = (hover.contents.value.match(/\| # \| [^|]+ \| ([^|]+) \|/) || [])[1];
    const table = `<table><tr><th>${escape(head.trim())}</th><th>${escape(other.trim())}</th></tr>${
      rows.map(([a, b]) => `<tr><td>${a}</td><td>${b}</td></tr>`).join('')}</table>`;
    const status = driver.status().text.replace('$(eye) ', '');
    return `<section class="${theme}">
<div class="title">${escape(title)} <span class="status">${escape(status)}</span></div>
<div class="code">${renderLines(editor, driver, theme)}</div>
<div class="foot">${legend(theme)}<div class="top">top 5 for the focus <code>keys</code>${table}</div></div>
</section>`;
  } finally {
    await run.heed.dispose();
  }
}

async function main() {
  const out = process.argv[2] || 'fixture.html';
  const sections = [
    await panel('Light theme, by norm (norm-summed)', 'light', 'norm-summed'),
    await panel('Light theme, by weight (attention): one heed.cycleMethod later', 'light', 'attention'),
    await panel('Dark theme, by norm (norm-summed)', 'dark', 'norm-summed'),
  ];
  const html = `<!doctype html>
<meta charset="utf-8">
<title>Heed: the cross-editor fixture as the VS Code extension decorates it</title>
<style>
body { margin: 0; font: 13px "DejaVu Sans", sans-serif; background: #e8e8e8; }
h1 { font-size: 13px; font-weight: normal; margin: 6px 10px; color: #333; }
section { margin: 6px 10px; padding: 6px 10px 8px; border-radius: 4px; }
section.light { background: #ffffff; color: #1f1f1f; }
section.dark { background: #1e1e1e; color: #d4d4d4; }
.title { font-size: 12px; margin-bottom: 4px; opacity: .85; }
.status { float: right; font-family: "DejaVu Sans Mono", monospace; font-size: 11px; }
.code { font-family: "DejaVu Sans Mono", "Noto Sans Mono CJK SC", "Noto Color Emoji", monospace; font-size: 15px; line-height: 24px; }
.ln { display: inline-block; width: 22px; opacity: .45; font-size: 12px; }
.foot { display: flex; justify-content: space-between; align-items: flex-start; margin-top: 4px; font-size: 11px; }
.swatch { display: inline-block; width: 18px; text-align: center; margin-right: 1px; font-family: monospace; }
.focus-key { margin-left: 8px; font-weight: bold; }
.top table { border-collapse: collapse; font-size: 11px; }
.top td, .top th { padding: 0 8px 0 0; text-align: left; font-weight: normal; opacity: .9; }
.top th { text-decoration: underline; }
code { font-family: "DejaVu Sans Mono", monospace; }
</style>
<h1>Heed for VS Code: the decoration mapping for editors/fixtures/cross-editor.json rendered to HTML (not a VS Code window)</h1>
${sections.join('\n')}
`;
  fs.writeFileSync(out, html);
  process.stdout.write(`${out}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
