"""The MLP trainer's frames: the decision boundary (and the network view's pictures) as small uint8 grids,
captured between evaluations at a steady wall-time cadence (see playground.loop.FrameClock) so the page can
animate them at 20 frames a second while evaluations come once per epoch.

A value v in [0, 1] is kept as rint(255 v): what a frame holds is what the boundary figure colours, so the
browser draws it with the figure's own colours (mlp/frame_plots.py). Numpy only: no torch, no plotly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from playground.mlp.network import unit_scales

FRAME_INTERVAL_S = 0.04  # a frame every 40 ms of training: 25 frames a second to animate
GRID_STEP = 2  # a frame's boundary takes every other point of the boundary's grid each way: a quarter of its
# forward pass (30 x 30 of 60 x 60), which a 6x8 network needs 1 ms for on one CPU core
THUMB = 10  # a frame's network pictures are THUMB x THUMB points of its grid (the view's: network.THUMB = 20)


@dataclass(frozen=True)
class Frame:
    """One picture of the model between evaluations."""

    boundary: np.ndarray  # (H, G, K) uint8 on the boundary grid's every GRID_STEP-th point from the first (rows
    # follow y, as BoundaryGrid's): K = 1 holds P(class 1) of two
    # classes, or a regression's prediction on the boundary figure's colour axis (its targets' range) mapped to
    # [0, 1]; K = C holds each of C > 2 classes' probabilities
    network: tuple[np.ndarray, ...] | None = None  # per network view column, (k, t, t) uint8: each shown unit's
    # output over a thinned grid, 0.5 + 0.5 v / max|v| as the view colours it; None when the view leaves units out


def quantise(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] (clipped; NaN as 0.5, the scale's middle) -> uint8 rint(255 v), same shape."""
    return np.rint(np.clip(np.nan_to_num(np.asarray(values, np.float32), nan=0.5), 0.0, 1.0) * 255).astype(np.uint8)


def target_range(y_train: np.ndarray, y_test: np.ndarray, drawn: int) -> tuple[float, float]:
    """The regression boundary's colour axis (cmin, cmax): the range of the targets of the first `drawn` points of
    each split, as mlp/plots.boundary_figure draws them; (0, 1) when there are none."""
    targets = np.concatenate([np.ravel(y_train)[:drawn], np.ravel(y_test)[:drawn]]).astype(float)
    targets = targets[np.isfinite(targets)]
    return (float(targets.min()), float(targets.max())) if len(targets) else (0.0, 1.0)


def boundary_frame(values: np.ndarray, classify: bool, value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """A boundary grid's values as a frame's (H, G, K) uint8 (see Frame.boundary): class probabilities (H, G, C),
    or a regression's predictions (H, G) on the colour axis `value_range` (target_range)."""
    values = np.asarray(values, np.float32)
    if classify:
        return quantise(values[..., 1:2] if values.shape[-1] == 2 else values)
    lo, hi = value_range
    return quantise(((values - lo) / ((hi - lo) or 1.0))[..., None])


def picture_frames(values: np.ndarray, widths: list[int]) -> tuple[np.ndarray, ...]:
    """The network's pictures as a frame's: `values` (t*t, all units) float, each unit's output over a t x t grid
    (row-major, rows follow y) with the columns' units side by side, `widths` units per column -> per column
    (k, t, t) uint8, each unit scaled by its own largest |value| as the view draws it (network.unit_scales)."""
    values = np.nan_to_num(np.asarray(values, np.float32), nan=0.0)
    t = math.isqrt(len(values))
    pictures = values.T.reshape(-1, t, t)  # (all units, t, t)
    scaled = quantise(0.5 + 0.5 * pictures / unit_scales(pictures)[:, None, None])
    edges = np.cumsum([0, *widths])
    return tuple(scaled[a:b] for a, b in zip(edges[:-1], edges[1:], strict=True))
