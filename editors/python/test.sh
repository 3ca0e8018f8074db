#!/usr/bin/env bash
# The Python client's tests (editors/python) against the real daemon and the real MiniLM and SmolLM2.
# Makes a virtual environment (pytest, nbclient, nbformat, ipykernel, numpy, pandas from PyPI),
# pip-installs the package as a user would (`pip install ./editors/python`), then runs pytest
# twice: with numpy, and with HEED_NO_NUMPY=1 (the pure-Python path: nested lists, stdlib base64).
#
#   HEED_EXECUTABLE=/path/to/heed editors/python/test.sh     # default: the release build's heed
#   HEED_PY_VENV=/tmp/venv                                   # reuse a venv (default: a fresh one)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [[ -z "${HEED_EXECUTABLE:-}" ]]; then
  HEED_EXECUTABLE="$(cd "$root" && swift build -c release --show-bin-path)/heed"
fi
if [[ ! -x "$HEED_EXECUTABLE" ]]; then
  echo "editors/python/test.sh: no heed executable at $HEED_EXECUTABLE (build it first)" >&2
  exit 1
fi
export HEED_EXECUTABLE
venv="${HEED_PY_VENV:-}"
cleanup=""
if [[ -z "$venv" ]]; then
  cleanup="$(mktemp -d)"
  venv="$cleanup/venv"
  trap 'rm -rf "$cleanup"' EXIT
fi
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
py="$venv/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check pytest nbclient nbformat ipykernel numpy pandas
"$py" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$here"
rm -rf "$here/build" "$here"/*.egg-info
cd "$here/tests"  # import the installed package, not the source tree
echo "-- pytest (numpy)"
"$py" -m pytest -q -p no:cacheprovider --rootdir="$here" -c "$here/pyproject.toml" "$here/tests"
echo "-- pytest (HEED_NO_NUMPY=1: pure Python)"
HEED_NO_NUMPY=1 "$py" -m pytest -q -p no:cacheprovider --rootdir="$here" -c "$here/pyproject.toml" "$here/tests"
