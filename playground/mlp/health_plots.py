"""Figures of an MLP run's training health over time (mlp/health.py): one small line chart per reading, a line
per layer, and each layer's weight histogram over the steps as a heatmap (TensorBoard's histogram view, flat).

Pure functions of numpy arrays, built as playground/plots.py builds its figures (plain dicts, no validation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from playground.mlp.health import OUTPUT, Health
from playground.plots import (
    BLUES,
    LEGEND_TOP,
    MAX_EVAL_POINTS,
    base_layout,
    class_colour,
    empty_figure,
    make_figure,
    trace,
)


@dataclass(frozen=True)
class Reading:
    """One health chart: which Health field, its title, and whether its axis is logarithmic."""

    field: str
    title: str
    log_y: bool


READINGS = (Reading("weight_norm", "weight norm", False), Reading("grad_norm", "gradient norm", True),
            Reading("update_ratio", "update / weight", True), Reading("dead", "dead units (share)", False),
            Reading("saturated", "saturated units (share)", False))


def layer_names(activations: Sequence[str]) -> list[str]:
    """Legend names: "layer 1 (relu)", ..., "output"."""
    return [OUTPUT if a == OUTPUT else f"layer {i + 1} ({a})" for i, a in enumerate(activations)]


def series(healths: Sequence[Health], field: str) -> np.ndarray:
    """(n, L) one Health field at each of n evaluations (all of one run, so L is the same)."""
    return np.array([getattr(h, field) for h in healths], dtype=float).reshape(len(healths), -1)


def _thin(n: int) -> np.ndarray:
    """Indices of at most MAX_EVAL_POINTS of n evaluations, evenly spread, the last one kept."""
    return np.unique(np.linspace(0, n - 1, min(n, MAX_EVAL_POINTS)).round().astype(int)) if n else np.arange(0)


def health_figure(step: np.ndarray, values: np.ndarray, names: Sequence[str], reading: Reading,
                  height: int = 220) -> go.Figure:
    """One reading over the steps: step (n,), values (n, L), a line per layer named by `names` (L,). Layers whose
    values are all NaN (a ReLU layer's saturation, the output's dead units) are left out."""
    keep = _thin(len(step))
    traces = [trace("scatter", x=step[keep], y=values[keep, i], name=name, mode="lines",
                    line={"color": class_colour(i), "width": 1.5})
              for i, name in enumerate(names) if len(keep) and np.isfinite(values[:, i]).any()]
    if not traces:
        return empty_figure(f"health-{reading.field}", height, f"No {reading.title} for these layers")
    yaxis = {"title": {"text": reading.title}, "type": "log" if reading.log_y else "linear", "exponentformat": "e"}
    if reading.field in ("dead", "saturated"):
        yaxis["range"] = [-0.02, 1.02]
    layout = base_layout(f"health-{reading.field}", height, xaxis={"title": {"text": "step"}}, yaxis=yaxis,
                         legend={**LEGEND_TOP, "font": {"size": 10}}, hovermode="x unified", showlegend=True)
    return make_figure(traces, layout)


def histogram_figure(step: np.ndarray, counts: np.ndarray, ranges: np.ndarray, name: str, bins: int = 40,
                     height: int = 220) -> go.Figure:
    """A layer's weight histogram over time: step (n,), counts (n, B) per evaluation over even bins of
    ranges (n, 2). Each evaluation's bins are spread onto `bins` common bins from the lowest to the highest weight
    seen, each count shared by how much of its bin overlaps each common bin (so no weight is lost or counted
    twice); colour is log(1 + count)."""
    keep = _thin(len(step))
    if not len(keep):
        return empty_figure(f"histogram-{name}", height)
    counts, ranges = counts[keep], ranges[keep]
    edges = np.linspace(ranges[:, 0].min(), ranges[:, 1].max(), bins + 1)
    z = np.einsum("nb,nbk->kn", counts, _overlap(ranges, counts.shape[1], edges))  # (bins, n)
    heat = trace("heatmap", x=step[keep], y=(edges[:-1] + edges[1:]) / 2, z=np.log1p(z), colorscale=BLUES,
                 showscale=False, customdata=z, hovertemplate="step %{x}<br>weight %{y:.3g}<br>%{customdata:.0f}"
                 " weights<extra></extra>")
    layout = base_layout(f"histogram-{name}", height, title={"text": f"{name} weights", "font": {"size": 13}},
                         xaxis={"title": {"text": "step"}}, yaxis={"title": {"text": "weight"}})
    return make_figure([heat], layout)


def _overlap(ranges: np.ndarray, n_own: int, edges: np.ndarray) -> np.ndarray:
    """(n, B, K) the share of each evaluation's own bin b (B even bins over its range) inside common bin k (K bins
    between `edges`). A range of zero width (every weight equal) puts all into the common bin that holds it."""
    own = ranges[:, :1] + np.linspace(0, 1, n_own + 1) * (ranges[:, 1:] - ranges[:, :1])  # (n, B + 1)
    lo, hi = own[:, :-1, None], own[:, 1:, None]
    width = hi - lo
    inside = np.clip(np.minimum(hi, edges[1:]) - np.maximum(lo, edges[:-1]), 0, None)  # (n, B, K)
    holds = np.searchsorted(edges[1:-1], lo, side="right") == np.arange(len(edges) - 1)  # lo's own common bin
    return np.where(width > 0, inside / np.where(width > 0, width, 1), holds)
