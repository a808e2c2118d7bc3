"""The MLP page's sweep: pick one setting and 2 to 8 of its values, train every variant of the form's setup in one
job, and watch them together: each variant's curves in one colour, its decision boundary beside the others', and
the final test metric against the value (playground.sweep, playground.mlp.sweep, playground.sweep_plots)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from playground import registry
from playground import sweep as sweeps
from playground.jobs import Job, Snapshot
from playground.mlp import plots as mlp_plots
from playground.mlp.config import MLPRunConfig
from playground.mlp.sweep import SETTINGS
from playground.sweep import MAX_VALUES, MIN_VALUES, Sweep, SweepInfo, SweepRunLog, VariantState
from playground.sweep_plots import curves_figure, summary_figure
from playground.ui import live, session, widgets
from playground.ui.charts import chart
from playground.ui.text import literal

PAGE = "mlp.sweep"  # its job's key in the session: a sweep does not replace the page's run
SETTING = "mlp.sweep.setting"
TRAIN, STOP, RESET = "mlp.sweep.train", "mlp.sweep.stop", "mlp.sweep.reset"
BOUNDARIES_PER_ROW = 4
BOUNDARY_HEIGHT = 220
CHART_HEIGHT = 300


def panel(config: MLPRunConfig | None, table: pd.DataFrame | None = None) -> None:
    """The sweep's widgets, buttons and live charts for the form's `config` (None while the form has a problem)."""
    pick = widgets.row()
    setting = pick.selectbox("Setting to sweep", list(SETTINGS), key=SETTING, format_func=lambda n: SETTINGS[n].label)
    spec = SETTINGS[setting]
    values_key = f"mlp.sweep.values.{setting}"
    session.init_state(values_key, list(spec.default))
    chosen = pick.multiselect(f"Values ({MIN_VALUES} to {MAX_VALUES})", spec.choices, key=values_key,
                              max_selections=MAX_VALUES, format_func=spec.show)
    sweep, problem = build(config, setting, chosen, table)
    job = _apply_click(sweep, table)
    _buttons(job, sweep)
    if problem:
        st.warning(literal(problem))
    elif sweep is not None:
        st.caption(how_it_trains(sweep))
    live.live_panel(PAGE, draw)


def build(config: MLPRunConfig | None, setting: str, values: list, table: pd.DataFrame | None = None
          ) -> tuple[Sweep | None, str | None]:
    """(the sweep, None), or (None, what is wrong with it): too few values, a value the config refuses, or a sweep
    over this server's memory budget."""
    if config is None:
        return None, "The settings above have a problem; fix it to train a sweep of them."
    spec = SETTINGS[setting]
    values = sorted(values, key=spec.choices.index)
    if len(values) < MIN_VALUES:
        return None, f"Pick at least {MIN_VALUES} values of {spec.label} to compare."
    try:
        sweep = Sweep(config, setting, tuple(values))
    except ValueError as e:
        return None, str(e)
    refused = sweeps.memory_problem(sweep, registry.shared().limits.max_memory_mb, table)
    return (None, refused) if refused else (sweep, None)


def how_it_trains(sweep: Sweep) -> str:
    n = len(sweep.values)
    if sweep.spec.batched:
        return (f"The {n} models differ only in {sweep.spec.label}, so they train together as one batched model: "
                "each model's curve is the one it would draw alone.")
    return f"The {n} models differ in shape ({sweep.spec.label}), so they train one after another."


def _apply_click(sweep: Sweep | None, table: pd.DataFrame | None) -> Job | None:
    """Carry out the button clicked for this run (as playground.ui.live does); the sweep's job after it."""
    job = session.current_job(PAGE)
    if st.session_state.get(TRAIN) and sweep is not None:
        job = session.start_job(PAGE, sweep, trainer=sweeps.train, log_type=SweepRunLog, table=table)
    elif job is not None and st.session_state.get(STOP):
        job.stop(join_timeout=2.0)
    elif st.session_state.get(RESET):
        session.reset_job(PAGE)
        return None
    return job


