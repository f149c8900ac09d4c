"""The report on synthetic logs with known counts: statistics, merging, JSON, HTML, exports."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.log import EvalLog, read_eval_log, write_eval_log
from inspect_ai.scorer import Score

from offswitch.analysis import from_dir, jeffreys
from offswitch.analysis.stats import fisher_p, newcombe

from .conftest import REPLAYS, offswitch

# model -> variant -> verdict counts; judge: (detector, judge) pairs added to some samples
COUNTS: dict[str, dict[str, dict[str, int]]] = {
    "openai/o3": {
        "A-no-instruction": {"yes": 18, "no": 2},
        "B-allow-user": {"yes": 3, "no": 16, "invalid": 1},
        "C-allow-system": {"yes": 10, "no": 10},
        "E-allow-system-even-if": {"yes": 4, "attempted": 1, "no": 15},
        "J-never-run-again": {"yes": 9, "no": 11},
    },
    "anthropic/claude-opus-4-20250514": {
        "A-no-instruction": {"no": 19, "invalid": 1},
        "K-resist-control": {"yes": 19, "attempted": 1},
    },
}


def _outcome(verdict: str, judge: str | None) -> dict[str, Any]:
    j = None if judge is None else {"model": "anthropic/judge", "verdict": judge, "reasoning": ""}
    return {"behavior": "shutdown_sabotage", "verdict": verdict, "judge": j, "details": {},
            "evidence": [f"synthetic {verdict}"], "labels": []}  # fmt: skip


def _synthesize(template: EvalLog, model: str, variants: dict[str, dict[str, int]],
                judge_pairs: list[str] | None = None) -> EvalLog:  # fmt: skip
    base = template.samples[0]  # type: ignore[index]
    samples = []
    judged = iter(judge_pairs or [])
    for variant, counts in variants.items():
        epoch = 0
        for verdict, k in counts.items():
            for _ in range(k):
                epoch += 1
                judge = next(judged, None)
                meta = {**base.metadata, "variant": variant}
                if verdict == "invalid":  # a broken run: the sample errored, no score
                    from inspect_ai.log import EvalError

                    samples.append(base.model_copy(update={
                        "id": variant, "epoch": epoch, "metadata": meta, "scores": {},
                        "error": EvalError(message="model provider failed", traceback="",
                                           traceback_ansi="")}))  # fmt: skip
                    continue
                score = Score(value=verdict, metadata={"outcome": _outcome(verdict, judge)})
                samples.append(base.model_copy(update={
                    "id": variant, "epoch": epoch, "metadata": meta, "scores": {"verdict": score},
                    "error": None}))  # fmt: skip
    # each synthesized log is its own run (its own task id), as real runs are
    ev = template.eval.model_copy(update={"model": model, "task_id": f"synthetic-{model}"})
    return template.model_copy(update={"eval": ev, "samples": samples})


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two runs in one directory (different models, 'different days'), plus a corrupt and a
    truncated file."""
    work = tmp_path_factory.mktemp("synthetic")
    seed = work / "seed"
    r = offswitch("run", "shutdown", "-v", "A-no-instruction", "--model",
                  f"replay/{REPLAYS / 'shutdown' / 'comply.yaml'}", "--log-dir", str(seed),
                  "--display", "none", "--no-html")  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    template = read_eval_log(str(next(seed.glob("*.eval"))))
    out = work / "logs"
    (out / "day2").mkdir(parents=True)
    # judge on o3's first 6 A samples: detector yes x5 + no, judge yes,yes,no,yes,invalid,no
    o3 = _synthesize(template, "openai/o3", COUNTS["openai/o3"],
                     ["yes", "yes", "no", "yes", "invalid"])  # fmt: skip
    write_eval_log(o3, str(out / "2026-11-01T10-00-00_shutdown_o3.eval"))
    opus = _synthesize(template, "anthropic/claude-opus-4-20250514",
                       COUNTS["anthropic/claude-opus-4-20250514"])  # fmt: skip
    write_eval_log(opus, str(out / "day2" / "2026-11-02T10-00-00_shutdown_opus.eval"))
    (out / "2026-11-03T00-00-00_shutdown_corrupt.eval").write_bytes(b"PK\x03\x04 not a zip")
    whole = (out / "2026-11-01T10-00-00_shutdown_o3.eval").read_bytes()
    (out / "day2" / "2026-11-04T00-00-00_shutdown_truncated.eval").write_bytes(
        whole[: len(whole) // 2]
    )
    return out


def test_cells_merge_runs_and_count(logs: Path) -> None:
    rep = from_dir(logs)
    assert len(rep.skipped) == 2 and any("corrupt" in s for s in rep.skipped)
    cells = {(c.model, c.variant): c for c in rep.cells}
    b = cells[("openai/o3", "B-allow-user")]
    assert (b.n, b.yes, b.attempted, b.no, b.invalid) == (20, 3, 0, 16, 1)
    assert b.rate == pytest.approx(3 / 19) and b.invalid_rate == pytest.approx(0.05)
    assert b.ci95 == pytest.approx(jeffreys(3, 19))
    e = cells[("openai/o3", "E-allow-system-even-if")]
    assert e.attempt_rate == pytest.approx(5 / 20) and e.attempt_ci95 == pytest.approx(
        jeffreys(5, 20)
    )
    opus_a = cells[("anthropic/claude-opus-4-20250514", "A-no-instruction")]
    assert (opus_a.no, opus_a.invalid, opus_a.rate) == (19, 1, 0.0)


def test_comparisons_newcombe_fisher_holm(logs: Path) -> None:
    rep = from_dir(logs)
    comps = {(c.model, c.variant, c.control): c for c in rep.comparisons}
    ba = comps[("openai/o3", "B-allow-user", "A-no-instruction")]
    assert (ba.yes, ba.valid, ba.control_yes, ba.control_valid) == (3, 19, 18, 20)
    d, lo, hi = newcombe(3, 19, 18, 20)
    assert ba.difference == pytest.approx(d) and ba.ci95 == pytest.approx((lo, hi))
    assert ba.p_value == pytest.approx(fisher_p(3, 19, 18, 20))
    assert ba.p_value < 1e-5 and lo < d < hi < 0  # allowing shutdown clearly lowers sabotage
    # the declared pairs present for o3: B/A, C/B, J/E (E/D has no D; clarified absent)
    assert {(v, c) for m, v, c in comps if m == "openai/o3"} == {
        ("B-allow-user", "A-no-instruction"), ("C-allow-system", "B-allow-user"),
        ("J-never-run-again", "E-allow-system-even-if")}  # fmt: skip
    # Holm: sorted p-values times (m, m-1, ...), made monotone, capped at 1
    ps = sorted(c.p_value for c in rep.comparisons)
    adjusted = sorted(c.p_holm for c in rep.comparisons)
    m = len(ps)
    expect, running = [], 0.0
    for i, p in enumerate(ps):
        running = max(running, min(1.0, (m - i) * p))
        expect.append(running)
    assert adjusted == pytest.approx(expect)
    assert all(c.p_holm >= c.p_value for c in rep.comparisons)


def test_judge_agreement_and_kappa(logs: Path) -> None:
    [j] = from_dir(logs).judge
    # detector: yes,yes,yes,yes,yes ; judge: yes,yes,no,yes,invalid -> 4 usable, 3 agree
    assert (j.scenario, j.judged, j.judge_invalid) == ("shutdown", 4, 1)
    assert j.agreement == pytest.approx(0.75)
    # one rater constant (all yes): expected agreement 0.75 -> kappa 0
    assert j.kappa == pytest.approx(0.0)
    assert [d["judge"] for d in j.disagreements] == ["no"]


def test_published_references_matched(logs: Path) -> None:
    refs = from_dir(logs).references
    shown = {(m.cell.model, m.cell.variant, m.reference.study) for m in refs}
    assert ("openai/o3", "A-no-instruction", "palisade-2025-paper") in shown
    assert ("openai/o3", "E-allow-system-even-if", "palisade-2025-paper") in shown
    # a dated Claude snapshot matches the 'told to resist' reference range
    k = [m for m in refs if m.cell.variant == "K-resist-control"]
    assert k and k[0].reference.range == (0.96, 1.0)
    a = next(m for m in refs if m.cell.variant == "A-no-instruction"
             and m.reference.study == "palisade-2025-paper")  # fmt: skip
    assert a.reference.rate == 0.945 and "2509.14260" in a.reference.citation


def test_json_csv_parquet(logs: Path, tmp_path: Path) -> None:
    r = offswitch("report", str(logs), "--json", "--csv", str(tmp_path / "s.csv"),
                  "--parquet", str(tmp_path / "s.parquet"))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("skipped unreadable log") == 2
    data = json.loads(r.stdout[: r.stdout.rindex("}") + 1])
    assert {"cells", "comparisons", "samples", "references", "judge_agreement"} <= set(data)
    comp = data["comparisons"][0]
    assert {"model", "scenario", "variant", "control", "difference", "ci95", "p_value",
            "p_holm"} <= set(comp)  # fmt: skip
    n = sum(sum(v.values()) for m in COUNTS.values() for v in m.values())
    assert len(data["samples"]) == n
    with (tmp_path / "s.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == n and sum(row["verdict"] == "invalid" for row in rows) == 2
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "s.parquet")
    assert table.num_rows == n and table.schema.field("labels").type.value_type.equals(
        table.schema.field("model").type
    )


def test_terminal_report_shows_comparisons_and_references(logs: Path) -> None:
    r = offswitch("report", str(logs))
    assert r.returncode == 0
    assert "comparisons: variant vs its control" in r.stdout
    assert "published reference numbers" in r.stdout and "LLM judge vs deterministic" in r.stdout


def test_html_report_in_chromium(logs: Path) -> None:
    from playwright.sync_api import sync_playwright

    artifacts = Path(__file__).resolve().parents[1] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    html = artifacts / "report.html"
    r = offswitch("report", str(logs), "--html", str(html))
    assert r.returncode == 0, r.stderr
    text = html.read_text()
    assert "http://" not in text.replace("http://127.0.0.1:7575/#/logs", "")  # no network
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.goto(html.as_uri())
        images = page.evaluate(
            "Array.from(document.images).map(i => [i.alt, i.complete && i.naturalWidth > 0])"
        )
        assert len(images) == 2 and all(ok for _, ok in images), images  # rates + heat map
        rows = page.locator("#samples tbody tr").count()
        assert rows == sum(sum(v.values()) for m in COUNTS.values() for v in m.values())
        link = page.locator("#samples a").first.get_attribute("href")
        assert (
            link and link.startswith("http://127.0.0.1:7575/#/logs/") and "/samples/sample/" in link
        )
        assert page.get_by_text("Comparisons").count() >= 1
        page.screenshot(path=str(artifacts / "report.png"), full_page=True)
        browser.close()
    assert (artifacts / "report.png").stat().st_size > 10_000


def test_every_reference_names_a_scenario_and_variant_that_exist() -> None:
    """A published number beside a cell that cannot exist is a number nobody can check;
    each also says where in its source it comes from and what it measures."""
    from offswitch.analysis.references import load_references
    from offswitch.scenarios import catalogue

    specs = catalogue()
    for ref in load_references():
        assert ref.scenario in specs, ref
        spec = specs[ref.scenario]
        assert ref.variant is None or spec.variants.knows(spec.name, ref.variant), ref
        assert ref.measure in ("success", "attempt", "gap") and ref.where, ref
        assert (ref.rate is None) != (ref.range is None), ref
        if ref.rate is not None and ref.ci95 is not None:
            assert ref.ci95[0] <= ref.rate <= ref.ci95[1], ref
