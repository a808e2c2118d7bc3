"""What the network view draws: each shown neuron's activation over the input plane, and the weights between.

Computed by the MLP runner at evaluation time, in `no_grad`, from the forward pass over the decision
boundary's grid that it already makes: `grid_forward` runs the model layer by layer and keeps, of each
layer's output, only the shown units on a thinned grid (THUMB x THUMB points), so the pass holds no more
memory than a plain forward. As tensorflow/playground draws each neuron as a small picture of what it
computes over the input plane.

Wide layers show the MAX_UNITS units with the largest outgoing weight norm (the output layer: incoming);
when the whole view would pass MAX_THUMBNAILS pictures, every layer shows fewer (at least MIN_UNITS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

MAX_UNITS = 16  # units drawn per layer
MIN_UNITS = 4  # a layer shows at least this many when the view is cut to MAX_THUMBNAILS
MAX_THUMBNAILS = 80  # pictures in one view: past this, every layer shows fewer units (a slow page otherwise)
THUMB = 20  # thumbnail points per axis, taken evenly from the boundary's grid


@dataclass(frozen=True)
class LayerView:
    """One column of the network view: the shown units of one layer."""

    name: str  # "inputs", "hidden 1", ..., "output"
    labels: tuple[str, ...]  # (k,) each shown unit's name: a feature or class name, or "unit <i>" (1-based)
    units: np.ndarray  # (k,) int, indices of the shown units in the layer, ascending
    n_units: int  # all units in the layer; n_units - k are hidden from the view
    images: np.ndarray  # (k, T, T) float16, each unit's output over the thinned grid, rows follow y
    weights: np.ndarray | None  # (k, k_prev) float32 incoming weights from the previous column's units; None: inputs
    bias: np.ndarray | None  # (k,) float32; None for the inputs


@dataclass(frozen=True)
class NetworkView:
    """The network as the view draws it: one LayerView per column, inputs to output."""

    layers: tuple[LayerView, ...]
    x: np.ndarray  # (T,) float32 thumbnail axis coordinates, a subset of the boundary grid's
    y: np.ndarray  # (T,)
    cut: bool  # True when layers show fewer than MAX_UNITS units to keep the view under MAX_THUMBNAILS

    @property
    def hidden_units(self) -> int:
        """Units left out of the view, all layers together."""
        return sum(layer.n_units - len(layer.units) for layer in self.layers)


def unit_scales(images: np.ndarray) -> np.ndarray:
    """(k,) the largest finite |value| of each unit's picture (1 where it is all zeros): each picture spans the
    whole colour scale, so a unit's shape reads at a glance whatever its size (the tooltip and the large view
    give the numbers)."""
    values = np.abs(np.nan_to_num(np.asarray(images, np.float32), nan=0.0, posinf=0.0, neginf=0.0))
    largest = values.reshape(len(values), -1).max(1) if values.size else np.ones(len(values))
    return np.where(largest > 0, largest, 1.0)


def linears(model: nn.Module) -> list[nn.Linear]:
    """The model's Linear layers in order, the output layer last (it is registered first, so not by modules())."""
    return [m for m in model.hidden if isinstance(m, nn.Linear)] + [model.output]


def shown_units(model: nn.Module, n_inputs: int) -> tuple[list[np.ndarray], bool]:
    """Per column (inputs, each hidden layer, output), the indices of the units to draw, and whether the view
    was cut below MAX_UNITS per layer to stay under MAX_THUMBNAILS.

    A hidden layer's units are ranked by the L2 norm of their outgoing weights (the next Linear's column), the
    output's by their incoming weights; ties keep the lower index. Inputs are never ranked past `cap` either.
    """
    layers = linears(model)
    widths = [n_inputs] + [lin.out_features for lin in layers]
    cap = MAX_UNITS
    while cap > MIN_UNITS and sum(min(w, cap) for w in widths) > MAX_THUMBNAILS:
        cap -= 1
    chosen = []
    for i, width in enumerate(widths):
        if width <= cap:
            chosen.append(np.arange(width))
            continue
        if i < len(layers):
            norms = layers[i].weight.detach().norm(dim=0)  # outgoing: the next layer's column per unit
        else:
            norms = layers[-1].weight.detach().norm(dim=1)  # the output: incoming
        order = np.argsort(-norms.cpu().numpy(), kind="stable")
        chosen.append(np.sort(order[:cap]))
    return chosen, cap < MAX_UNITS and any(w > cap for w in widths)


