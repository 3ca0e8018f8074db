#!/bin/sh
# Heed's Emacs client tests: byte-compile heed.el and heed-pair.el with warnings as errors,
# then run the ERT suite in `emacs --batch` against the real daemon and
# the real MiniLM and SmolLM2 (and, for translation pairs, the checkout's
# Tests/Fixtures/models/tiny-marian).  The daemon is $HEED_EXECUTABLE, else
# `heed` on PATH.
# With HEED_CROSS_OUT set, the cross-editor fixture's answer is written
# to $HEED_CROSS_OUT/emacs.json and emacs-smollm2.json (editors/fixtures/README.md).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
emacs=${EMACS:-emacs}

if [ -z "${HEED_EXECUTABLE:-}" ]; then
  HEED_EXECUTABLE=$(command -v heed || true)
fi
if [ -z "$HEED_EXECUTABLE" ] || [ ! -x "$HEED_EXECUTABLE" ]; then
  echo "editors/emacs/test.sh: no heed executable (set HEED_EXECUTABLE or put heed on PATH)" >&2
  exit 2
fi
export HEED_EXECUTABLE

build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
cp "$here/heed.el" "$here/heed-pair.el" "$build/"

"$emacs" --version | head -n 1
"$emacs" --batch -Q -L "$build" \
  --eval '(setq byte-compile-error-on-warn t)' \
  -f batch-byte-compile "$build/heed.el" "$build/heed-pair.el"

"$emacs" --batch -Q -L "$build" -L "$here" \
  --eval "(require 'heed)" \
  --eval '(unless (string-suffix-p ".elc" (symbol-file (quote heed-analyze))) (error "heed.elc not loaded"))' \
  -l "$here/heed-tests.el" \
  -l "$here/heed-pair-tests.el" \
  -f ert-run-tests-batch-and-exit
