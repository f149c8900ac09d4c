"""The scenario catalogue: every sub-folder whose `__init__.py` exports a `SPEC`.

Adding a scenario is adding a folder; nothing here names one. Folders starting with `_`
hold what a family of scenarios shares (`_email`, `_scheming`).
"""

from __future__ import annotations

import importlib
import pkgutil

from offswitch.errors import UsageError

from .spec import Condition, Spec, Variant, Variants

__all__ = ["Condition", "Spec", "Variant", "Variants", "catalogue", "get_scenario", "quick_suite"]


def catalogue() -> dict[str, Spec]:
    """Name -> spec of every scenario folder, in listing order."""
    specs: list[Spec] = []
    for mod in pkgutil.iter_modules(__path__):
        if not mod.ispkg or mod.name.startswith("_"):
            continue
        spec = getattr(importlib.import_module(f"{__name__}.{mod.name}"), "SPEC", None)
        if isinstance(spec, Spec):
            specs.append(spec)
    return {s.name: s for s in sorted(specs, key=lambda s: (s.order, s.name))}


def quick_suite() -> list[Spec]:
    return [s for s in catalogue().values() if s.quick_suite]


def get_scenario(name: str) -> Spec:
    specs = catalogue()
    if name not in specs:
        raise UsageError(
            f"unknown scenario '{name}': choose from {', '.join(specs)} (see 'offswitch list')"
        )
    return specs[name]
