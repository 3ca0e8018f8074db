#!/usr/bin/env bash
# Heed's test command (the README's): builds optimised, fetches the real models through
# `heed fetch` into $HEED_CACHE (default ~/.cache/heed), then runs the hermetic unit tests and
# the integration tests (HEED_INTEGRATION=1) on the real MiniLM, then the Python client's tests
# (editors/python/test.sh: a venv from PyPI, pytest, the example notebook).
set -euo pipefail
cd "$(dirname "$0")"
flags=(-c release -Xswiftc -enable-testing)
echo "== build (release, testable)"
swift build "${flags[@]}" --build-tests
bin="$(swift build "${flags[@]}" --show-bin-path)"
echo "== fetch models"
"$bin/heed" fetch minilm
echo "== unit tests (hermetic)"
swift test "${flags[@]}" --skip-build --skip HeedIntegrationTests
echo "== integration tests (real models)"
HEED_INTEGRATION=1 HEED_EXECUTABLE="$bin/heed" swift test "${flags[@]}" --skip-build --filter HeedIntegrationTests
echo "== Python client (editors/python: venv from PyPI, pytest, the example notebook)"
HEED_EXECUTABLE="$bin/heed" editors/python/test.sh
