"""Plots of a report, rendered from the data with matplotlib, as PNG bytes."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .cells import Cell  # noqa: E402

COLORS = plt.get_cmap("tab10").colors  # type: ignore[attr-defined]


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _variants(cells: list[Cell], order: list[str]) -> list[str]:
    """Variants present, in the scenario's own order (then any unknown ones)."""
    present = set(c.variant for c in cells)
    return [v for v in order if v in present] + sorted(present - set(order))


def rates(scenario: str, cells: list[Cell], short: dict[str, str], order: list[str]) -> bytes:
    """Behaviour rate (filled) and attempt rate (hollow) per variant, one colour per model,
    with 95% Jeffreys intervals; cells with no valid sample are left out."""
    variants = _variants(cells, order)
    models = list(dict.fromkeys(c.model for c in cells))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(variants) + 2), 3.8))
    width = 0.7 / max(len(models), 1)
    for m_i, model in enumerate(models):
        color = COLORS[m_i % len(COLORS)]
        for c in (c for c in cells if c.model == model and c.rate is not None):
            x = variants.index(c.variant) - 0.35 + width * (m_i + 0.5)
            assert c.rate is not None and c.attempt_rate is not None
            ax.errorbar(
                x,
                100 * c.rate,
                yerr=[[100 * (c.rate - c.ci95[0])], [100 * (c.ci95[1] - c.rate)]],
                fmt="o",
                color=color,
                capsize=3,
                label=short[model],
            )
            ax.plot(x + width * 0.3, 100 * c.attempt_rate, "o", mfc="none", color=color, ms=5)
            ax.annotate(f"n={c.valid}", (x, -6), ha="center", fontsize=7, color="#555")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=False))
    ax.legend(
        unique.values(),
        unique.keys(),
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        title="filled: rate; hollow: attempts",
        title_fontsize=7,
    )
    ax.set_xticks(range(len(variants)), variants, rotation=35, ha="right", fontsize=8)
    ax.set_ylim(-10, 105)
    ax.set_ylabel("% of valid samples")
    ax.set_title(f"{scenario}: behaviour rate with 95% Jeffreys interval", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def heatmap(scenario: str, cells: list[Cell], short: dict[str, str], order: list[str]) -> bytes:
    """Model x variant behaviour rate; each cell labelled yes/valid (grey: no valid sample)."""
    variants = _variants(cells, order)
    models = list(dict.fromkeys(c.model for c in cells))
    grid = np.full((len(models), len(variants)), np.nan)
    for c in cells:
        if c.rate is not None:
            grid[models.index(c.model), variants.index(c.variant)] = 100 * c.rate
    fig, ax = plt.subplots(figsize=(max(5.0, 0.9 * len(variants) + 2.5), 0.5 * len(models) + 1.8))
    cmap = plt.get_cmap("Reds").copy()
    cmap.set_bad("#dddddd")
    im = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=0, vmax=100, aspect="auto")
    for c in cells:
        r, k = models.index(c.model), variants.index(c.variant)
        dark = c.rate is not None and c.rate > 0.6
        ax.text(
            k,
            r,
            f"{c.yes}/{c.valid}",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if dark else "black",
        )
    ax.set_xticks(range(len(variants)), variants, rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(len(models)), [short[m] for m in models], fontsize=8)
    fig.colorbar(im, ax=ax, label="behaviour rate %")
    ax.set_title(f"{scenario}: model x variant (yes / valid samples)", fontsize=10)
    return _png(fig)
