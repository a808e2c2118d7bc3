"""Live views of the MLP playground: chart options, the data before a run, and a run's curves, decision
boundary, confusion matrix or predictions, and downloads."""

from __future__ import annotations

import streamlit as st

from playground.export import config_json, weights_bytes
from playground.jobs import Snapshot
from playground.mlp import plots as mlp_plots
from playground.mlp.config import MLPRunConfig
from playground.mlp.data import DataError, make_dataset
from playground.mlp.views import MLPRunInfo
from playground.ui import live, mlp_health, session, widgets
from playground.ui.charts import chart
from playground.ui.text import cut, literal

PAGE = "mlp"

CHART_OPTIONS = {"mlp.smoothing": 0.6, "mlp.log_y": False, "mlp.discretize": False,
                 "mlp.health": False}  # widget key -> default
AXIS_NAME_CHARS = 30  # characters of a column name in an axis title, before " (standardised)"
SAVED_OPTIONS = "mlp.saved_chart_options"  # not a widget key: kept while the user is on another page


def chart_options() -> None:
    """How the charts draw, read by the live panel from session state. Outside the panel: a change redraws the
    page, and the refreshes while training do not send these widgets again. Kept across page switches (Streamlit
    forgets the state of a widget it did not draw)."""
    saved = st.session_state.setdefault(SAVED_OPTIONS, dict(CHART_OPTIONS))
    if session.entering(PAGE):  # as the form does (see session.entering)
        st.session_state.update(saved)
    row = st.container(horizontal=True, gap="medium", vertical_alignment="bottom")  # wraps rather than cuts labels
    row.slider("Smoothing", 0.0, 0.99, step=0.01, key="mlp.smoothing", help="TensorBoard-style moving average.",
               width=200)
    row.toggle("Log loss axis", key="mlp.log_y")
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
                                    task=d.task, class_names=d.class_names)
        chart(fig, "mlp.boundary_chart", views[0])


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
    head, curves, views = st.container(), st.columns(2), st.columns(2)
    with head:
        if snap is not None:
            live.progress(snap)
            live.metrics_row(snap)
    opts = {k.removeprefix("mlp."): st.session_state[k] for k in CHART_OPTIONS}
    live.curve_charts(snap, PAGE, curves, smoothing=opts["smoothing"], log_y=opts["log_y"])
    if snap is None:
        preview(config, views)
        return
    info: MLPRunInfo | None = snap.started.info if snap.started else None
    run_views(snap, info, views, opts["discretize"])
    if opts["health"]:
        mlp_health.draw(snap)
    for note in info.notes if info else ():
        st.caption(literal(note))
    if not snap.active and snap.state is not None:
        r = widgets.row()
        r.download_button("Download weights (.safetensors)", weights_bytes(snap.state, snap.config),
                          file_name="mlp.safetensors", key="mlp.dl_weights")
        r.download_button("Download config (.json)", config_json(snap.config), file_name="mlp-config.json",
                          key="mlp.dl_config")




def run_views(snap: Snapshot, info: MLPRunInfo | None, places: list, discretize: bool) -> None:
    """The decision boundary (two-feature datasets) and the confusion matrix or the predictions of a run."""
    (c1, c2), v = places, snap.views
    if info is not None and info.points is not None:
        pts, grid = info.points, v.grid if v is not None else None
        fig = live.cached("mlp.boundary", (v, pts, discretize), lambda: mlp_plots.boundary_figure(
            grid.x if grid else None, grid.y if grid else None, grid.values if grid else None, pts.x_train,
            pts.y_train, pts.x_test, pts.y_test, task=info.task, class_names=info.class_names, discretize=discretize,
            axis_titles=axis_titles(snap)))
        chart(fig, "mlp.boundary_chart", c1, snap.run)
    elif snap.started is not None:  # before it (queued, set-up, ended there) the number of features is unknown
        c1.caption("The decision boundary is drawn for datasets with two features.")
    if v is not None and v.confusion is not None:
        fig = live.cached("mlp.confusion", (v,), lambda: mlp_plots.confusion_figure(v.confusion, info.class_names))
        chart(fig, "mlp.confusion_chart", c2, snap.run)
    elif v is not None and v.y_test_pred is not None:
        chart(mlp_plots.prediction_figure(info.y_test, v.y_test_pred), "mlp.prediction_chart", c2, snap.run)
