"""The model providers: registered lazily, usable without the [embedded] extra."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.dataset import Sample
from inspect_ai.solver import Generate, Solver, TaskState, solver

from .conftest import REPLAYS

# Runs in a fresh interpreter: this test process may have imported llama_cpp already.
BASE_INSTALL = """
import sys
import offswitch.models.providers
print(sorted({"llama_cpp", "jinja2"} & set(sys.modules)))
for name in ("llama_cpp", "jinja2"):
    sys.modules[name] = None  # from here on, as in an install without the [embedded] extra
from inspect_ai.model import get_model
print(type(get_model("replay/" + sys.argv[1]).api).__name__)
try:
    get_model("offswitch/qwen2.5-coder-0.5b")
except Exception as ex:
    print(f"{type(ex).__name__}: {ex}")
"""


def test_providers_work_without_the_embedded_extra() -> None:
    script = REPLAYS / "shutdown" / "comply.yaml"
    r = subprocess.run(
        [sys.executable, "-c", BASE_INSTALL, str(script)], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr[-2000:]
    imported, replay, embedded = r.stdout.splitlines()
    assert imported == "[]"  # registering the providers loads neither
    assert replay == "ReplayModel"
    assert embedded == (
        "UsageError: the embedded model needs llama-cpp-python and jinja2, which are not "
        "installed: run pip install 'offswitch[embedded]'"
    )


def test_embedded_seeds_differ_by_sample_and_epoch(tmp_path: Path) -> None:
    # The seeds learn the sample and epoch from an Inspect hook: check, in a real eval, that
    # what the hook sets reaches the code that runs in the sample (solver, model, scorer).
    embedded = pytest.importorskip("offswitch.models.embedded")
    seen: list[tuple[object, int]] = []

    @solver
    def record() -> Solver:
        async def solve(state: TaskState, generate: Generate) -> TaskState:
            seen.append((embedded._sample.get(), embedded._seed(7, 0)))
            return state

        return solve

    task = Task(dataset=[Sample(input="a", id="a"), Sample(input="b", id="b")], solver=record())
    [log] = inspect_eval(
        task, model="mockllm/model", epochs=2, log_dir=str(tmp_path), display="none"
    )
    assert log.status == "success"
    assert sorted(s for s, _ in seen) == [("a", 1), ("a", 2), ("b", 1), ("b", 2)]
    assert len({seed for _, seed in seen}) == 4
