"""The MLP page's training-health panel: small charts of each layer's norms, update ratio, dead and saturated
units over the run, and each layer's weight histogram over time (figures: playground/mlp/health_plots.py)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from playground.jobs import Snapshot
from playground.mlp import health_plots
from playground.ui import live
from playground.ui.charts import chart

COLUMNS = 3  # small charts per row
HEIGHT = 220


def draw(snap: Snapshot | None) -> None:
    """Under the curves, for a run whose evaluations carry health: the readings, then the histograms. Figures are
    rebuilt only when an evaluation has come (the live panel redraws a few times a second)."""
    healths = [e.health for e in snap.evals if e.health is not None] if snap else []
    if not healths:
        return
    step = snap.eval_series("step")[-len(healths):]
    names = health_plots.layer_names(healths[-1].activations)
    with st.expander("Training health per layer: norms, updates, dead and saturated units, weight histograms",
                     expanded=True):
        figures = live.cached("mlp.health", (snap.run, len(healths)), lambda: _figures(step, healths, names))
        for i, (key, fig) in enumerate(figures):
            if i % COLUMNS == 0:
                places = st.columns(COLUMNS)
            chart(fig, key, places[i % COLUMNS], snap.run)


def _figures(step, healths, names) -> list:
    """(key, figure) for each reading, then for each layer's weight histogram."""
    readings = [(r, health_plots.series(healths, r.field)) for r in health_plots.READINGS]
    figures = [(f"mlp.health.{r.field}", health_plots.health_figure(step, values, names, r, HEIGHT))
               for r, values in readings if np.isfinite(values).any()]  # no saturation chart for a ReLU net
    counts = [h.hist_counts for h in healths]
    ranges = [h.hist_range for h in healths]
    for i, name in enumerate(names):
        figures.append((f"mlp.histogram.{i}", health_plots.histogram_figure(
            step, _layer(counts, i), _layer(ranges, i), name, height=HEIGHT)))
    return figures


def _layer(arrays, i):
    """(n, ...) layer i's part of each evaluation's per-layer array."""
    return np.stack([a[i] for a in arrays])
