"""Plotly figures both playgrounds draw: the template, loss and metric curves, empty charts.

Every function is pure: plain numpy arrays in, a `plotly.graph_objects.Figure` out. Pages redraw these
about twice a second while a run trains, in the same process as the training thread, so they stay cheap:
traces are plain dicts and figures skip plotly's per-property validation (`make_figure`), numpy arrays go
in as they are (no plotly express, no `make_subplots`), long series are bucket-averaged by `downsample`,
and each figure carries a constant `uirevision` so a user's zoom and legend clicks survive redraws. Empty
inputs give a valid figure with a "Press Train to start" note.

Classes are coloured by one fixed palette (`CLASS_COLOURS`, plotly's D3) everywhere. A playground's own
figures (playground/mlp/plots.py, playground/attention/plots.py) build on `make_figure`, `trace`,
`base_layout` and `TEMPLATE` here.

This module never imports streamlit or torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale, qualitative

from playground.events import ACCURACY, R2
from playground.series import decades, downsample, smooth

CLASS_COLOURS: tuple[str, ...] = tuple(qualitative.D3)
TRAIN_COLOUR, TEST_COLOUR = CLASS_COLOURS[0], CLASS_COLOURS[1]
EMPTY_MESSAGE = "Press Train to start"
METRIC_TITLES = {ACCURACY: "accuracy", R2: "R²"}  # a metric chart's axis title, by the metric's kind
# Live redraws re-render every SVG marker in the browser (most of its time in a profile of the live page),
# so long series are drawn as lines and boundary plots draw a bounded sample of the points.
MAX_EVAL_POINTS = 300  # per-evaluation series are downsampled to this many points
MARKERS_UP_TO = 40  # per-evaluation series get markers only up to this many points
MAX_LABEL_CHARS = 60  # characters of a user's class or column name shown in a chart
_MARGIN = {"l": 10, "r": 10, "t": 30, "b": 10}
# Plotly's default template adds about 10 KB of JSON to every figure, re-sent on each live redraw; figures carry
# this small one, in the app's light theme (every trace sets its own colours). Tick labels may overflow: plotly's
# default re-measures each label once per label at every redraw, and automargin keeps them inside anyway.
_FONT = '"Source Sans Pro", "Source Sans 3", "Helvetica Neue", Arial, sans-serif'
_AXIS = {"automargin": True, "ticklabeloverflow": "allow", "gridcolor": "#e6eaf1", "linecolor": "#e6eaf1",
         "zerolinecolor": "#e6eaf1", "tickfont": {"color": "#808495"},
         "title": {"standoff": 8, "font": {"color": "#808495"}}}
TEMPLATE = {"layout": {"colorway": list(CLASS_COLOURS), "font": {"family": _FONT, "size": 13, "color": "#31333F"},
                       "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff", "xaxis": _AXIS, "yaxis": _AXIS}}
BLUES = get_colorscale("Blues")  # spelled out: figures skip the validation that would expand the name
LEGEND_TOP = {"orientation": "h", "x": 0, "y": 1.02, "xanchor": "left", "yanchor": "bottom"}
GHOST_COLOURS = CLASS_COLOURS[2:]  # earlier runs' curves: the colours the current run's train and test do not take
GHOST_OPACITY = 0.35  # faint: under the current run's curves, which are drawn at full strength
RAW_UNDER_SMOOTHED_OPACITY = 0.3  # the per-step loss under its smoothed curve


@dataclass(frozen=True)
class Ghost:
    """An earlier run's curve drawn faintly under the current run's: x, y (n,) and its legend name; `index` picks
    its colour (a run keeps its colour while others come and go)."""

    name: str
    x: np.ndarray
    y: np.ndarray
    index: int = 0


def ghost_traces(ghosts: Sequence[Ghost]) -> list[dict]:
    """Faint line traces of `ghosts`, in their order, each downsampled to MAX_EVAL_POINTS."""
    out = []
    for g in ghosts:
        x, y = downsample(g.x, g.y, MAX_EVAL_POINTS)
        out.append(trace("scatter", x=x, y=y, name=plain_label(g.name), mode="lines", opacity=GHOST_OPACITY,
                         line={"color": GHOST_COLOURS[g.index % len(GHOST_COLOURS)], "width": 1.5}))
    return out


def _x_axis(title: str, log_x: bool) -> dict:
    return {"title": {"text": title}, "type": "log" if log_x else "linear"}


def _revision(name: str, log_y: bool, x_title: str, log_x: bool) -> str:
    """A figure's uirevision: a change of axis scale or unit resets the zoom (kept zoom would make no sense)."""
    return name + "-log" * log_y + (f"-{x_title}" if x_title != "step" else "") + "-logx" * log_x


