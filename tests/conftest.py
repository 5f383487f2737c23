"""Shared fixtures: the project root, the real data in ../shared/data, and the CLI."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data():
    """The real data sets of ../shared/data (see its README); CI has a copy beside the clone.

    Skipped on a machine without them, but never in CI, where a missing copy is a failure.
    """
    if not SHARED_DATA.is_dir():
        message = f"real data not found at {SHARED_DATA}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_DATA


def run_cli(*args, cwd, env=None):
    """Run `python -m snn ARGS` in a fresh process; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "snn", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=600,
        env={**os.environ, **(env or {})},
    )
