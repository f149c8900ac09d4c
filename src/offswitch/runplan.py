"""What `offswitch run` was asked to do, kept in its log directory so the run can be resumed
(`offswitch run --resume DIR`, or the same command again). One run per log directory."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import UsageError

RUN_FILE = "offswitch-run.json"


@dataclass(frozen=True)
class RunPlan:
    scenarios: list[str] = field(default_factory=list)  # empty: the quick suite
    variants: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)  # empty: the embedded model
    epochs: int = 1
    max_samples: int | None = None
    max_turns: int = 30
    interview: bool = False
    seed: int | None = None
    judge: str | None = None
    model_args: dict[str, object] = field(default_factory=dict)
    prompts: list[str] = field(default_factory=list)  # prompt packs (absolute paths)
    guard: str | None = None  # a guard policy (built-in name or absolute path)
    monitor: str | None = None  # the guard's monitor model (default: the embedded one)
    label_reader: bool = False  # labels read by the learned reader (scoring/reader.py)

    @classmethod
    def read(cls, log_dir: Path) -> RunPlan:
        path = log_dir / RUN_FILE
        if not path.is_file():
            raise UsageError(
                f"{log_dir} is not the log directory of an offswitch run (no {RUN_FILE} "
                "in it): give the --log-dir of the run to resume"
            )
        try:
            return cls(**json.loads(path.read_text()))
        except (ValueError, TypeError) as ex:
            raise UsageError(f"{path} is unreadable ({ex}): rerun with a new --log-dir") from ex

    def claim(self, log_dir: Path) -> None:
        """Record this plan in `log_dir`; refuse a directory that holds another run."""
        if (log_dir / RUN_FILE).is_file():
            if RunPlan.read(log_dir) != self:
                raise UsageError(f"{log_dir} holds another run (other scenarios, models or "
                                 f"options): continue it with 'offswitch run --resume "
                                 f"{log_dir}', or choose another --log-dir")  # fmt: skip
            return
        if log_dir.is_dir() and any(log_dir.rglob("*.eval")):
            raise UsageError(f"{log_dir} already holds logs of another run: choose another "
                             "--log-dir (one run per directory, so it can be resumed)")  # fmt: skip
        log_dir.mkdir(parents=True, exist_ok=True)
        (log_dir / RUN_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n")
