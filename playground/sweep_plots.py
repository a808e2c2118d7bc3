"""Figures of a sweep (playground.sweep): every variant's curve in one chart, and the final metric against the
value. Pure functions from numpy arrays to plotly figures, built as playground.plots builds its own; one colour
per variant (the class palette, in the values' order), the legend naming each value."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from playground.events import ACCURACY
from playground.plots import (
    EMPTY_MESSAGE,
    LEGEND_TOP,
    METRIC_TITLES,
    base_layout,
    class_colour,
    empty_figure,
    make_figure,
    plain_label,
    trace,
)
from playground.series import downsample, smooth

MAX_POINTS = 400  # per variant and chart: eight variants redraw live


def curves_figure(labels: Sequence[str], xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], *, y_title: str,
                  legend_title: str, smoothing: float = 0.0, kind: str | None = None, log_y: bool = False,
                  height: int = 320, empty_message: str = EMPTY_MESSAGE) -> go.Figure:
    """One line per variant: `ys[k]` (n_k,) against `xs[k]` (n_k,) optimizer steps, named `labels[k]`, in colour
    k. Series are downsampled to MAX_POINTS and smoothed with `series.smooth(., smoothing)` when smoothing > 0.
    `kind` ACCURACY fixes the y range to [0, 1.02]. Every series empty: a figure with `empty_message`."""
    name = f"sweep-{y_title}"
    if not any(len(x) for x in xs):
        return empty_figure(name, height, empty_message)
    traces = []
    for k, (label, x, y) in enumerate(zip(labels, xs, ys, strict=True)):
        x, y = downsample(np.asarray(x, float), np.asarray(y, float), MAX_POINTS)
        if smoothing > 0 and len(y):
            y = smooth(y, smoothing)
        traces.append(trace("scatter", x=x, y=y, name=plain_label(label), mode="lines" if len(x) > 1 else "markers",
                            line={"color": class_colour(k), "width": 2}, marker={"color": class_colour(k)}))
    yaxis: dict = {"title": {"text": y_title}, "type": "log" if log_y else "linear"}
    if kind == ACCURACY:
        yaxis["range"] = [0, 1.02]
    legend = {**LEGEND_TOP, "title": {"text": plain_label(legend_title)}}
    layout = base_layout(name + ("-log" if log_y else ""), height, xaxis={"title": {"text": "step"}}, yaxis=yaxis,
                         legend=legend, hovermode="x unified")
    return make_figure(traces, layout)


def summary_figure(labels: Sequence[str], values: Sequence, metric: Sequence[float | None], *, setting: str,
                   kind: str = ACCURACY, metric_label: str = "test accuracy", log_x: bool = False,
                   height: int = 320) -> go.Figure:
    """The final held-out metric of each variant against its value: `metric[k]` (None: no evaluation) at
    `values[k]`, a numeric axis (log when `log_x`) for numbers, else the labels in order. One marker per variant in
    its colour, joined by a grey line for numbers. No metric at all: a note."""
    shown = [(k, m) for k, m in enumerate(metric) if m is not None and np.isfinite(m)]
    if not shown:
        return empty_figure("sweep-summary", height, "No variant has a final evaluation yet")
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if log_x and numeric and any(values[k] <= 0 for k, _ in shown):
        log_x = False  # a weight decay of 0 has no place on a log axis
    xs = [values[k] if numeric else labels[k] for k, _ in shown]
    ys = [m for _, m in shown]
    traces = []
    if numeric and len(shown) > 1:
        order = np.argsort(xs)
        traces.append(trace("scatter", x=np.asarray(xs)[order], y=np.asarray(ys)[order], mode="lines",
                            line={"color": "#b0b4bd", "width": 1}, showlegend=False, hoverinfo="skip"))
    traces += [trace("scatter", x=[x], y=[y], name=plain_label(labels[k]), mode="markers",
                     marker={"color": class_colour(k), "size": 11}) for (k, _), x, y in zip(shown, xs, ys, strict=True)]
    xaxis: dict = {"title": {"text": plain_label(setting)}}
    xaxis["type"] = ("log" if log_x else "linear") if numeric else "category"
    if not numeric:
        xaxis["categoryarray"], xaxis["categoryorder"] = list(labels), "array"
    yaxis: dict = {"title": {"text": metric_label}}
    if kind == ACCURACY:
        yaxis["range"] = [0, 1.02]
    layout = base_layout(f"sweep-summary-{setting}-{METRIC_TITLES.get(kind, kind)}", height, xaxis=xaxis, yaxis=yaxis,
                         showlegend=False)
    return make_figure(traces, layout)
