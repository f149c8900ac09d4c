"""offswitch's Inspect model providers, registered without importing their implementations.

As Inspect registers its own providers: each `@modelapi` function imports its class only
when a model of that provider is created. Inspect imports every installed extension's
entry point, so this module must import nothing the base install lacks: the embedded
model's llama-cpp-python and jinja2 come with the `embedded` extra only.
"""

from __future__ import annotations

from importlib.util import find_spec

from inspect_ai.model import ModelAPI, modelapi

from offswitch.errors import UsageError

EMBEDDED_INSTALL = "pip install 'offswitch[embedded]'"
EMBEDDED_NEEDS = {"llama_cpp": "llama-cpp-python", "jinja2": "jinja2"}  # module: distribution


@modelapi(name="offswitch")
def embedded() -> type[ModelAPI]:
    """`offswitch/NAME`: an open model run in process with llama.cpp (see .embedded)."""
    missing = [dist for module, dist in EMBEDDED_NEEDS.items() if find_spec(module) is None]
    if missing:
        raise UsageError(
            f"the embedded model needs {' and '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed: run {EMBEDDED_INSTALL}"
        )

    from .embedded import EmbeddedModel

    return EmbeddedModel


@modelapi(name="replay")
def replay() -> type[ModelAPI]:
    """`replay/PATH`: a scripted agent read from a YAML file (see .replay)."""
    from .replay import ReplayModel

    return ReplayModel
