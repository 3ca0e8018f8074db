#!/usr/bin/env bash
# Heed's test command (the README's): builds optimised, fetches the real models through
# `heed fetch` into $HEED_CACHE (default ~/.cache/heed), then runs the hermetic unit tests (and
# the kernel and parity tests under every other kernel variant the CPU has), a Heed-only
# benchmark smoke check, the integration tests (HEED_INTEGRATION=1) on the real MiniLM and the
# SmolLM2 GGUF, the Python client's tests (editors/python/test.sh: a venv from PyPI, pytest, the
# example notebook) and the editor clients' suites with the cross-editor check.
set -euo pipefail
cd "$(dirname "$0")"
flags=(-c release -Xswiftc -enable-testing)
echo "== build (release, testable)"
swift build "${flags[@]}" --build-tests
bin="$(swift build "${flags[@]}" --show-bin-path)"
echo "== fetch models"
"$bin/heed" fetch minilm
"$bin/heed" fetch smollm2
echo "== unit tests (hermetic)"
swift test "${flags[@]}" --skip-build --skip HeedIntegrationTests
echo "== kernel and parity tests under the other kernel variants (HEED_ISA)"
# The run above used the variant this CPU gets by default (the kernel tests loop over every
# supported variant themselves); the model and analysis parity tests run once per variant here.
variant_tests="HeedKernelsTests|HeedModelsTests|AnalysisFixtureTests|NormDecompositionTests|TinyModelRequestTests"
for isa in avx512 avx2 portable; do
  if ! HEED_ISA=$isa "$bin/heed" --version >/dev/null 2>&1; then echo "-- $isa: this CPU lacks it, skipped"; continue; fi
  if [ "$(HEED_ISA= "$bin/heed" --version | sed -n 's/^isa: //p')" = "$isa" ]; then continue; fi
  echo "-- HEED_ISA=$isa"
  HEED_ISA=$isa swift test "${flags[@]}" --skip-build --filter "$variant_tests"
done
echo "== benchmark smoke check (Heed only: a few runs, no thresholds, no PyTorch)"
HEED_PYTHON=/nonexistent "$bin/heed" bench forward --runs 3 --lengths 16,128
HEED_PYTHON=/nonexistent "$bin/heed" bench analysis --runs 2 --lengths 32
"$bin/heed" bench daemon --texts 2 --requests 50
echo "== integration tests (real models)"
HEED_INTEGRATION=1 HEED_EXECUTABLE="$bin/heed" swift test "${flags[@]}" --skip-build --filter HeedIntegrationTests
echo "== Python client (editors/python: venv from PyPI, pytest, the example notebook)"
HEED_EXECUTABLE="$bin/heed" editors/python/test.sh
echo "== editor clients (real daemon, real MiniLM and SmolLM2)"
# Each suite takes the daemon from HEED_EXECUTABLE and writes its shading of the cross-editor
# fixture to HEED_CROSS_OUT; check_cross_editor.py then compares them with the daemon's answer.
# A missing editor is skipped on a developer's machine and fails under CI (.ci/run installs them).
cross="$(mktemp -d)"
trap 'rm -rf "$cross"' EXIT
export HEED_EXECUTABLE="$bin/heed" HEED_CROSS_OUT="$cross"
ran=()
for pair in nvim:nvim emacs:emacs vscode:node; do
  editor="${pair%%:*}" tool="${pair##*:}"
  if [ ! -x "editors/$editor/test.sh" ]; then continue; fi
  if ! command -v "$tool" >/dev/null 2>&1; then
    if [ "${CI:-}" = true ]; then echo "test.sh: $tool is missing (needed for editors/$editor)" >&2; exit 1; fi
    echo "-- editors/$editor: skipped, $tool is not installed"
    continue
  fi
  echo "-- editors/$editor"
  "editors/$editor/test.sh"
  ran+=("$editor")
done
if [ ${#ran[@]} -gt 0 ]; then
  echo "-- the same shading in every editor"
  python3 editors/fixtures/check_cross_editor.py "$cross" "${ran[@]}"
fi
