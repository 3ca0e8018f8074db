#!/bin/sh
# Takes doc/screenshot.png from a real session: Neovim in tmux (100 x 24), the real daemon and
# MiniLM, `tmux capture-pane -e`, rendered on a character grid (ansi2html.py) and photographed
# by headless Chromium. Needs tmux, python3, chromium; the daemon from HEED_EXECUTABLE or PATH.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
exe=${HEED_EXECUTABLE:-$(command -v heed)}
work=$(mktemp -d)
session=heed-shot-$$

cat > "$work/init.lua" <<LUA
vim.opt.rtp:prepend('$here')
vim.o.background = 'dark'
vim.o.laststatus = 2
vim.o.number = true
vim.o.statusline = [[ %f %= %{luaeval("require'heed'.statusline()")} ]]
vim.cmd('highlight NormalFloat ctermbg=235 ctermfg=252 | highlight FloatBorder ctermbg=235 ctermfg=248')
require('heed').setup({ cmd = { '$exe', 'serve' } })
LUA
cat > "$work/demo.txt" <<'TXT'
Heed shades what the token under the cursor attends to.

Zürich: the keys to the cabinet are on the table, and
the café owner 🙂 said that 東京 was far from here.

\hm flips weight and norm; \h] and \h[ change the layer.
TXT

tmux new-session -d -s "$session" -x 100 -y 24 -c "$work" \
  "nvim -u $work/init.lua -i NONE -n demo.txt"
sleep 1
tmux send-keys -t "$session" '3G0fk'        # the cursor on "keys"
sleep 0.3
tmux send-keys -t "$session" '\ha'          # :HeedAnalyze (the paragraph)
sleep 1.5
tmux send-keys -t "$session" '\hi'          # :HeedInfo
sleep 1
tmux capture-pane -t "$session" -e -p > "$work/capture.ansi"
tmux send-keys -t "$session" ':qa!' Enter
sleep 0.5
tmux kill-session -t "$session" 2>/dev/null || true

python3 "$here/doc/ansi2html.py" < "$work/capture.ansi" > "$work/capture.html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=920,480 \
  --screenshot="$work/shot.png" "file://$work/capture.html" 2>/dev/null
if command -v convert >/dev/null; then
  convert "$work/shot.png" +dither -colors 64 "$here/doc/screenshot.png"
else
  cp "$work/shot.png" "$here/doc/screenshot.png"
fi
cp "$work/capture.ansi" "$here/doc/screenshot.ansi"
rm -rf "$work"
ls -l "$here/doc/screenshot.png"
