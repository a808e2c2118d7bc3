"""Job controls and live panels shared by the pages.

The live panel is a fragment that reruns every UPDATE_S seconds while its job trains, every
QUEUED_UPDATE_S while it waits in the server's queue or takes turns with other runs, and never when idle; it
reads one `Snapshot` per run and draws it. When the job leaves the queue or ends it triggers one full rerun so
buttons and the rest of the page show the new state. Under load each refresh backs off (`_back_off`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import streamlit as st

from playground import plots, registry, steering
from playground.events import ACCURACY
from playground.history import X_TITLES, Curves
from playground.jobs import Job, Snapshot
from playground.turns import Share, TurnQueue
from playground.ui import run_history, session, steer
from playground.ui.charts import chart
from playground.ui.text import literal
from playground.ui.widgets import row

UPDATE_S = 0.4  # live refresh period while a job runs (at least twice a second)
QUEUED_UPDATE_S = 1.0  # while the job waits in the queue: only its place changes
MAX_BACK_OFF_S = 1.0  # the longest a loaded refresh waits before the next one (see _back_off)
FIRST_EVALUATION_WAIT_S = 0.5  # after Train, how long the run may wait for the first points (usually ~20 ms)
CONTROLS = ("train", "pause", "step", "stop", "reset")
LIMIT_MARGIN = 1.25  # the time limit replaces the ETA past this ratio of ETA to time left; below its inverse, back
LOSS_POINTS = 300  # per-step losses drawn; each live redraw re-renders every point in the browser
STATUS_ICON = {  # Material icons: they render without emoji fonts (headless browsers, bare Linux desktops)
    "queued": ":material/schedule:", "starting": ":material/hourglass_top:", "running": ":material/directions_run:",
    "paused": ":material/pause_circle:", "waiting": ":material/schedule:", "completed": ":material/check_circle:",
    "stopped": ":material/stop_circle:",
    "diverged": ":material/warning:", "failed": ":material/error:",
}


def _apply_click(page: str, config: Any, start_kwargs: dict) -> Job | None:
    """Carry out the control clicked to trigger this run, before the controls are drawn.

    A clicked button's key is True in session state for the run the click starts, so acting here lets the
    buttons, progress and charts drawn below show the new state in the same run (no second rerun).
    Returns the page's job after the click.
    """
    clicked = {name for name in CONTROLS if st.session_state.get(f"{page}.{name}")}
    job = session.current_job(page)
    if "train" in clicked and config is not None:
        job = session.start_job(page, config, **start_kwargs)
        job.wait_first_evaluation(FIRST_EVALUATION_WAIT_S)  # so this run already draws the first points
    elif job is None:
        if "reset" in clicked:
            session.reset_job(page)  # the end of a reaped run
        return None
    elif "pause" in clicked:
        job.resume() if job.control.paused else job.pause()  # paused also while a Step waits for a place
    elif "step" in clicked:
        job.step()
    elif "stop" in clicked:
        job.stop(join_timeout=2.0)
    elif "reset" in clicked:
        session.reset_job(page)
        return None
    return job


def job_controls(page: str, config: Any, problems: tuple[str, ...] = (), **start_kwargs: Any) -> None:
    """Train / Pause-Resume / Step / Stop / Reset, enabled from the job's status."""
    job = _apply_click(page, config, start_kwargs)
    snap = job.snapshot() if job else session.reaped_run(page)
    active = bool(snap and snap.active)
    paused = bool(snap and snap.active and (job.control.paused if job else snap.status == "paused"))
    queued = bool(snap and snap.status == "queued")  # nothing to pause or step until it trains
    buttons = row()
    # No help= on these buttons: the cursor rests on a button after its click, and its tooltip then sat over
    # the page title until the mouse moved. What Step and Reset do is said in the caption below instead.
    buttons.button("Restart" if active else "Train", type="primary", disabled=config is None,
                   key=f"{page}.train", icon=":material/play_arrow:")
    buttons.button("Resume" if paused else "Pause", disabled=not active or queued, key=f"{page}.pause")
    buttons.button("Step", disabled=not active or queued, key=f"{page}.step")
    buttons.button("Stop", disabled=not active, key=f"{page}.stop")
    buttons.button("Reset", disabled=snap is None, key=f"{page}.reset")
    for p in problems:
        st.warning(literal(p))
    limits = registry.shared().limits
    st.caption(f"Step pauses and takes one optimizer step; Reset stops and clears the charts. This server trains "
               f"{limits.describe()}, in about {limits.max_memory_mb:,} MB of memory each.")
    if job is not None and active and config is not None and (taken := steer.steer(job, config)):
        st.caption(f"Changed the running job's {', '.join(taken)}; marked on the loss chart when it applies.")
    if job is not None and config is not None and not job.trains(config, **start_kwargs):
        st.caption("Other settings changed: they apply when you press Restart." if active else
                   "Settings changed since this run: the charts show that run until you press Train.")


