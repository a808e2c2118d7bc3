"""A page's run history (playground.history) in the session: recording runs as they end, the earlier runs' faint
curves on the loss and metric charts, the runs' table with pin, hide, delete and "Load these settings", and the
curves' axis options both pages share.

One `History` per page lives in session state, so it survives page switches and ends with the session. A run is
recorded once, when its end is first drawn or when Train, Restart or Reset replaces it (`keep`, called before the
job controls act on the click).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from playground import kinds
from playground.history import HISTORY_LIMIT, X_AXES, History, RunRecord, describe, differences
from playground.jobs import Snapshot
from playground.plots import MAX_EVAL_POINTS, Ghost
from playground.series import downsample
from playground.ui import session
from playground.ui.text import literal

DIFFERENCE_CHARS = 60  # characters of a ghost's legend name and of a table cell of differing settings


def history(page: str) -> History:
    """This session's history of `page` (made on first use)."""
    key = f"{page}.history"
    if key not in st.session_state:
        st.session_state[key] = History(page, HISTORY_LIMIT)
    return st.session_state[key]


def _shown(page: str) -> Snapshot | None:
    """The snapshot of the run the page's charts show: its job's, or the end of a run the reaper stopped."""
    job = session.current_job(page)
    return job.snapshot() if job else session.reaped_run(page)


def keep(page: str, config: Any) -> None:
    """Before the job controls: record the page's run if it ended, or if the click that started this script run
    (Train, Restart or Reset: their buttons' keys, playground.ui.live.CONTROLS) is about to replace it (a run
    still training is recorded as stopped). Remembers the form's `config`, which earlier runs are compared with
    while no run is shown."""
    st.session_state[f"{page}.history.form"] = config
    replacing = bool(st.session_state.get(f"{page}.train") or st.session_state.get(f"{page}.reset"))
    record(page, _shown(page), replacing)


def record(page: str, snap: Snapshot | None, replacing: bool = False) -> None:
    """Add `snap`'s run to the page's history if it trained and ended (or is being replaced) and is not in it."""
    if snap is None or snap.started is None or (snap.active and not replacing):
        return
    h = history(page)
    if h.recorded(snap.run):
        return
    dropped = h.add(RunRecord.from_snapshot(snap, page, status="stopped" if snap.active else snap.status))
    st.session_state[f"{page}.history.pick"] = h.records[-1].number  # before the picker is drawn: the newest
    if dropped is not None:  # said until the history changes again
        st.session_state[f"{page}.history.dropped"] = (h.version, f"Run {dropped.number} left the history (the "
                                                                  f"oldest unpinned of the last {h.limit}).")


def reference(page: str, snap: Snapshot | None) -> Any:
    """The config earlier runs are compared with: the shown run's, else the form's (None when invalid)."""
    return snap.config if snap is not None else st.session_state.get(f"{page}.history.form")


def differing(rec: RunRecord, ref: Any) -> str:
    """The settings in which run `rec` differs from `ref` ("learning rate 0.03 → 0.3"); "" with nothing to compare
    with, or for a config of another playground (never in a page's own history)."""
    if ref is None:
        return ""
    try:
        return describe(differences(rec.config, ref), DIFFERENCE_CHARS)
    except ValueError:
        return "another playground's run"


def ghost_name(rec: RunRecord, ref: Any) -> str:
    """A ghost's legend name: "run 2: learning rate 0.03 → 0.3" (from this run's setting to the shown run's)."""
    text = differing(rec, ref)
    return f"run {rec.number}: {text}" if text else f"run {rec.number}"


def ghosts(page: str, snap: Snapshot | None, axis: str) -> tuple[list[Ghost], list[Ghost]]:
    """The faint curves of the page's earlier runs: (held-out loss, held-out metric) per run, against `axis`.

    Left out: hidden runs, the shown run itself, runs that cannot be drawn against `axis`, and, once a run is
    shown, runs whose metric is another (a regression's R² beside a classifier's accuracy would say nothing).
    Kept between the live refreshes until the history, the shown run, its config or the axis change."""
    h, ref = history(page), reference(page, snap)
    current = snap.run if snap is not None else None
    deps, memo = (h.version, current, axis), f"{page}.history.ghosts"
    hit = st.session_state.get(memo)
    if hit is not None and hit[0] == deps and hit[1] is ref:
        return hit[2]
    metric = snap.started.metric.label if snap is not None and snap.started else None
    out = _ghosts(h, ref, current, metric, axis)
    st.session_state[memo] = (deps, ref, out)
    return out


def _ghosts(h: History, ref: Any, current: int | None, metric: str | None, axis: str
            ) -> tuple[list[Ghost], list[Ghost]]:
    loss, scores = [], []
    for rec in h.records:
        if rec.hidden or rec.run == current or not rec.curves.has_axis(axis) or len(rec.curves.eval_step) == 0:
            continue
        if metric is not None and rec.metric_label != metric:
            continue
        name, x = ghost_name(rec, ref), rec.curves.eval_x(axis)
        # bounded here, once, not in every live refresh's figure
        (lx, ly), (mx, my) = (downsample(x, y, MAX_EVAL_POINTS) for y in (rec.curves.test_loss, rec.curves.test_metric))
        loss.append(Ghost(name, lx, ly, rec.number))
        scores.append(Ghost(name, mx, my, rec.number))
    return loss, scores