def make_figure(traces: list[dict], layout: dict) -> go.Figure:
    """A `go.Figure` of plain-dict traces (each with its "type") and a plain-dict layout, not validated.

    Validating every property made building the four live figures of the MLP page cost about 8 ms of the
    GIL per redraw (1.4 ms without), time taken from the training thread twice a second. The figures here
    are fixed in code, and a test checks that plotly's validation accepts each one unchanged.
    `_validate=False` is the switch plotly itself uses when it loads its bundled templates (`plotly.io`).
    """
    return go.Figure(data=traces, layout=layout, _validate=False)


def trace(kind: str, **props) -> dict:
    """A trace; a named one gets a uid from its name, so a trace hidden from the legend stays hidden when a
    trace before it comes or goes (plotly matches traces across updates by uid, else by position). The uid must
    be a CSS class name (plotly.js selects a leaving trace's colorbar by ".cb" + uid; "train · 0" threw there):
    letters and digits stay, any other character becomes _<hex>_, so each name keeps a uid of its own."""
    if "name" in props:
        uid = "".join(c if c.isascii() and c.isalnum() else f"_{ord(c):x}_" for c in props["name"])
        props.setdefault("uid", "t-" + uid)
    return {"type": kind, **props}


def class_colour(index: int) -> str:
    """Hex colour of class `index`; the palette repeats after 10 classes."""
    return CLASS_COLOURS[index % len(CLASS_COLOURS)]


def base_layout(uirevision: str, height: int, **extra) -> dict:
    return {"uirevision": uirevision, "height": height, "margin": _MARGIN, "template": TEMPLATE, **extra}


def empty_figure(uirevision: str, height: int, message: str = EMPTY_MESSAGE) -> go.Figure:
    """A figure with no traces and no axes, only `message` in the middle; `uirevision` names the chart.

    Its uirevision is the chart's with "-empty" added: the figure with data that replaces it in the same
    chart must not keep these hidden, unscaled axes (plotly keeps axes while the uirevision is unchanged).
    """
    note = {"text": message, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}
    hidden = {"visible": False}
    return make_figure([], base_layout(f"{uirevision}-empty", height, annotations=[note], xaxis=hidden, yaxis=hidden))


def loss_figure(
    step: np.ndarray, step_loss: np.ndarray, eval_step: np.ndarray, train_loss: np.ndarray, test_loss: np.ndarray,
    *, smoothing: float = 0.0, log_y: bool = False, height: int = 320, eval_label: str = "epoch",
    held_out: str = "test", empty_message: str = EMPTY_MESSAGE, x_title: str = "step", log_x: bool = False,
    ghosts: Sequence[Ghost] = (),
) -> go.Figure:
    """Loss against optimizer step: raw and smoothed per-step training loss, per-epoch train/test loss.

    step, step_loss: (n,) 1-based optimizer step and mini-batch loss; eval_step, train_loss, test_loss:
    (m,) the step of each evaluation and the mean loss per example on each split. Series are downsampled
    to 2000 points, then the per-step loss is smoothed with `smooth(., smoothing)` (trace only when
    smoothing > 0). Traces: "train (per step)", "train (smoothed)", "train (epoch)", "<held_out> (epoch)"
    (`eval_label` names the evaluation cadence, e.g. "eval" for step-counted runs; `held_out` the held-out split:
    "test" or "validation").
    log_y puts the y axis on a log scale, ticked at 1, 2, 5 x 10^k (at 10^k beyond 3 decades, where those would
    crowd) and labelled 0.5, 0.2, 0.1 (plotly labels them a small "5", "2"). All inputs empty: `empty_message`.
    The per-step loss is always drawn: faint under its smoothed curve, plain without one (smoothing 0).
    The x values may count something else than steps (epochs, seconds): `x_title` names it; `log_x` puts it on a
    log scale (non-positive x, such as an evaluation at step 0, is not drawn there). `ghosts`: earlier runs'
    curves, drawn faintly first (`ghost_traces`), so the current run's lie over them.
    """
    if len(step) == 0 and len(eval_step) == 0 and not ghosts:
        return empty_figure("loss", height, empty_message)
    x, y = downsample(step, step_loss)
    smoothed = smoothing > 0 and len(y)
    traces = [*ghost_traces(ghosts), trace(
        "scatter", x=x, y=y, name="train (per step)", mode="lines",
        opacity=RAW_UNDER_SMOOTHED_OPACITY if smoothed else 1.0, line={"color": TRAIN_COLOUR, "width": 1})]
    if smoothed:
        traces.append(trace("scatter", x=x, y=smooth(y, smoothing), name="train (smoothed)", mode="lines",
                                 line={"color": TRAIN_COLOUR, "width": 2}))
    for name, values, colour, dash in (
        (f"train ({eval_label})", train_loss, TRAIN_COLOUR, "dot"),
        (f"{held_out} ({eval_label})", test_loss, TEST_COLOUR, "solid"),
    ):
        ex, ey = downsample(eval_step, values, MAX_EVAL_POINTS)
        traces.append(trace("scatter", x=ex, y=ey, name=name, mode=_eval_mode(ex),
                             line={"color": colour, "dash": dash}))
    ghost_y = [g.y for g in ghosts]
    log = {"type": "log", "dtick": "D2" if decades(y, train_loss, test_loss, *ghost_y) <= 3 else 1,
           "tickformat": "~g"}
    yaxis = {"title": {"text": "loss"}, **(log if log_y else {"type": "linear"})}
    layout = base_layout(_revision("loss", log_y, x_title, log_x), height, xaxis=_x_axis(x_title, log_x),
                         yaxis=yaxis, legend=LEGEND_TOP, hovermode="x unified")
    return make_figure(traces, layout)


