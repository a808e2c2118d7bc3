"""What the Transformer trainer sends the page: a run's info once, and the probe's views at evaluations.

Frozen dataclasses of numpy arrays, computed by the trainer in eval mode without gradients; the page
never sees the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AttentionViews:
    """The model on one input (the run's probe, or the user's own)."""

    attention: np.ndarray  # (n_layers, n_heads, T, T) float32: row = query position, column = key position
    prediction: np.ndarray  # (T,) str, the predicted output per position; (1,) for a "classify" task
    probabilities: np.ndarray  # (T,) float32 confidence per position; (C,) class probabilities for "classify"


@dataclass(frozen=True)
class AttentionRunInfo:
    """What the page needs to know about a run's task, model and probe."""

    task: str  # the task's name
    kind: str  # the task's kind: "tag", "classify" or "lm"
    probe_tokens: list[str]  # T display strings: the heatmaps' axes
    probe_targets: list[str]  # the expected output per scored position ("" where unscored); one for "classify"
    n_layers: int
    n_heads: int
    outputs: list[str]  # the output classes, as displayed
    n_held_out: int  # held-out examples scored at each evaluation
    notes: str  # what the metric counts ("" if nothing to add)
