"""Replay of an MLP run: the boundary and the network view at any evaluation kept during the run, by a slider
or played as an animation.

The views come from the run's bounded history (`Snapshot.history`: at most runlog.MAX_SNAPSHOTS, thinned
evenly when longer). Playing advances one snapshot per live refresh: the page's live panel keeps refreshing
while `playing()` says so, also after the run ended (see `live.live_panel`'s `animate`).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from playground.jobs import Snapshot
from playground.ui.session import init_state

FOLLOW = "mlp.follow"  # the toggle: show the newest views (on) or replay (off)
SLIDER = "mlp.replay"  # the select slider's key: the step shown while replaying
PLAYING = "mlp.replay_playing"  # (run, position in the history) while the replay plays; absent otherwise


def playing() -> bool:
    """Whether a replay is playing (the live panel then keeps refreshing)."""
    return st.session_state.get(PLAYING) is not None


def following(snap: Snapshot) -> bool:
    """Whether `replay_pick` shows `snap`'s newest views as the run goes on (no replay chosen or playing)."""
    return len(snap.history) < 2 or (st.session_state.get(FOLLOW, True) and not playing())


def _play(run: int) -> None:
    st.session_state[PLAYING] = (run, 0)
    st.session_state[FOLLOW] = False


def _stop() -> None:
    st.session_state.pop(PLAYING, None)


def replay_pick(snap: Snapshot) -> Any:
    """Draw the replay controls (a follow toggle; while replaying, a slider over the kept steps and Play) and
    return the views to show: the newest while following, else those of the chosen step."""
    history = snap.history
    if len(history) < 2:
        _stop()
        return snap.views
    steps = [step for step, _ in history]
    state = st.session_state
    play = state.get(PLAYING)
    if play is not None and (play[0] != snap.run or play[1] >= len(steps)):
        _stop()  # another run, or the last snapshot was shown: the animation ends
        play = None
    row = st.container(horizontal=True, vertical_alignment="bottom", gap="medium")
    init_state(FOLLOW, True)
    follow = row.toggle("Follow training live", key=FOLLOW, on_change=_stop,
                        help="Turn off to replay the boundary and the network view, snapshot by snapshot.")
    if play is None:
        row.button("Play", key="mlp.replay_play", icon=":material/play_arrow:", on_click=_play, args=(snap.run,),
                   help="Replay the run from its first evaluation.")
    else:
        row.button("Stop replay", key="mlp.replay_stop", icon=":material/stop:", on_click=_stop)
    if follow and play is None:
        return snap.views
    if play is not None:
        state[SLIDER] = steps[play[1]]
        state[PLAYING] = (play[0], play[1] + 1)
    elif state.get(SLIDER) not in steps:  # first replay, or the step was thinned from the history
        wanted = state.get(SLIDER, steps[-1])
        state[SLIDER] = min(steps, key=lambda s: abs(s - wanted))
    step = row.select_slider("Replay: step", steps, key=SLIDER, format_func=lambda s: f"{s:,}",
                             disabled=play is not None, width=320)
    return history[steps.index(step)][1]
