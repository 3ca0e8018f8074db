"""The version rule every fixture generator follows: the installed packages must equal
requirements.txt (beside this file), or the fixtures would not be reproducible."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

REQUIREMENTS = Path(__file__).resolve().parent / "requirements.txt"


def check_versions() -> dict[str, str]:
    """Compare installed packages with requirements.txt; exit with a clear message on mismatch."""
    pinned: dict[str, str] = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep:
            sys.exit(f"error: {REQUIREMENTS}: expected 'package==version', got {line!r}")
        pinned[name.strip()] = version.strip()
    problems = []
    for name, version in pinned.items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        # torch wheels may carry a local tag such as "+cpu"; the public version must match.
        if installed is None or installed.split("+", 1)[0] != version:
            problems.append(f"  {name}: pinned {version}, installed {installed or 'nothing'}")
    if problems:
        sys.exit(
            "error: installed packages differ from Tests/Fixtures/requirements.txt; fixtures\n"
            "would not be reproducible. Use the pinned environment (a virtual environment with them)\n"
            "or `pip install -r Tests/Fixtures/requirements.txt`.\n" + "\n".join(problems)
        )
    return {name: importlib.metadata.version(name) for name in pinned}
