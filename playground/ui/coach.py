"""The coach's banner: what the coach finds in a page's finished run (playground.coach), each finding with a
button that loads its fix into the page's form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from playground import coach
from playground.ui import live, session
from playground.ui.text import literal


def banner(page: str, load: Callable[[Any], None], current: Any) -> None:
    """Under the job controls, once the page's run has ended: one warning per diagnosis, with a button whose
    callback calls `load(fixed_config)` before the form is drawn (a callback runs before the rerun). Drawn outside
    the live panel, so the click reruns the whole page and the form shows the fix. A diverged run's message is
    already in the progress bar (playground.ui.live.progress): only its fix is offered here. Once the form holds a
    diagnosis's fix (`current`, the form's config), its banner gives way to a line saying so."""
    job = session.current_job(page)
    snap = job.snapshot() if job else session.reaped_run(page)
    if snap is None or snap.active:
        return
    found = live.cached(f"{page}.coach", (snap.run, len(snap.evals), snap.status),
                        lambda: coach.diagnose(coach.RunHistory.from_snapshot(snap)))
    for d in found:
        if d.fix is not None and d.fix == current:
            st.caption(f"The coach's fix is in the settings ({literal(d.fix_label.lower())}): press Train to try it.")
            continue
        if d.kind != "diverged":
            st.warning(f"**Coach:** {literal(d.message)}", icon=":material/school:")
        if d.fix is not None:
            st.button(d.fix_label, key=f"{page}.coach_fix.{d.kind}", on_click=load, args=(d.fix,),
                      icon=":material/build:", help="Loads these settings into the form; press Train to try them.")
