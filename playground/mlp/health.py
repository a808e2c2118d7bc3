"""Training health of an MLP, per layer, read at each evaluation: the numbers the coach and the health charts use.

For every Linear layer (the hidden ones, then the output layer): the weight matrix's norm, the norm of the last
step's gradient of it, the size of the last update against the weights, a histogram of the weights, and for hidden
layers the share of dead units (ReLU family) and of saturated units (tanh, sigmoid).

Nothing here runs per step except `HealthProbe.keep_before`, a device-side copy of the weights before the last
step of an epoch (the step an evaluation follows), so the update can be measured; everything else is read at the
evaluation from what the step left behind (the gradients stay in `.grad` until the next step's `zero_grad`) and
from the evaluation's own forward pass, and comes to the host in one transfer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

HISTOGRAM_BINS = 24  # bins of each layer's weight histogram
# A unit is saturated on a point when tanh's output is beyond 0.97 in magnitude (its slope is then under 6% of
# its largest) or a sigmoid's beyond 0.03 from 0 or 1 (|2a - 1| > 0.94: a slope under 12% of its largest).
SATURATION_LEVEL = 0.97
SATURATED_POINTS = 0.5  # ... and saturated when that holds on more than this share of the training points
RELU_FAMILY = ("relu", "leaky_relu", "elu")  # a unit is dead when its input is <= 0 on every training point
SATURATING = ("tanh", "sigmoid")
OUTPUT = "output"  # the activation name the output layer is given in `Health.activations`


@dataclass(frozen=True)
class Health:
    """One evaluation's health, per Linear layer of the MLP (hidden layers in order, then the output layer).

    Arrays are (L,) float64 unless said; NaN where a number does not apply to the layer or was not recorded.
    """

    activations: tuple[str, ...]  # each layer's activation name ("relu", ...); OUTPUT for the output layer
    weight_norm: np.ndarray  # Frobenius norm of the weight matrix (biases left out)
    grad_norm: np.ndarray  # Frobenius norm of the last step's gradient of the weight matrix
    update_ratio: np.ndarray  # ||W_after - W_before|| / ||W_after|| of the last step; NaN when not recorded
    dead: np.ndarray  # share of the layer's units dead (ReLU family only)
    saturated: np.ndarray  # share of the layer's units saturated (tanh and sigmoid only)
    hist_counts: np.ndarray  # (L, HISTOGRAM_BINS) weights per bin
    hist_range: np.ndarray  # (L, 2) the histogram's lowest and highest weight; the bins split it evenly

    @property
    def hidden(self) -> int:
        """The number of hidden layers (the last layer is the output)."""
        return len(self.activations) - 1


class HealthProbe:
    """Reads an MLP's `Health`. Built once per run after the model; not thread-safe (the training thread's)."""

    def __init__(self, model: nn.Module, activations: tuple[str, ...]) -> None:
        self.model = model
        self.linears = [m for m in model.hidden if isinstance(m, nn.Linear)] + [model.output]
        self.activations = (*activations, OUTPUT)
        self.before: list[torch.Tensor] | None = None  # the weights before the last recorded step

    def keep_before(self) -> None:
        """Copy the weights (on their device, no host sync) before a step whose update will be measured."""
        self.before = [linear.weight.detach().clone() for linear in self.linears]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """The model's outputs for `x` (N, F) -> (N, C), with each hidden layer's inputs to its activation and
        outputs of it, (N, width) each: the same computation as `MLP.forward`, layer by layer."""
        pre: list[torch.Tensor] = []
        post: list[torch.Tensor] = []
        h = x
        for module in self.model.hidden:
            h = module(h)
            if isinstance(module, nn.Linear):
                pre.append(h)
            elif not isinstance(module, nn.Dropout):
                post.append(h)
        return self.model.output(h), pre, post

    def read(self, pre: list[torch.Tensor], post: list[torch.Tensor], n_train: int) -> Health:
        """Health from the last step and an evaluation's forward pass (`forward` on rows whose first `n_train`
        are the training split). Call under no_grad."""
        nan = torch.tensor(float("nan"), device=self.linears[0].weight.device)
        weights = [linear.weight for linear in self.linears]
        w_norm = torch.stack([torch.linalg.vector_norm(w) for w in weights])
        g_norm = torch.stack([torch.linalg.vector_norm(w.grad) if w.grad is not None else nan for w in weights])
        if self.before is not None:
            ratio = torch.stack([torch.linalg.vector_norm(w - b) for w, b in zip(weights, self.before, strict=True)])
            ratio = ratio / w_norm
        else:
            ratio = torch.full_like(w_norm, float("nan"))
        self.before = None  # a later evaluation without a recorded step says "not recorded", not a stale ratio
        dead, saturated = self._unit_shares(pre, post, n_train, nan)
        counts, ranges = zip(*(_histogram(w) for w in weights), strict=True)
        flat = torch.cat([w_norm, g_norm, ratio, dead, saturated, *ranges, *counts]).double().cpu().numpy()
        n = len(weights)
        cols = [flat[i * n : (i + 1) * n] for i in range(5)]
        return Health(self.activations, *cols, hist_range=flat[5 * n : 7 * n].reshape(n, 2),
                      hist_counts=flat[7 * n :].reshape(n, HISTOGRAM_BINS))

    def _unit_shares(self, pre: list[torch.Tensor], post: list[torch.Tensor], n_train: int,
                     nan: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(L,) shares of dead and of saturated units per layer, NaN where the activation has no such state."""
        dead, saturated = [], []
        for act, z, a in zip(self.activations, pre, post, strict=False):  # hidden layers only
            z, a = z[:n_train], a[:n_train]
            # Only what applies is computed (an evaluation's cost): a max over the points, not `(z > 0).any(0)`,
            # which took ten times as long on CPU here.
            dead.append((z.amax(0) <= 0).float().mean() if act in RELU_FAMILY else nan)
            if act in SATURATING:
                magnitude, level = ((2 * a - 1).abs(), 2 * SATURATION_LEVEL - 1) if act == "sigmoid" else \
                    (a.abs(), SATURATION_LEVEL)
                saturated.append(((magnitude > level).sum(0) > SATURATED_POINTS * n_train).float().mean())
            else:
                saturated.append(nan)
        return torch.stack([*dead, nan]), torch.stack([*saturated, nan])


def _histogram(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(HISTOGRAM_BINS,) counts of `w`'s entries in even bins from its lowest to its highest entry, and (2,)
    those bounds; on the tensor's device, without a host sync (torch.histc needs its bounds as Python numbers)."""
    flat = w.detach().flatten()
    lo, hi = flat.min(), flat.max()
    width = (hi - lo).clamp_min(1e-12)
    index = ((flat - lo) / width * HISTOGRAM_BINS).long().clamp_(0, HISTOGRAM_BINS - 1)
    counts = torch.zeros(HISTOGRAM_BINS, device=w.device).scatter_add_(0, index, torch.ones_like(flat))
    return counts, torch.stack([lo, hi])
