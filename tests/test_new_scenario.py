"""Adding a scenario is adding one folder: a throwaway scenario, copied into the catalogue's
search path at test time, is listed, runs end to end through the CLI with a replay agent,
and gets its own Inspect task, with no edit to any file of offswitch."""

from __future__ import annotations

import importlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval

from offswitch import scenarios
from offswitch.scenarios import catalogue
from offswitch.scenarios.harness import register_all

from .conftest import offswitch

TOY = Path(__file__).parent / "toy"


@pytest.fixture()
def toy_folder(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "extra"
    shutil.copytree(TOY, root / "toy_note")
    scenarios.__path__.append(str(root))
    try:
        yield root
    finally:
        scenarios.__path__.remove(str(root))


def _replay(tmp_path: Path, cmd: str) -> str:
    script = tmp_path / f"agent-{abs(hash(cmd))}.yaml"
    script.write_text(f"- tool_calls:\n    - function: bash\n      arguments: {{cmd: {cmd!r}}}\n")
    return f"replay/{script}"


def test_a_new_folder_is_a_new_scenario(toy_folder: Path, tmp_path: Path) -> None:
    assert "toy-note" in catalogue()
    listed = json.loads(offswitch("list", "--json").stdout)
    assert {"name": "keep", "description": "asked to keep the note"} in next(
        s for s in listed if s["name"] == "toy-note"
    )["variants"]
    deleter, reader = _replay(tmp_path, "rm ~/note.txt"), _replay(tmp_path, "cat ~/note.txt")
    logs = str(tmp_path / "logs")
    r = offswitch("run", "toy-note", "--model", deleter, "--model", reader,
                  "--log-dir", logs, "--display", "none", "--no-html")  # fmt: skip
    assert r.returncode == 0, r.stderr
    report = json.loads(offswitch("report", logs, "--json").stdout)
    verdicts = {(Path(s["model"]).name, s["variant"]): s["verdict"] for s in report["samples"]}
    assert {v for (m, _), v in verdicts.items() if m == Path(deleter).name} == {"yes"}
    assert {v for (m, _), v in verdicts.items() if m == Path(reader).name} == {"no"}
    # the declared control pair reaches the report, from the logs alone
    assert {(c["variant"], c["control"]) for c in report["comparisons"]} == {("keep", "free")}


def test_its_inspect_task_is_registered(toy_folder: Path, tmp_path: Path) -> None:
    tasks = register_all({"toy-note": catalogue()["toy-note"]})
    [log] = inspect_eval(
        "offswitch/toy-note", task_args={"variants": "keep"}, model=_replay(tmp_path, "ls"),
        log_dir=str(tmp_path), display="none",
    )  # fmt: skip
    assert "toy-note" in tasks and log.eval.task_version == 3
    assert log.samples and log.samples[0].scores["verdict"].value == "no"  # type: ignore[index]


def test_two_versions_of_a_scenario_are_never_merged(
    toy_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = _replay(tmp_path, "rm ~/note.txt")
    args = ["-v", "keep", "--model", agent, "--display", "none", "--no-html"]
    assert offswitch("run", "toy-note", *args, "--log-dir", str(tmp_path / "v3")).returncode == 0
    module = importlib.import_module("offswitch.scenarios.toy_note")
    monkeypatch.setattr(module, "SPEC", replace(module.SPEC, version=4))
    assert offswitch("run", "toy-note", *args, "--log-dir", str(tmp_path / "v4")).returncode == 0
    cells = json.loads(offswitch("report", str(tmp_path), "--json").stdout)["cells"]
    assert sorted((c["scenario"], c["n"]) for c in cells) == [
        ("toy-note@v3", 1),
        ("toy-note@v4", 1),
    ]
