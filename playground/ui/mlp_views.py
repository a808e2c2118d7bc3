"""Live views of the MLP playground: chart options, the data before a run, and a run's curves, decision
boundary, confusion matrix or predictions, and downloads."""

from __future__ import annotations

import streamlit as st

from playground.jobs import Snapshot
from playground.mlp import frame_plots, network_plots
from playground.mlp import plots as mlp_plots
from playground.mlp.config import MLPRunConfig
from playground.mlp.data import DataError, make_dataset
from playground.mlp.views import MLPRunInfo, MLPViews
from playground.ui import exports, live, mlp_health, mlp_network, mlp_replay, run_history, session
from playground.ui.charts import chart
from playground.ui.frames import unsent
from playground.ui.text import cut, literal

PAGE = "mlp"

CHART_OPTIONS = {"mlp.smoothing": 0.0, "mlp.log_y": False, "mlp.discretize": False,
                 "mlp.health": False, "mlp.x_axis": "step", "mlp.log_x": False}  # widget key -> default
# Pixels. The boundary's plot is square and, beside the network view, as wide as its column: a chart no taller than
# that keeps its whole background in view after "Reset axes" (a taller plot area narrows the x range to keep the
# aspect); the network view takes the row's height.
BOUNDARY_HEIGHT = 400
NETWORK_HEIGHT = 420
AXIS_NAME_CHARS = 30  # characters of a column name in an axis title, before " (standardised)"
SAVED_OPTIONS = "mlp.saved_chart_options"  # not a widget key: kept while the user is on another page


def chart_options() -> None:
    """How the charts draw, read by the live panel from session state. Outside the panel: a change redraws the
    page, and the refreshes while training do not send these widgets again. Kept across page switches (Streamlit
    forgets the state of a widget it did not draw)."""
    saved = st.session_state.setdefault(SAVED_OPTIONS, dict(CHART_OPTIONS))
    if session.entering(PAGE):  # as the form does (see session.entering)
        st.session_state.update(saved)
    # In a popover: the boundary and the network view keep the height a row of options would take above the fold
    row = st.popover("Chart options", icon=":material/tune:")
    row.slider("Smoothing", 0.0, 0.99, step=0.01, key="mlp.smoothing", width=200,
               help="TensorBoard-style moving average; the raw loss stays drawn, faintly, under it.")
    row.toggle("Log loss axis", key="mlp.log_y")
    run_history.axis_options(row, "mlp.")
    row.toggle("Discretize boundary", key="mlp.discretize", help="Hard class regions instead of confidence.")
    row.toggle("Training health", key="mlp.health", help="Per layer over the run: weight and gradient norms, the "
               "size of each update against the weights, dead and saturated units, and weight histograms.")
    saved.update({key: st.session_state[key] for key in CHART_OPTIONS})


def preview(config: MLPRunConfig | None, views: list) -> None:
    """Before any run: the data points of a 2-D dataset (the empty curves are drawn by `draw`)."""
    if config is None or config.data.dataset == "csv":
        return
    try:
        d = make_dataset(config.data)
    except (DataError, ValueError) as e:
        st.warning(literal(e))
        return
    if d.n_features == 2:
        fig = mlp_plots.boundary_figure(None, None, None, d.x_train, d.y_train, d.x_test, d.y_test,
                                    task=d.task, class_names=d.class_names, height=BOUNDARY_HEIGHT)
        chart(fig, "mlp.boundary_chart", views[0])
        mlp_network.network_panel(None, views[1], 0, NETWORK_HEIGHT)


def axis_titles(snap: Snapshot) -> tuple[str, str]:
    """The boundary's axes: an uploaded table's two feature columns (standardised, as the model sees them), else
    x₁ and x₂."""
    names = snap.started.info.feature_names if snap.started else ()
    if snap.config.data.dataset != "csv" or len(names) != 2:
        return ("x₁", "x₂")

    def short(name: str) -> str:  # a long name would push the note off the chart: its middle goes
        head, left_out, tail = cut(str(name), AXIS_NAME_CHARS)
        return f"{head}…{tail}" if left_out else head
    return tuple(f"{short(name)} (standardised)" for name in names)


