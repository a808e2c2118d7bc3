"""Which of a run's frames a chart in this browser session has not been sent yet.

Each live refresh sends a chart the frames captured since the refresh before (`unsent`), and the chart
component plays them until the next one (playground/ui/chart/index.html), so the browser animates at the
frames' own cadence while the page refreshes a few times a second.
"""

from __future__ import annotations

import streamlit as st

from playground.events import FrameCaptured
from playground.jobs import Snapshot

FIRST_S = 1.0  # a chart that joins a run (a new page, a page switch) is sent the last second of frames only


def unsent(snap: Snapshot, key: str) -> tuple[FrameCaptured, ...]:
    """The frames of `snap` the chart `key` has not had in this session, oldest first, and remember them sent.

    Once the run has ended, only frames up to its last views' step: the animation ends on a frame no newer
    than the boundary the figure then shows (a stopped run's frames after its last evaluation are left out).
    """
    name = f"frames.{key}"
    run, last = st.session_state.get(name, (None, 0))
    frames = snap.frames
    if run != snap.run:  # a new run, or this chart joins one
        last = 0
        frames = tuple(f for f in frames if f.seconds >= frames[-1].seconds - FIRST_S) if frames else ()
    new = tuple(f for f in frames if f.index > last)
    if not snap.active:
        final = snap.history[-1][0] if snap.history else 0
        new = tuple(f for f in new if f.step <= final)
    st.session_state[name] = (snap.run, new[-1].index if new else last)
    return new