def time_phrase(eta_s: float | None, limit_s_left: float | None, limit_shown: bool | None) -> tuple[str, bool | None]:
    """The progress text's time part and whether it names the time limit, from the ETA, the time limit's seconds
    left and the last choice (None: no choice yet for this run).

    With hysteresis, as a busy server's rate (and so the ETA) swings by tens of percent between refreshes: the
    limit replaces the ETA once the ETA is over LIMIT_MARGIN times the time left and stays until it is under
    1 / LIMIT_MARGIN times; a first choice compares them as they are. No ETA (paused): no text, the choice kept.
    """
    if eta_s is None:
        return "", limit_shown
    if limit_s_left is None:
        return f"ETA {eta_s:,.0f} s", False
    over = {None: 1.0, False: LIMIT_MARGIN, True: 1 / LIMIT_MARGIN}[limit_shown]
    if eta_s > over * limit_s_left:
        return f"stops at this server's time limit in {limit_s_left:,.0f} s", True  # before the end
    return f"ETA {eta_s:,.0f} s", False


def wait_phrase(wait_s: float | None) -> str:
    """", about 40 s" for a queue wait estimate (RunQueue.wait_s); nothing when unknown."""
    return "" if wait_s is None else f", about {wait_s:,.0f} s"


def pause_note(status: str, training: int, waiting: int, places: int, turns: bool = False) -> str | None:
    """What a pause does to the job's training place, said only where it matters: other runs wait for a place,
    or every place is taken (so Resume waits for one). `turns`: the server's runs take turns
    (playground.turns)."""
    if status == "paused" and (waiting or training >= places) and turns:
        return ("Paused: your run leaves the turns and the other runs train in its time; Resume (or Step) puts it "
                "back in line for a turn, keeping what it has learnt.")
    if status == "paused" and (waiting or training >= places):
        return ("Paused: your training place goes to the next run in the queue; Resume (or Step) takes the next "
                "place that frees up, ahead of the runs that have not started.")
    return None


def _time_part(snap: Snapshot) -> str:
    """`time_phrase` with the last choice for this run kept in session state; while the run shares the server by
    turns, in wall seconds (its training seconds times the share's slowdown)."""
    last = st.session_state.get("live.limit_shown")
    slowdown = snap.share.slowdown if snap.share else 1.0
    eta, left = (None if t is None else t * slowdown for t in (snap.eta_s, snap.limit_s_left))
    text, shown = time_phrase(eta, left, last[1] if last and last[0] == snap.run else None)
    st.session_state["live.limit_shown"] = (snap.run, shown)
    return text


def progress(snap: Snapshot) -> None:
    """A progress bar with epoch, steps per second, ETA and device; the message of a failed run; while runs take
    turns, how this one shares the server."""
    total = max(snap.total_steps, 1)
    device = snap.started.device if snap.started else "…"
    cap = registry.shared().queue.max_running
    if snap.status == "queued":
        st.progress(0.0, text=f"{STATUS_ICON['queued']} queued, position {snap.queue_position}"
                              f"{wait_phrase(snap.queue_wait_s)}: {queued_phrase(snap.share, cap)}")
        return
    status = snap.status
    if snap.started is None and not snap.active:  # ended in the queue or in its set-up: no step, rate or device
        st.progress(0.0, text=f"{STATUS_ICON.get(status, '')} {status} before it started training")
        _end_messages(snap)
        return
    if status == "waiting":
        status = f"waiting for a training place, position {snap.queue_position}{wait_phrase(snap.queue_wait_s)}"
    parts = [f"{STATUS_ICON.get(snap.status, '')} {status}", f"step {snap.step:,}/{snap.total_steps:,}"]
    if snap.epoch is not None and snap.started and snap.started.steps_per_epoch:  # a run counted in epochs
        epochs = snap.started.epochs or snap.total_steps // snap.started.steps_per_epoch
        parts.append(f"epoch {snap.epoch}/{epochs}")
    if snap.status not in ("paused", "waiting"):  # while paused (or stepping one at a time) a rate says nothing
        parts.append(f"{snap.steps_per_second:,.0f} steps/s")
    parts += [p for p in [_time_part(snap), f"device {device}"] if p]
    st.progress(min(snap.step / total, 1.0), text=" · ".join(parts))
    if snap.started is not None and snap.started.validation:  # which split early stopping decides on
        st.caption(f"Early stopping watches the validation loss on {snap.started.validation}.")
    _end_messages(snap)
    queue = registry.shared().queue
    note = pause_note(snap.status, *queue.counts(), cap, turns=isinstance(queue, TurnQueue))
    if note or snap.share:
        st.caption(note or snap.share.describe())


