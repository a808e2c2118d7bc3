"""Session accessors: which browser session this is, and its jobs in the process-wide registry.

A job is keyed by "<session id>:<page>", so one session can train on two pages at once and no
session can reach another's job. A reaper thread passes every `REAP_EVERY_S` seconds and stops jobs
whose session has been disconnected for the registry's grace period (a reconnect within it keeps the
job): since absence counts from the last pass that saw the session alive, a job outlives its session
by the grace period give or take one pass.
"""

from __future__ import annotations

import atexit
import threading
import warnings
from typing import Any

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from playground import registry
from playground.jobs import Job, Snapshot
from playground.kinds import KINDS

REAP_EVERY_S = 0.5  # also the precision of the grace period; a pass is one session lookup per job
_reaper_lock = threading.Lock()
_reaper: threading.Thread | None = None
_reaper_stop = threading.Event()


def session_id() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "local"


def job_key(page: str) -> str:
    return f"{session_id()}:{page}"


def _session_alive(key: str) -> bool:
    if not runtime.exists():  # AppTest and bare scripts have no server: nothing disconnects
        return True
    return runtime.get_instance().is_active_session(key.split(":", 1)[0])


def _reap_forever() -> None:
    while not _reaper_stop.wait(REAP_EVERY_S):
        try:
            registry.shared().reap(_session_alive)
        except Exception as e:  # one bad pass must not end reaping for the life of the server
            warnings.warn(f"Reaping jobs failed ({type(e).__name__}: {e}); trying again.", stacklevel=1)


@atexit.register  # after the registry's and the jobs' handlers, so it runs before them
def stop_reaper(timeout: float = 10.0) -> None:
    """Stop the reaper thread and wait for it (a pass may be joining reaped jobs, then freeing their memory).

    It is a daemon thread, and a reaped job's memory is freed through torch (garbage collection of its tensors,
    `registry.release_memory`): a daemon thread still inside torch when the interpreter finalises aborts the
    server ("terminate called without an active exception") instead of a clean exit."""
    _reaper_stop.set()
    if _reaper is not None:
        _reaper.join(timeout)


def ensure_reaper() -> None:
    """Start the process-wide reaper thread once; `stop_reaper` ends it at interpreter exit."""
    global _reaper
    with _reaper_lock:
        if _reaper is None and runtime.exists():
            _reaper = threading.Thread(target=_reap_forever, name="playground-reaper", daemon=True)
            _reaper.start()


def current_job(page: str) -> Job | None:
    ensure_reaper()
    return registry.shared().get(job_key(page))


def start_job(page: str, config: Any, **kwargs: Any) -> Job:
    ensure_reaper()
    return registry.shared().start(job_key(page), config, **kwargs)


def reaped_run(page: str) -> Snapshot | None:
    """The end of this session's run on `page` that the reaper stopped while the connection was lost, if kept."""
    return registry.shared().reaped(job_key(page))


def reset_job(page: str) -> None:
    registry.shared().discard(job_key(page))


PAGE, PREVIOUS_PAGE = "nav.page", "nav.previous_page"  # url paths of this full run's page and the run's before


def note_page(page: str) -> None:
    """Record the page this full run draws (app.py calls it before the page runs); see `entering`."""
    st.session_state[PREVIOUS_PAGE] = st.session_state.get(PAGE)
    st.session_state[PAGE] = page


def entering(page: str) -> bool:
    """True on the first run of `page` after another page (or the session's first run): the run in which a
    page must give back widgets it draws only sometimes (a CSV's target) the values it keeps for them.
    Streamlit drops a widget's state when it is not drawn, and for a key that was set before its widget was
    first drawn, it brings back that early value instead."""
    return st.session_state.get(PREVIOUS_PAGE) != page


def init_state(key: str, value: Any) -> None:
    """Give a widget key its value when the widget has none (first visit, or after a page switch)."""
    if key not in st.session_state:
        st.session_state[key] = value


def sidebar_badge() -> None:
    """A line in the sidebar per page whose job exists, with its status (and, once it ended, its steps).

    Drawn by full runs only (a live fragment cannot write to the sidebar), so a running job's step count,
    which would stand still here, is left to the page's progress bar.
    """
    for kind in KINDS:
        job = registry.shared().get(job_key(kind.name))
        if job is not None:
            snap = job.snapshot()
            steps = "" if snap.active else f" · step {snap.step:,}/{snap.total_steps:,}"
            st.sidebar.caption(f"{kind.short} job: **{snap.status}**{steps}")


# Presenter mode: readable from the back of a room. Streamlit sizes text in rem, so scaling the root
# font scales the whole page.
PRESENTER_CSS = "<style>html { font-size: 21px; } [data-testid='stSidebar'] { font-size: 18px; }</style>"


def presenter_toggle() -> None:
    """The sidebar switch for presenter mode; `?presenter=1` in the URL turns it on."""
    if "presenter" not in st.session_state:
        st.session_state["presenter"] = st.query_params.get("presenter", "").lower() in ("1", "true", "yes")
    st.sidebar.toggle("Presenter mode", key="presenter",
                      help="Larger text and charts, advanced controls hidden, presets as a lesson list.")
    if st.session_state["presenter"]:
        st.html(PRESENTER_CSS)


def presenter() -> bool:
    return bool(st.session_state.get("presenter"))


def chart_height(base: int) -> int:
    return int(base * 1.4) if presenter() else base
