"""The simulation's charts, today beside each proposal: cost per payer layer, and the self-pay distribution
(5-point bins, as the summary's chart). matplotlib's object API; ASCII labels (the summary charts' convention)."""

from __future__ import annotations

from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from models.settlement.policy import LAYER_ORDER
from models.simulation.core import Tally
from models.summary import BINS

LAYER_EN = {"basic_insurance": "basic", "critical_illness": "critical illness",
            "medical_assistance": "assistance", "supplementary": "supplementary"}  # fmt: skip


def _bars(ax: Axes, groups: list[str], series: dict[str, list[float]]) -> None:
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        ax.bar([x + i * width for x in range(len(groups))], values, width=width, label=name)
    ax.set_xticks([x + width * (len(series) - 1) / 2 for x in range(len(groups))], groups)
    ax.legend()
    ax.grid(axis="y", alpha=0.3)


def draw(folder: Path, wholes: dict[str, Tally]) -> list[Path]:
    """Two PNGs in ``folder``: payer cost (today and each proposal) and the self-pay ratio histogram."""
    today = next(iter(wholes.values())).today if wholes else None
    layers = [lp.value for lp in LAYER_ORDER if any(lp.value in t.today.layers or lp.value in t.proposed.layers
                                                     for t in wholes.values())]  # fmt: skip
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    series = {"today": [float(today.layers.get(k, 0)) / 1e4 for k in layers] if today else []}
    series |= {name: [float(t.proposed.layers.get(k, 0)) / 1e4 for k in layers] for name, t in wholes.items()}
    _bars(ax, [LAYER_EN.get(k, k) for k in layers], series)
    ax.set(ylabel="paid (10,000 yuan)", title="Cost per payer layer: today vs proposed")
    cost = folder / "cost-per-layer.png"
    fig.tight_layout()
    fig.savefig(cost, dpi=100)
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    step = 100 // BINS
    hist = {"today": [float(n) for n in today.bins] if today else []}
    hist |= {name: [float(n) for n in t.proposed.bins] for name, t in wholes.items()}
    _bars(ax, [f"{i * step}" for i in range(BINS)], hist)
    ax.axvline(10 / step - 0.5, color="red", linestyle="--", label="10% target")
    ax.set(xlabel="self-pay ratio (%), 5-point bins", ylabel="bills", title="Self-pay distribution: today vs proposed")
    dist = folder / "self-pay.png"
    fig.tight_layout()
    fig.savefig(dist, dpi=100)
    return [cost, dist]