def queued_phrase(share: Share | None, places: int) -> str:
    """Why a queued run waits and what comes next: for memory, for its first turn, or for a place."""
    if share is not None and not share.in_memory:
        return share.describe()
    if share is not None:
        return f"its first turn comes soon ({share.runs} runs take turns of {share.turn_s:g} s at this server)."
    return f"training starts by itself when a place frees up (this server trains {places} job{'s' * (places != 1)} " \
           "at a time)."


def _end_messages(snap: Snapshot) -> None:
    """Under the progress bar: why the run diverged or failed, or any other message it ended with."""
    if snap.status == "diverged":
        st.error(literal(snap.message), icon=STATUS_ICON["diverged"])  # the message says it diverged, and why
    elif snap.status == "failed":
        st.error(f"**The run failed.** {literal(snap.message)}")
    elif getattr(snap.end, "stopped_early", False):  # early stopping ended it: done, not a problem
        st.info(literal(snap.message), icon=":material/flag:")
    elif snap.message:
        st.warning(literal(snap.message))


def live_panel(page: str, draw: Callable[[Snapshot | None], None], animate: Callable[[], bool] = lambda: False
               ) -> None:
    """Draw the page's job with `draw`, refreshing while it is active.

    The refresh period is UPDATE_S while the job trains and QUEUED_UPDATE_S while it waits in the queue;
    when the job leaves the queue or ends, one full rerun redraws the page and sets the new period.
    Each refresh backs off under load (see `_back_off`). While `animate()` (a replay playing) it refreshes every
    UPDATE_S also when the job is idle.
    """
    job = session.current_job(page)
    kept = None if job else session.reaped_run(page)  # a run stopped while the connection was lost
    every = refresh_period(job.snapshot() if job else None) or (UPDATE_S if animate() else None)

    @st.fragment(run_every=every)
    def panel() -> None:
        t0 = time.perf_counter()
        snap = job.snapshot() if job else kept
        if snap is not None and snap.status == "queued":
            progress(snap)  # nothing else to draw until it trains
        else:
            draw(snap)
        if (refresh_period(snap) or (UPDATE_S if animate() else None)) != every:  # left the queue, ended, replay
            st.rerun()  # once: the whole page shows the new state, and the refresh period follows it
        if every is not None:
            _back_off(time.perf_counter() - t0)

    panel()


def refresh_period(snap: Snapshot | None) -> float | None:
    """Seconds between live refreshes for a job in this state; None (no refresh) when there is nothing to
    follow."""
    if snap is None or not snap.active:
        return None
    # While runs take turns, a run trains a turn in every few: refreshing it as often as a run that trains all the
    # time would cost the server a refresh per session per UPDATE_S mostly to redraw the same points.
    return QUEUED_UPDATE_S if snap.status == "queued" or snap.share else UPDATE_S


def _back_off(run_s: float) -> None:
    """Keep a session's live refresh to at most a quarter of its wall time when the server is loaded.

    The browser asks for a refresh every `run_every` seconds whether or not the last one has finished, and
    Streamlit queues the request behind the running one; when one refresh takes longer than the period
    (many sessions, few cores), every session's script thread would refresh back to back, and the server's
    event loop, which sends the updates, would wait for the GIL behind all of them. A refresh that took
    `run_s` seconds (wall time, so waiting for the GIL counts) holds the script thread for up to
    3 * `run_s` more, at most MAX_BACK_OFF_S, in which the pending requests fold into one. Sleeping holds no
    lock and no GIL; an unloaded refresh (tens of ms) never sleeps.
    """
    if 4 * run_s > UPDATE_S:
        time.sleep(min(3 * run_s, MAX_BACK_OFF_S))