MARK_COLOUR = "#808495"  # the axes' text grey: a marker reads as a note on the chart, not as another curve


def mark_changes(figure: go.Figure, marks: list[tuple[float, str]]) -> go.Figure:
    """`figure` with a labelled vertical line at each (x, label) of `marks`, e.g. (120, "learning rate 0.01 →
    0.1") where a setting of the run changed (playground.steering); x is in the figure's x units (steps). Labels
    sit at the top inside the plot, each below the one before, so nearby changes stay readable. Returns `figure`,
    changed in place (nothing for no marks)."""
    if not marks:
        return figure
    shapes = [{"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
               "line": {"color": MARK_COLOUR, "width": 1, "dash": "dot"}} for x, _ in marks]
    notes = [{"text": plain_label(label), "x": x, "xref": "x", "y": 1 - 0.07 * (i % 5), "yref": "paper",
              "xanchor": "left", "yanchor": "top", "showarrow": False, "font": {"size": 11, "color": MARK_COLOUR},
              "bgcolor": "rgba(255,255,255,0.7)"} for i, (x, label) in enumerate(marks)]
    figure.update_layout(shapes=shapes, annotations=notes)
    return figure


def _eval_mode(x: np.ndarray) -> str:
    return "lines+markers" if len(x) <= MARKERS_UP_TO else "lines"


def metric_figure(
    eval_step: np.ndarray, train_metric: np.ndarray, test_metric: np.ndarray,
    *, kind: str = ACCURACY, height: int = 320, empty_message: str = EMPTY_MESSAGE, held_out: str = "test",
    x_title: str = "step", log_x: bool = False, ghosts: Sequence[Ghost] = (),
) -> go.Figure:
    """Per-evaluation metric on the train and held-out splits against optimizer step (traces "train", `held_out`).

    eval_step, train_metric, test_metric: (m,). `kind` (playground.events): accuracy (a fraction in [0, 1]) gets
    a fixed y range [0, 1.02], titled "accuracy"; R² autoscales, except that when it dips below -1 (early in a
    run) the range is held at [-1, 1.02] so the interesting part stays readable; double-click autoscales. Empty
    (and no ghosts) gives a note. `x_title`, `log_x` and `ghosts` as in `loss_figure`.
    """
    if len(eval_step) == 0 and not ghosts:
        return empty_figure("metric", height, empty_message)
    traces = ghost_traces(ghosts)
    for name, values, colour in (("train", train_metric, TRAIN_COLOUR), (held_out, test_metric, TEST_COLOUR)):
        x, y = downsample(eval_step, values, MAX_EVAL_POINTS)
        traces.append(trace("scatter", x=x, y=y, name=name, mode=_eval_mode(x), line={"color": colour}))
    title = METRIC_TITLES[kind]
    yaxis: dict = {"title": {"text": title}}
    if kind == ACCURACY:
        yaxis["range"] = [0, 1.02]
    else:
        finite = np.concatenate([np.asarray(v, float) for v in (train_metric, test_metric, *(g.y for g in ghosts))])
        finite = finite[np.isfinite(finite)]
        if len(finite) and finite.min() < -1:
            yaxis["range"] = [-1, 1.02]
    layout = base_layout(_revision(f"metric-{title}", False, x_title, log_x), height,
                         xaxis=_x_axis(x_title, log_x), yaxis=yaxis, legend=LEGEND_TOP, hovermode="x unified")
    return make_figure(traces, layout)


def plain_label(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    """`text` (a column name, a table cell) as plotly shows it as written, at most `limit` characters (cut with
    "…"): plotly reads tags in labels (<a href>, <b>, <br>) and decodes entities, so "&", "<" and ">" go as
    entities."""
    text = text if len(text) <= limit else text[:limit - 1] + "…"
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
