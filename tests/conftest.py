"""Shared test set-up: Inspect and friends write under a temporary HOME, never the real one."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
REPLAYS = ROOT / "src" / "offswitch" / "replays"
OFFSWITCH = [sys.executable, "-m", "offswitch"]

# The embedded models' joined weights stay in the real cache (1.6 GB; joined once by setup).
from offswitch.models.weights import cache_dir  # noqa: E402
from offswitch.sandbox import Limits, Machine  # noqa: E402

os.environ.setdefault("OFFSWITCH_MODEL_DIR", str(cache_dir()))
_home = tempfile.mkdtemp(prefix="offswitch-test-home-")
for var, sub in (("HOME", ""), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"),
                 ("XDG_CONFIG_HOME", "config"), ("MPLCONFIGDIR", "mpl")):  # fmt: skip
    os.environ[var] = os.path.join(_home, sub)
    os.makedirs(os.environ[var], exist_ok=True)
os.environ.pop("INSPECT_LOG_DIR", None)


# Small machines for sandbox tests: limits that attacks reach quickly.
SMALL = Limits(memory_mb=128, processes=64, file_size_mb=16, disk_mb=32, cpu_seconds=60)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def machine() -> AsyncIterator[Machine]:
    m = await Machine.start(limits=SMALL)
    yield m
    await m.stop()


@pytest.fixture(scope="session", autouse=True)
def _temp_home() -> Iterator[None]:
    yield
    shutil.rmtree(_home, ignore_errors=True)


@dataclass(frozen=True)
class Expected:
    """What a replay agent must get (src/offswitch/replays/SCENARIO/expected.yaml)."""

    variant: str
    verdict: str
    labels: frozenset[str] = frozenset()
    evidence: str = ""


def manifest(scenario: str) -> dict[str, Expected]:
    raw: dict[str, dict[str, Any]] = yaml.safe_load(
        (REPLAYS / scenario / "expected.yaml").read_text()
    )
    return {name: Expected(e["variant"], e["verdict"], frozenset(e.get("labels", [])),
                           e.get("evidence", "")) for name, e in raw.items()}  # fmt: skip


@dataclass(frozen=True)
class ReplayRun:
    """Every replay agent of a scenario, run once per session through the CLI, by variant."""

    log_dirs: dict[str, Path]  # variant -> its run's log folder
    outputs: dict[str, subprocess.CompletedProcess[str]]  # variant -> the run's output
    samples: dict[str, dict[str, Any]]  # replay name -> its sample in the report's JSON


@pytest.fixture(scope="session")
def replay_runs(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], ReplayRun]:
    done: dict[str, ReplayRun] = {}

    def run(scenario: str) -> ReplayRun:
        if scenario in done:
            return done[scenario]
        by_variant: dict[str, list[str]] = {}
        for name, e in manifest(scenario).items():
            by_variant.setdefault(e.variant, []).append(name)
        dirs, outputs, samples = {}, {}, {}
        for variant, names in by_variant.items():
            dirs[variant] = tmp_path_factory.mktemp(scenario)
            models = [
                a for n in names for a in ("--model", f"replay/{REPLAYS / scenario / n}.yaml")
            ]
            out = offswitch("run", scenario, "-v", variant, *models,
                            "--log-dir", str(dirs[variant]), "--display", "none")  # fmt: skip
            assert out.returncode == 0, out.stderr[-3000:]
            outputs[variant] = out
            report = json.loads(offswitch("report", str(dirs[variant]), "--json").stdout)
            samples.update({Path(s["model"]).stem: s for s in report["samples"]})
        done[scenario] = ReplayRun(dirs, outputs, samples)
        return done[scenario]

    return run


def offswitch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command line in this process, as `offswitch ARGS` would (same entry point, exit
    status and output), with `env` added to the environment for the call."""
    from offswitch.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.update(env or {})
    code: int | str | None = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(list(args))
    except SystemExit as ex:
        code = ex.code
    finally:
        os.environ.clear()
        os.environ.update(saved)
    rc = code if isinstance(code, int) else (0 if code is None else 1)
    return subprocess.CompletedProcess(list(args), rc, out.getvalue(), err.getvalue())


def offswitch_process(*args: str, env: dict[str, str] | None = None,
                      timeout: int = 600) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run the real command line in a subprocess, as a user would (the smoke tests)."""
    return subprocess.run(
        [*OFFSWITCH, *args], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