def metrics_row(snap: Snapshot) -> None:
    """The latest evaluation as st.metric tiles: held-out and train metric, held-out loss, parameters.

    Tiles name the metric by its last word ("Validation accuracy"); a longer name ("next-char accuracy") is in
    the tile's help, as the four tiles share a row of about 600 pixels (they wrap onto a second line rather than
    cut their text, but a long label would push them there at ordinary widths)."""
    if not snap.evals or snap.started is None:
        return
    last, metric, held_out = snap.evals[-1], snap.started.metric.label, snap.started.held_out.capitalize()
    short = metric.split()[-1]

    def about(split: str) -> str | None:
        return f"{metric.capitalize()} on the {split} split." if short != metric else None

    tiles = row()
    tiles.metric(f"{held_out} {short}", f"{last.test_metric:.3f}", help=about(held_out.lower()), width="content")
    tiles.metric(f"Train {short}", f"{last.train_metric:.3f}", help=about("training"), width="content")
    tiles.metric(f"{held_out} loss", f"{last.test_loss:.4f}", width="content")
    tiles.metric("Parameters", f"{snap.started.n_params:,}", width="content")


def curve_charts(snap: Snapshot | None, page: str, columns: list, *, smoothing: float = 0.0, log_y: bool = False,
                 height: int = 320, eval_label: str = "epoch", x_axis: str = "step", log_x: bool = False) -> None:
    """Loss (per step and per evaluation) and metric charts in `columns` (two of `st.columns`), with stable
    keys; empty charts for no run yet, and a note in a chart with nothing to draw for a run (not yet, or the run
    ended before). The legends name the held-out split as the run does ("test", "validation").
    `x_axis` (playground.history.X_AXES: step, epoch, wall time; a run without epochs falls back to step) and
    `log_x` set the x axis; the page's earlier runs are drawn faintly under the curves (ui.run_history.ghosts).

    Pages draw these in the same place before a run and during it, so the charts drawn before Train are
    the ones that show the first points (see playground.ui.charts: a chart keeps its plot where it stays).
    """
    empty = np.array([])
    curves = Curves.from_snapshot(snap, LOSS_POINTS) if snap else None
    axis = x_axis if curves is None or curves.has_axis(x_axis) else "step"
    series = (lambda name: getattr(curves, name)) if curves else (lambda _: empty)
    kind, held_out = (snap.started.metric.kind, snap.started.held_out) if snap and snap.started else (ACCURACY, "test")
    ev_x = curves.eval_x(axis) if curves else empty
    x, y = (curves.step_x(axis), curves.loss) if curves else (empty, empty)
    height = session.chart_height(height)
    run = snap.run if snap else ""
    empty_loss = empty_metric = plots.EMPTY_MESSAGE
    if snap and snap.started:
        empty_loss = "No step yet" if snap.active else "The run ended before any loss was recorded"
        empty_metric = "No evaluation yet" if snap.active else "The run ended before its first evaluation"
    loss_ghosts, metric_ghosts = run_history.ghosts(page, snap, axis)
    axes = {"x_title": X_TITLES[axis], "log_x": log_x}
    loss = plots.loss_figure(x, y, ev_x, series("train_loss"), series("test_loss"), smoothing=smoothing,
                             log_y=log_y, height=height, eval_label=eval_label, held_out=held_out,
                             empty_message=empty_loss, ghosts=loss_ghosts, **axes)
    if snap is not None and snap.changes and curves is not None:  # where a setting changed while it trained
        at = curves.x_at(axis, [c.step for c in snap.changes], snap.seconds_at)
        plots.mark_changes(loss, [(x_c, steering.describe(c)) for x_c, c in zip(at, snap.changes, strict=True)])
    chart(loss, f"{page}.loss_chart", columns[0], run)
    chart(plots.metric_figure(ev_x, series("train_metric"), series("test_metric"),
                              kind=kind, height=height, ghosts=metric_ghosts,
                              empty_message=empty_metric, held_out=held_out, **axes),
          f"{page}.metric_chart", columns[1], run)


def _same(a: object, b: object) -> bool:
    """Identity for data (arrays, dicts of views), equality for plain settings (ints, strings, flags)."""
    return a is b or (isinstance(a, (bool, int, float, str)) and type(a) is type(b) and a == b)


def cached(name: str, deps: tuple, build: Callable[[], Any]) -> Any:
    """`build()` again only when one of `deps` changed, else the last result (kept in session state).

    The live fragment reruns a few times a second, but views change only at evaluations: rebuilding an
    unchanged figure there costs the training thread the GIL for nothing.
    """
    hit = st.session_state.get(f"cache.{name}")
    if hit is not None and len(hit[0]) == len(deps) and all(_same(a, b) for a, b in zip(hit[0], deps, strict=True)):
        return hit[1]
    value = build()
    st.session_state[f"cache.{name}"] = (deps, value)
    return value
