"""Series for charts: bounded by bucket averages, and smoothed as TensorBoard smooths.

Pure numpy (and pandas) functions; never imports streamlit or torch.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def downsample(x: np.ndarray, y: np.ndarray, max_points: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Bound a series to `max_points` by averaging consecutive buckets, keeping the curve's shape.

    x, y: (n,) arrays. Returns float arrays of length min(n, max_points); when n > max_points the n
    points are split into max_points contiguous buckets of near-equal size and each bucket becomes the
    point (mean x, mean y). Shorter series come back unchanged (as float arrays).
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    n = len(x)
    if n <= max_points:
        return x, y
    # n > max_points, so consecutive edges differ by at least one: no bucket is empty.
    starts = np.linspace(0, n, max_points + 1).astype(np.int64)[:-1]
    counts = np.diff(np.append(starts, n))
    return np.add.reduceat(x, starts) / counts, np.add.reduceat(y, starts) / counts


def smooth(y: np.ndarray, weight: float) -> np.ndarray:
    """Debiased exponential moving average, as TensorBoard's scalar "Smoothing" slider computes it.

    y: (n,) values; weight in [0, 1), 0 = no smoothing. Returns a float (n,) array with
    last_t = weight * last_{t-1} + (1 - weight) * y_t and smoothed_t = last_t / (1 - weight ** k_t), where
    k_t counts the finite values so far; non-finite values pass through unchanged and are skipped.
    Source: tensorboard/components/vz_line_chart2/line-chart.ts (resmoothDataset), the formula
    Weights & Biases also documents for its "TensorBoard" smoothing. Raises ValueError for a bad weight.
    """
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must be in [0, 1); got {weight!r}.")
    y = np.asarray(y, dtype=float).ravel()
    if weight == 0.0:
        return y.copy()
    # The debiased EMA is pandas' adjusted EWM: sum_i weight**i * y_(t-i) / sum_i weight**i over the finite
    # values so far (ignore_na skips the others), computed in C rather than a Python loop per point.
    finite = np.isfinite(y)
    out = pd.Series(np.where(finite, y, np.nan)).ewm(alpha=1.0 - weight, ignore_na=True).mean().to_numpy(copy=True)
    out[~finite] = y[~finite]
    return out


def decades(*series: np.ndarray) -> float:
    """How many powers of ten the positive finite values of `series` span (log10 of max / min); 0 for none."""
    values = np.concatenate([np.asarray(s, dtype=float).ravel() for s in series])
    values = values[np.isfinite(values) & (values > 0)]
    return float(np.log10(values.max() / values.min())) if len(values) else 0.0