def thumb_index(grid_size: int) -> np.ndarray:
    """THUMB indices spread evenly over 0..grid_size-1, both ends included (all of them when fewer)."""
    return np.unique(np.linspace(0, grid_size - 1, min(THUMB, grid_size)).round().astype(int))


@torch.no_grad()
def grid_forward(model: nn.Module, inputs: torch.Tensor, side: int, units: list[np.ndarray]
                 ) -> tuple[torch.Tensor, list[np.ndarray]]:
    """One forward pass of `model` (an MLP: `hidden` Sequential, then `output`) over `inputs` (side*side, n_in),
    grid points in row-major order (rows follow y). Returns the output (side*side, n_out) and, per column of
    `units`, the shown units' values on the thinned grid, (k, T, T) float16.

    The hidden columns are taken after each activation (dropout is off in eval mode); the output column is
    the output layer's values as they come (logits or predictions).
    """
    pick = thumb_index(side)
    rows = torch.as_tensor((pick[:, None] * side + pick[None, :]).ravel(), device=inputs.device)

    def keep(h: torch.Tensor, column: int) -> np.ndarray:
        cols = torch.as_tensor(units[column], device=h.device)
        kept = h.index_select(0, rows).index_select(1, cols)  # (T*T, k)
        return kept.T.reshape(len(cols), len(pick), len(pick)).to(torch.float16).cpu().numpy()

    images, column = [keep(inputs, 0)], 1
    h, modules = inputs, list(model.hidden)
    for module in modules:
        h = module(h)
        if not isinstance(module, (nn.Linear, nn.Dropout)):  # an activation: the end of a hidden layer
            images.append(keep(h, column))
            column += 1
    out = model.output(h)
    images.append(keep(out, column))
    return out, images


@torch.no_grad()
def picture_forward(model: nn.Module, inputs: torch.Tensor, side: int, thumb: int
                    ) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    """`grid_forward` for a frame, every unit kept: the output (side*side, n_out) for `inputs` (side*side, n_in)
    in row-major order, and every column's units (inputs, each hidden layer after its activation, the output
    layer) on a thinned grid of `thumb` x `thumb` points in one (thumb*thumb, all units) tensor, with each
    column's width (so a frame moves one tensor to the host, not one per column)."""
    pick = np.unique(np.linspace(0, side - 1, min(thumb, side)).round().astype(int))
    rows = torch.as_tensor((pick[:, None] * side + pick[None, :]).ravel(), device=inputs.device)
    kept, h = [inputs.index_select(0, rows)], inputs
    for module in model.hidden:
        h = module(h)
        if not isinstance(module, (nn.Linear, nn.Dropout)):  # an activation: the end of a hidden layer
            kept.append(h.index_select(0, rows))
    out = model.output(h)
    kept.append(out.index_select(0, rows))
    return out, torch.cat(kept, 1), [k.shape[1] for k in kept]


def network_view(model: nn.Module, units: list[np.ndarray], images: list[np.ndarray], grid_x: np.ndarray,
                 grid_y: np.ndarray, input_names: tuple[str, ...], output_names: tuple[str, ...], cut: bool
                 ) -> NetworkView:
    """Assemble the view from `shown_units`' choice and `grid_forward`'s pictures; weights between shown units."""
    layers = linears(model)
    n = len(layers) + 1
    columns = []
    for c in range(n):
        idx = units[c]
        if c == 0:
            name, labels = "inputs", _names(idx, input_names, "input")
        elif c == n - 1:
            name, labels = "output", _names(idx, output_names, "output")
        else:
            name, labels = f"hidden {c}", tuple(f"unit {i + 1}" for i in idx)
        weights = bias = None
        if c > 0:
            w = layers[c - 1].weight.detach()[torch.as_tensor(idx)][:, torch.as_tensor(units[c - 1])]
            weights = w.float().cpu().numpy()
            bias = layers[c - 1].bias.detach()[torch.as_tensor(idx)].float().cpu().numpy()
        width = layers[0].in_features if c == 0 else layers[c - 1].out_features
        columns.append(LayerView(name, labels, idx, width, images[c], weights, bias))
    pick = thumb_index(len(grid_x))
    return NetworkView(tuple(columns), np.asarray(grid_x)[pick], np.asarray(grid_y)[pick], cut)


def _names(idx: np.ndarray, names: tuple[str, ...], fallback: str) -> tuple[str, ...]:
    return tuple(names[i] if i < len(names) else f"{fallback} {i + 1}" for i in idx)
