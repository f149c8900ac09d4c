"""Shared test set-up: Inspect and friends write under a temporary HOME, never the real one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REPLAYS = ROOT / "examples" / "replay"
OFFSWITCH = [sys.executable, "-m", "offswitch"]

# The embedded models' joined weights stay in the real cache (1.6 GB; joined once by setup).
from offswitch.models.weights import cache_dir  # noqa: E402

os.environ.setdefault("OFFSWITCH_MODEL_DIR", str(cache_dir()))
_home = tempfile.mkdtemp(prefix="offswitch-test-home-")
for var, sub in (("HOME", ""), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"),
                 ("XDG_CONFIG_HOME", "config"), ("MPLCONFIGDIR", "mpl")):  # fmt: skip
    os.environ[var] = os.path.join(_home, sub)
    os.makedirs(os.environ[var], exist_ok=True)
os.environ.pop("INSPECT_LOG_DIR", None)


@pytest.fixture(scope="session", autouse=True)
def _temp_home() -> Iterator[None]:
    yield
    shutil.rmtree(_home, ignore_errors=True)


def offswitch(*args: str, env: dict[str, str] | None = None, timeout: int = 600,
              cwd: Path | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run the real command line in a subprocess, as a user would."""
    return subprocess.run(
        [*OFFSWITCH, *args], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})}, cwd=cwd,
    )  # fmt: skip