def axis_options(where: Any, prefix: str, epochs: bool = True) -> None:
    """The curves' x axis (step, epoch or wall time; no epoch for a page whose runs count steps only) and the
    log x toggle, drawn in `where` under the keys `prefix` + "x_axis" and `prefix` + "log_x"."""
    choices = [a for a in X_AXES if epochs or a != "epoch"]
    where.radio("x axis", choices, key=prefix + "x_axis", horizontal=True,
                help="Count the loss and metric curves in optimizer steps, epochs (passes over the training "
                     "data) or wall-clock seconds from the start of training (pauses included)."
                     + ("" if epochs else " These runs draw a fresh batch at every step: they have no epochs."))
    where.toggle("Log x axis", key=prefix + "log_x", help="An evaluation at step 0 (the untrained model) is not "
                 "drawn on a log axis.")


def _table(h: History, ref: Any, current: int | None) -> pd.DataFrame:
    rows = []
    for rec in reversed(h.records):  # newest first
        f = rec.final
        rows.append({"run": rec.number, "status": rec.status,
                     "settings that differ": "(the run shown)" if rec.run == current else differing(rec, ref),
                     f"{rec.held_out} {rec.metric_label}": f.get("test_metric"),
                     f"{rec.held_out} loss": f.get("test_loss"), f"train {rec.metric_label}": f.get("train_metric"),
                     "time (s)": round(rec.elapsed_s, 1), "steps": rec.steps, "pinned": rec.pinned,
                     "on the charts": not rec.hidden})
    return pd.DataFrame(rows)


COLUMNS = {"run": st.column_config.NumberColumn(width="small"),
           "settings that differ": st.column_config.TextColumn(width="medium")}


def panel(page: str, load: Callable[[Any], None]) -> None:
    """The run history under the charts: the limit, the table, and pin, hide, delete and "Load these settings"
    for a chosen run. `load(config)` shows a config in the page's form (called from a button's callback, before
    the form is drawn in the rerun)."""
    snap = _shown(page)
    record(page, snap)  # a run that ended in this script run (Stop) or while the page was not drawn
    h = history(page)
    st.subheader("Run history")
    st.caption(f"This session keeps the last {h.limit} runs of this page (pinned runs stay); they end with the "
               "session. Earlier runs are drawn faintly on the loss and metric charts (held-out split), named by "
               "the settings in which they differ from the run shown.")
    for key in (f"{page}.history.note", f"{page}.history.error"):
        if note := st.session_state.pop(key, None):
            (st.error if key.endswith("error") else st.info)(literal(note))
    dropped = st.session_state.get(f"{page}.history.dropped")
    if dropped is not None and dropped[0] == h.version:
        st.info(literal(dropped[1]))
    if not h.records:
        st.caption("No run has ended yet.")
        return
    if (drop := h.next_drop()) is not None:
        st.warning(f"The history is full: the next run drops run {drop.number} (the oldest unpinned one). Pin it "
                   "to keep it.", icon=":material/history:")
    current = snap.run if snap is not None else None
    frame = _table(h, reference(page, snap), current)
    numbers = {c: st.column_config.NumberColumn(format="%.3f") for c in frame.columns[3:6]}  # metrics and loss
    st.dataframe(frame, hide_index=True, key=f"{page}.history.table", column_config={**COLUMNS, **numbers})
    _actions(page, h, current, load)


def _actions(page: str, h: History, current: int | None, load: Callable[[Any], None]) -> None:
    """A run picker and the buttons that act on the picked run."""
    numbers = [r.number for r in reversed(h.records)]
    if st.session_state.get(f"{page}.history.pick") not in numbers:
        st.session_state[f"{page}.history.pick"] = numbers[0]
    row = st.container(horizontal=True, gap="small", vertical_alignment="bottom")
    number = row.selectbox("Run", numbers, key=f"{page}.history.pick", format_func=lambda n: f"run {n}", width=140)
    rec = h.find(number)
    row.button("Unpin" if rec.pinned else "Pin", key=f"{page}.history.pin", icon=":material/keep:",
               on_click=_act, args=(page, "pin", number, not rec.pinned))
    row.button("Show on the charts" if rec.hidden else "Hide from the charts", key=f"{page}.history.hide",
               on_click=_act, args=(page, "hide", number, not rec.hidden))
    row.button("Load these settings", key=f"{page}.history.load", icon=":material/input:",
               on_click=load_settings, args=(page, number, load),
               help="Puts this run's settings in the form; press Train to run them again.")
    shown = rec.run == current
    row.button("Delete", key=f"{page}.history.delete", icon=":material/delete:", disabled=shown,
               on_click=_act, args=(page, "delete", number, current),
               help="The run the charts show cannot be deleted: Reset it first, or train another." if shown else None)


def _act(page: str, action: str, number: int, arg: Any) -> None:
    """A button's callback: pin, hide or delete run `number`; a refusal becomes the panel's error."""
    h = history(page)
    try:
        {"pin": h.pin, "hide": h.hide, "delete": h.delete}[action](number, arg)
    except (ValueError, KeyError) as e:
        st.session_state[f"{page}.history.error"] = str(e).strip("'\"")


def load_settings(page: str, number: int, load: Callable[[Any], None]) -> None:
    """Show run `number`'s config in the form through `load`; refused (the panel's error) for a run of another
    playground or one no longer in the history."""
    try:
        rec = history(page).find(number)
    except KeyError as e:
        st.session_state[f"{page}.history.error"] = str(e).strip("'\"")
        return
    kind = kinds.find(rec.config)
    if kind is None or kind.name != page or rec.kind != page:
        st.session_state[f"{page}.history.error"] = (
            f"Run {number} is from {kind.title if kind else 'another playground'}: its settings cannot be loaded "
            "on this page.")
        return
    load(rec.config)
    st.session_state[f"{page}.history.note"] = f"Run {number}'s settings are in the form: press Train to run them."
