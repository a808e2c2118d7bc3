"""The network view of a table's run (more than two features, so no pictures over a plane): per layer, its weight
matrix and a histogram of its outputs on the test split.

Computed by the MLP runner at evaluation time in `no_grad`, from one forward pass over the test split that keeps
each layer's output. Matrices wider than MAX_MATRIX keep the units with the largest outgoing weight norm (the
output layer: incoming), as the 2-D view does (network.shown_units).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from playground.mlp.network import linears

MAX_MATRIX = 32  # rows and columns of a weight matrix drawn
BINS = 24  # histogram bins of a layer's outputs


@dataclass(frozen=True)
class LayerStats:
    """One layer: the weights into it (shown units only) and the spread of its outputs on the test split."""

    name: str  # "hidden 1", ..., "output"
    weights: np.ndarray  # (k, k_prev) float32, rows this layer's shown units, columns the previous layer's
    n_units: int  # this layer's units (rows before the cut)
    n_inputs: int  # the previous layer's units (columns before the cut)
    counts: np.ndarray  # (BINS,) int64, outputs on the test split (every unit, every row) per bin
    edges: np.ndarray  # (BINS + 1,) float64 bin edges


@dataclass(frozen=True)
class LayersView:
    layers: tuple[LayerStats, ...]


def _top(norms: torch.Tensor) -> torch.Tensor:
    """Indices of the MAX_MATRIX largest norms, ascending (all of them when there are fewer)."""
    if len(norms) <= MAX_MATRIX:
        return torch.arange(len(norms), device=norms.device)
    return torch.topk(norms, MAX_MATRIX).indices.sort().values


@torch.no_grad()
def layers_view(model: nn.Module, x: torch.Tensor) -> LayersView:
    """Each Linear's weights (cut to the top units) and a histogram of its layer's outputs over `x` (n, n_in),
    the hidden layers after their activation, the output as it comes (logits or predictions)."""
    lins = linears(model)
    keep = [_top(lins[0].weight.norm(dim=0))]  # the inputs: by outgoing weights
    for i, lin in enumerate(lins):
        nxt = lins[i + 1].weight.norm(dim=0) if i + 1 < len(lins) else lin.weight.norm(dim=1)
        keep.append(_top(nxt))
    outputs, h = [], x
    for module in model.hidden:
        h = module(h)
        if not isinstance(module, (nn.Linear, nn.Dropout)):
            outputs.append(h)
    outputs.append(model.output(h))
    stats = []
    for i, (lin, out) in enumerate(zip(lins, outputs, strict=True)):
        w = lin.weight[keep[i + 1]][:, keep[i]].float().cpu().numpy()
        values = out.float().cpu().numpy().ravel()
        values = values[np.isfinite(values)]
        counts, edges = np.histogram(values, bins=BINS) if values.size else (np.zeros(BINS, np.int64),
                                                                            np.linspace(0, 1, BINS + 1))
        name = "output" if i == len(lins) - 1 else f"hidden {i + 1}"
        stats.append(LayerStats(name, w, lin.out_features, lin.in_features, counts, edges))
    return LayersView(tuple(stats))
