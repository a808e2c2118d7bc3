"""What the Transformer trainer sends the page: a run's info once, and the probe's views at evaluations.

Frozen dataclasses of numpy arrays, computed by the trainer in eval mode without gradients; the page
never sees the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class AttentionViews:
    """The model on one input (the run's probe, or the user's own)."""

    attention: np.ndarray  # (n_layers, n_heads, T, T) float32: row = query position, column = key position
    prediction: np.ndarray  # (T,) str, the predicted output per position; (1,) for a "classify" task
    probabilities: np.ndarray  # (T,) float32 confidence per position; (C,) class probabilities for "classify"
    # The stages of attention (playground.attention.stages), kept small: the raw scores and each head's output.
    scores: np.ndarray | None = None  # (n_layers, n_heads, T, T) float32 Q K^T before scaling and masking
    head_outputs: np.ndarray | None = None  # (n_layers, n_heads, T, d_k) float32 weights @ V
    mask: np.ndarray | None = None  # (T, T) bool, True where a query may attend to a key; None when all may
    distribution: np.ndarray | None = None  # (T, C) float32 output probabilities per position; (C,) for "classify"
    # Head statistics on this input (playground.attention.stages): entropy in nats and each pattern's share.
    patterns: tuple[str, ...] = ()  # pattern names, e.g. ("previous", "self", "first", "mirror")
    entropy: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))  # (n_layers, n_heads)
    shares: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0), np.float32))  # (P, n_layers, n_heads)

    def summary(self) -> dict[str, list[dict[str, float | int]]]:
        """For the command line's --json: {"heads": [{"layer", "head", "entropy", and each pattern's share}]},
        layers and heads counted from 1."""
        heads = []
        for (layer, head), value in np.ndenumerate(self.entropy):
            shares = {name: round(float(self.shares[i, layer, head]), 4) for i, name in enumerate(self.patterns)}
            heads.append({"layer": layer + 1, "head": head + 1, "entropy": round(float(value), 4), **shares})
        return {"heads": heads}


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
    d_model: int = 0  # the model's width (d_k = d_model / n_heads), for the stages' caption
    vocab: tuple[str, ...] = ()  # the input tokens, by id, as written (not as displayed)
    output_tokens: tuple[str, ...] = ()  # the output classes, by id, as written

    def weights_metadata(self) -> dict[str, object]:
        """What exported weights need beside the config to be used (playground.export.weights_bytes): the task,
        its kind, the input vocabulary and the output classes (by id), and how to use them ("usage")."""
        return {"task": self.task, "kind": self.kind, "vocab": list(self.vocab), "outputs": list(self.output_tokens),
                "usage": "Inputs are token ids: each token's index in vocab. The output at each position (one per "
                         "sequence for a classify task) is one logit per entry of outputs, in its order."}