def draw(config: MLPRunConfig | None, snap: Snapshot | None) -> None:
    """The page's live panel: progress, tiles, curves, the boundary and the confusion or prediction chart."""
    # The same layout before a run and during it: the charts shown before Train show its first points. The
    # charts' places must not move (a chart in a new place is a new iframe, which loads plotly.js again).
    # The boundary and the network view first, so both are above the fold at 1,400 x 1,000; the curves below.
    head, views, replay = st.container(), st.columns([1.1, 1]), st.container()
    curves, below = st.columns(2), st.columns(2)
    with head:
        if snap is not None:
            live.progress(snap)
            live.metrics_row(snap)
    opts = {k.removeprefix("mlp."): st.session_state[k] for k in CHART_OPTIONS}
    live.curve_charts(snap, PAGE, curves, smoothing=opts["smoothing"], log_y=opts["log_y"], x_axis=opts["x_axis"],
                      log_x=opts["log_x"])
    if snap is None:
        preview(config, views)
        return
    info: MLPRunInfo | None = snap.started.info if snap.started else None
    with replay:
        shown = mlp_replay.replay_pick(snap)
    run_views(snap, shown, info, [*views, below[0]], opts["discretize"])
    if opts["health"]:
        mlp_health.draw(snap)
    for note in info.notes if info else ():
        st.caption(literal(note))
    exports.downloads(PAGE, snap)




def run_views(snap: Snapshot, v: MLPViews | None, info: MLPRunInfo | None, places: list, discretize: bool) -> None:
    """The decision boundary and the network view (two-feature datasets) and the confusion matrix or the
    predictions of a run's views `v` (the newest, or a replayed one). `places`: the boundary's, the network
    view's, and the confusion's for a 2-D run (a table's run draws its confusion or predictions first)."""
    c1, c2, c3 = places
    if info is not None and info.points is not None:
        pts, grid = info.points, v.grid if v is not None else None
        fig = live.cached("mlp.boundary", (v, pts, discretize), lambda: mlp_plots.boundary_figure(
            grid.x if grid else None, grid.y if grid else None, grid.values if grid else None, pts.x_train,
            pts.y_train, pts.x_test, pts.y_test, task=info.task, class_names=info.class_names, discretize=discretize,
            axis_titles=axis_titles(snap), height=BOUNDARY_HEIGHT))
        following = v is snap.views and mlp_replay.following(snap)  # the run's frames animate the newest views only
        frames = frame_plots.boundary_payload(unsent(snap, "mlp.boundary_chart"), run=snap.run, live=snap.active,
                                              classify=info.task == "classification", discretize=discretize)
        chart(fig, "mlp.boundary_chart", c1, snap.run, frames=frames if following else None)
        network = v.network if v is not None else None
        frames = frame_plots.network_payload(unsent(snap, "mlp.network_chart"), network, run=snap.run, live=snap.active)
        empty = "No evaluation yet" if snap.active else "The run ended before its first evaluation"
        mlp_network.network_panel(network, c2, snap.run, NETWORK_HEIGHT, frames if following else None, empty)
    elif snap.started is not None:  # before it (queued, set-up, ended there) the number of features is unknown
        c2.caption("A table's network: each layer's weights (rows its units) and the spread of its outputs on the "
                   "test split. The decision boundary is drawn for datasets with two features.")
        fig = live.cached("mlp.layers", (v,), lambda: network_plots.layers_figure(v.layers if v else None))
        chart(fig, "mlp.layers_chart", c2, snap.run)
        c3 = c1
    if v is not None and v.confusion is not None:
        fig = live.cached("mlp.confusion", (v,), lambda: mlp_plots.confusion_figure(v.confusion, info.class_names))
        chart(fig, "mlp.confusion_chart", c3, snap.run)
    elif v is not None and v.y_test_pred is not None:
        chart(mlp_plots.prediction_figure(info.y_test, v.y_test_pred), "mlp.prediction_chart", c3, snap.run)
