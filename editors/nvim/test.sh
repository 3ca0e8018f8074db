#!/bin/sh
# Runs the Neovim client's specs in `nvim --headless` against a real daemon and the real MiniLM
# and SmolLM2 (`heed fetch minilm`, `heed fetch smollm2`).
# The daemon comes from HEED_EXECUTABLE, else `heed` on PATH. HEED_CROSS_OUT, when set, names the
# directory that receives nvim.json and nvim-smollm2.json (editors/fixtures/README.md). Exits
# non-zero on any failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)

exe=${HEED_EXECUTABLE:-}
if [ -z "$exe" ]; then
  exe=$(command -v heed || true)
fi
if [ -z "$exe" ] || [ ! -x "$exe" ]; then
  echo "editors/nvim/test.sh: no heed executable: set HEED_EXECUTABLE or put heed on PATH" >&2
  exit 2
fi
HEED_EXECUTABLE=$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")
export HEED_EXECUTABLE
command -v nvim >/dev/null || { echo "editors/nvim/test.sh: nvim is not installed" >&2; exit 2; }
nvim --version | head -n 1

status=0
pidfile=$(mktemp)
for spec in "$here"/tests/*_spec.lua; do
  : > "$pidfile"
  # -u NONE: no user config; the spec puts this folder on 'runtimepath' itself.
  if ! HEED_TEST_PIDFILE=$pidfile timeout 120 nvim --headless -u NONE -i NONE -n \
      -c "luafile $spec" </dev/null; then
    echo "FAIL $(basename "$spec")"
    status=1
  fi
  # The daemon a spec leaves running must end with Neovim (shutdown + exit on VimLeavePre).
  pid=$(cat "$pidfile")
  if [ -n "$pid" ]; then
    sleep 0.2
    if kill -0 "$pid" 2>/dev/null; then
      echo "FAIL $(basename "$spec"): the daemon (pid $pid) outlived Neovim"
      kill "$pid" 2>/dev/null
      status=1
    fi
  fi
done
rm -f "$pidfile"
if [ $status -eq 0 ]; then
  echo "editors/nvim: all specs passed"
else
  echo "editors/nvim: FAILED"
fi
exit $status