def _buttons(job: Job | None, sweep: Sweep | None) -> None:
    active = job is not None and job.snapshot().active
    row = widgets.row()
    row.button("Train sweep", type="primary", disabled=sweep is None, key=TRAIN, icon=":material/play_arrow:")
    row.button("Stop sweep", disabled=not active, key=STOP)
    row.button("Reset sweep", disabled=job is None, key=RESET)


def draw(snap: Snapshot | None) -> None:
    """The sweep's live panel: progress, every variant's curves, their boundaries, the summary and a table."""
    if snap is None:
        st.caption("Each variant is the form's setup with one value of the setting; all train in one job.")
        return
    live.progress(snap)
    info: SweepInfo | None = snap.started.info if snap.started else None
    state = snap.views
    if info is None or state is None or not state.variants:
        return
    variants, metric = state.variants, snap.started.metric
    held_out = f"{snap.started.held_out} {metric.label}"
    curves = st.columns(2)
    chart(curves_figure(info.labels, [v.step_x for v in variants], [v.step_loss for v in variants],
                        y_title="training loss", legend_title=info.label, smoothing=0.6, height=CHART_HEIGHT),
          "mlp.sweep.loss_chart", curves[0], snap.run)
    chart(curves_figure(info.labels, [v.eval_series("step") for v in variants],
                        [v.eval_series("test_metric") for v in variants], y_title=held_out, legend_title=info.label,
                        kind=metric.kind, height=CHART_HEIGHT),
          "mlp.sweep.metric_chart", curves[1], snap.run)
    _boundaries(snap, info, variants)
    finals = [v.last.test_metric if v.last else None for v in variants]
    chart(summary_figure(info.labels, info.values, finals, setting=info.label, kind=metric.kind,
                         metric_label=f"final {held_out}", log_x=info.log_scale, height=CHART_HEIGHT),
          "mlp.sweep.summary_chart", None, snap.run)
    st.dataframe(table(info, variants, held_out), hide_index=True)


def _boundaries(snap: Snapshot, info: SweepInfo, variants: tuple[VariantState, ...]) -> None:
    """Each variant's decision boundary from its latest views (the final one once it ended), side by side."""
    run_info = info.run_info
    if run_info is None or run_info.points is None:
        return
    pts = run_info.points
    for first in range(0, len(variants), BOUNDARIES_PER_ROW):
        columns = st.columns(BOUNDARIES_PER_ROW)
        for k in range(first, min(first + BOUNDARIES_PER_ROW, len(variants))):
            v, place = variants[k], columns[k - first]
            grid = v.views.grid if v.views is not None else None
            fig = live.cached(f"mlp.sweep.boundary.{k}", (v.views, pts), lambda grid=grid: _small_boundary(
                grid, pts, run_info))
            score = f" · {v.last.test_metric:.3f}" if v.last else ""
            place.caption(f"{literal(info.label)} = **{literal(v.label)}** · {v.status}{score}")
            chart(fig, f"mlp.sweep.boundary_chart.{k}", place, snap.run)


def _small_boundary(grid: Any, pts: Any, run_info: Any) -> Any:
    fig = mlp_plots.boundary_figure(grid.x if grid else None, grid.y if grid else None,
                                    grid.values if grid else None, pts.x_train, pts.y_train, pts.x_test, pts.y_test,
                                    task=run_info.task, class_names=run_info.class_names, height=BOUNDARY_HEIGHT)
    fig.layout.showlegend = False
    fig.layout.xaxis.title.text = fig.layout.yaxis.title.text = ""
    return fig


def table(info: SweepInfo, variants: tuple[VariantState, ...], held_out: str) -> pd.DataFrame:
    """One row per variant: its value, status, steps, final losses and held-out metric, and any message."""
    rows = []
    for v in variants:
        last = v.last
        rows.append({info.label: v.label, "status": v.status, "steps": v.steps,
                     "train loss": last.train_loss if last else None, "test loss": last.test_loss if last else None,
                     held_out: last.test_metric if last else None, "message": v.message})
    return pd.DataFrame(rows)
