"""Inspect model providers shipped with offswitch."""

from .replay import ReplayModel, load_script

__all__ = ["ReplayModel", "load_script"]
