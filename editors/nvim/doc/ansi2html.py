#!/usr/bin/env python3
"""Renders `tmux capture-pane -e -p` output to HTML on a fixed character grid.

Each terminal cell is a box one `ch` wide (two for East Asian wide characters and emoji), so
box-drawing borders, CJK and emoji line up as they did in the terminal whatever fonts the
browser falls back to. Understands the SGR codes tmux emits (bold, italic, underline,
reverse, 16/256/24-bit colours). Usage: ansi2html.py < capture.ansi > capture.html
"""
import html
import re
import sys
import unicodedata

BASIC = ["#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
         "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff"]
DEFAULT_FG, DEFAULT_BG = "#d0d0d0", "#121212"


def xterm256(n):
    if n < 16:
        return BASIC[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    g = 8 + 10 * (n - 232)
    return "#%02x%02x%02x" % (g, g, g)


def width(ch):
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf") or 0xFE00 <= ord(ch) <= 0xFE0F:
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def sgr(state, params):
    codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
    i = 0
    while i < len(codes):
        c = codes[i]
        if c == 0:
            state.clear()
        elif c in (1, 3, 4, 7):
            state[{1: "bold", 3: "italic", 4: "underline", 7: "reverse"}[c]] = True
        elif c in (22, 23, 24, 27):
            state.pop({22: "bold", 23: "italic", 24: "underline", 27: "reverse"}[c], None)
        elif 30 <= c <= 37 or 90 <= c <= 97:
            state["fg"] = BASIC[c - 30 if c < 90 else c - 90 + 8]
        elif 40 <= c <= 47 or 100 <= c <= 107:
            state["bg"] = BASIC[c - 40 if c < 100 else c - 100 + 8]
        elif c in (39, 49):
            state.pop("fg" if c == 39 else "bg", None)
        elif c in (38, 48) and i + 1 < len(codes):
            key = "fg" if c == 38 else "bg"
            if codes[i + 1] == 5 and i + 2 < len(codes):
                state[key] = xterm256(codes[i + 2])
                i += 2
            elif codes[i + 1] == 2 and i + 4 < len(codes):
                state[key] = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5])
                i += 4
        i += 1


def style(state):
    fg, bg = state.get("fg", DEFAULT_FG), state.get("bg", DEFAULT_BG)
    if state.get("reverse"):
        fg, bg = bg, fg
    s = "color:%s;background:%s" % (fg, bg)
    if state.get("bold"):
        s += ";font-weight:bold"
    if state.get("italic"):
        s += ";font-style:italic"
    if state.get("underline"):
        s += ";text-decoration:underline"
    return s


def main():
    rows = []
    state = {}
    for line in sys.stdin.read().split("\n"):
        cells = []  # [text, width, style]
        for token in re.split(r"(\x1b\[[0-9;]*m)", line):
            m = re.fullmatch(r"\x1b\[([0-9;]*)m", token)
            if m:
                sgr(state, m.group(1))
                continue
            for ch in token:
                w = width(ch)
                if w == 0 and cells:
                    cells[-1][0] += ch
                elif w > 0:
                    cells.append([ch, w, style(state)])
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    out = ["<!doctype html><meta charset=utf-8><style>",
           "body{margin:0;background:%s}" % DEFAULT_BG,
           ".t{padding:8px;font:15px/19px 'DejaVu Sans Mono','Noto Sans Mono CJK SC','Noto Color Emoji',monospace}",
           ".r{height:19px;white-space:pre;background:%s}" % DEFAULT_BG,
           ".c{display:inline-block;width:1ch;height:19px;overflow:visible;vertical-align:top}",
           ".w{width:2ch}</style><div class=t>"]
    for cells in rows:
        out.append("<div class=r>")
        for text, w, st in cells:
            out.append('<span class="c%s" style="%s">%s</span>' % (" w" if w == 2 else "", st, html.escape(text)))
        out.append("</div>")
    out.append("</div>")
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()
