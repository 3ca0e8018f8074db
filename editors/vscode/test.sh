#!/bin/sh
# Runs the VS Code extension's tests (node --test) against the real daemon, MiniLM and SmolLM2.
# The daemon is $HEED_EXECUTABLE, else `heed` on PATH. With HEED_CROSS_OUT set, the
# cross-editor fixture tests write $HEED_CROSS_OUT/vscode.json and vscode-smollm2.json. Exits
# non-zero on failure.
set -eu
cd "$(dirname "$0")"
if [ -z "${HEED_EXECUTABLE:-}" ]; then
  HEED_EXECUTABLE=$(command -v heed || true)
  if [ -z "$HEED_EXECUTABLE" ]; then
    echo "editors/vscode/test.sh: no heed executable: set HEED_EXECUTABLE or put heed on PATH" >&2
    exit 2
  fi
fi
export HEED_EXECUTABLE
if ! command -v node >/dev/null 2>&1; then
  echo "editors/vscode/test.sh: node is not installed (Debian: apt-get install nodejs)" >&2
  exit 2
fi
echo "editors/vscode: node $(node --version), heed $HEED_EXECUTABLE"
exec node --test
