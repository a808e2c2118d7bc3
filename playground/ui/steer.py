"""Steering widgets both pages share: a running job takes the form's new learning rate, weight decay and batch size
(playground.steering), and the early-stopping settings with the split that decides.

While a run trains or is paused, the form's widgets stay as they are; `steer` sends each steerable setting that
differs from the job's to `Job.set_setting` (which checks it as a new run's settings are) and says what happened.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from playground import steering
from playground.jobs import Job
from playground.ui.text import literal
from playground.ui.widgets import row


def steer(job: Job, config: Any) -> list[str]:
    """Send the steerable settings of `config` (the form's) that differ from the running `job`'s to the job; the
    changes taken, in words ("learning rate 0.01 → 0.1"). A refused change (out of bounds, over the memory budget)
    is shown as a warning and not taken."""
    taken = []
    for name in steering.STEERABLE:
        new, now = getattr(config.training, name), getattr(job.settings.training, name)
        if new == now:
            continue
        try:
            job.set_setting(name, new)
        except ValueError as e:
            st.warning(literal(str(e)))
            continue
        taken.append(f"{steering.LABELS[name]} {now:g} → {new:g}")
    return taken


def when_note(counted_in_epochs: bool) -> str:
    """When a change made while a run trains applies, in words for the form."""
    batch = "the next epoch" if counted_in_epochs else "the next step"
    return (f"While a run trains or is paused, the learning rate and weight decay apply at the next step and the batch "
            f"size at {batch}, each marked on the loss chart; other settings apply when you press Restart.")


def early_stopping_widgets(prefix: str, split: str, metric: str) -> None:
    """Early stopping's widgets under keys `prefix` + field name (patience, restore_best_weights,
    validation_fraction, target_metric), and a note on the split that decides (`split`, in words). `metric` names the
    target's metric ("validation accuracy or R²")."""
    s = st.session_state
    on = bool(s.get(prefix + "patience")) or s.get(prefix + "target_metric") is not None
    r = row()
    r.number_input("Patience", 0, 1000, key=prefix + "patience",
                   help="Early stopping: stop after this many evaluations without a lower validation loss; 0 is off.")
    r.number_input("Target metric", -1.0, 1.0, value=None, step=0.01, key=prefix + "target_metric",
                   placeholder="off", help=f"Stop once the {metric} reaches this; empty is off.")
    # a line each: in a row, a narrow column squeezed the checkbox's label to "…"
    st.slider("Validation fraction", 0.05, 0.5, step=0.05, key=prefix + "validation_fraction", disabled=not on,
              help="The share of the training examples held out to decide when to stop (early stopping only).")
    st.checkbox("Restore best weights", key=prefix + "restore_best_weights", disabled=not on,
                help="When patience stops the run, end with the weights of its best evaluation.")
    if on:
        st.caption(f"Early stopping decides on {split}, never on the test split: choosing when to stop by the "
                   "test split would leak it into the score it reports.")
