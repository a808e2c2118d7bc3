"""Tests for playground.series: downsampling and smoothing of chart series."""

from __future__ import annotations

import numpy as np
import pytest

from playground.series import downsample, smooth


def test_downsample_short_series_unchanged():
    x, y = downsample(np.arange(5), np.array([3, 1, 4, 1, 5]), max_points=10)
    np.testing.assert_array_equal(x, np.arange(5.0))
    np.testing.assert_array_equal(y, [3, 1, 4, 1, 5])


def test_downsample_bounds_length_and_keeps_mean_and_shape():
    x = np.arange(10_000, dtype=float)
    y = np.sin(x / 1000)
    dx, dy = downsample(x, y, max_points=2000)
    assert len(dx) == len(dy) == 2000
    assert dy.mean() == pytest.approx(y.mean())  # equal buckets of 5: bucket means average to the mean
    assert dx[0] == pytest.approx(2.0) and np.all(np.diff(dx) > 0)
    np.testing.assert_allclose(dy, np.sin(dx / 1000), atol=1e-4)  # the curve's shape survives


def test_downsample_uneven_buckets_cover_every_point():
    dx, _ = downsample(np.arange(2001), np.zeros(2001), max_points=2000)
    assert len(dx) == 2000 and dx[0] == 0 and dx[-1] == pytest.approx(1999.5)


def test_smooth_weight_zero_is_identity():
    y = np.array([3.0, -1.0, 2.5])
    np.testing.assert_array_equal(smooth(y, 0.0), y)


def test_smooth_matches_hand_computed_debiased_ema():
    # weight 0.5: last = 0.5, 1.25, 2.125; debias by 1 - 0.5**k = 0.5, 0.75, 0.875.
    np.testing.assert_allclose(smooth(np.array([1.0, 2.0, 3.0]), 0.5), [1.0, 1.25 / 0.75, 2.125 / 0.875])
    np.testing.assert_allclose(smooth(np.full(50, 7.0), 0.9), 7.0)  # debiasing: no pull towards 0


def test_smooth_passes_non_finite_through_and_rejects_bad_weight():
    out = smooth(np.array([1.0, np.nan, 3.0]), 0.5)
    assert np.isnan(out[1]) and out[2] == pytest.approx((0.5 * 0.5 + 1.5) / 0.75)
    for weight in (-0.1, 1.0):
        with pytest.raises(ValueError):
            smooth(np.ones(3), weight)


# --- loss / metric -------------------------------------------------------------------------------




def test_decades_counts_powers_of_ten_of_positive_finite_values():
    from playground.series import decades

    assert decades(np.array([0.01, 1.0]), np.array([10.0, np.nan, -5.0, 0.0, np.inf])) == pytest.approx(3.0)
    assert decades(np.array([]), np.array([-1.0])) == 0.0


@pytest.mark.parametrize("weight", [0.3, 0.6, 0.99, 0.999])
def test_smooth_matches_the_recursive_formula_with_gaps(weight):
    """Against TensorBoard's recursion written out: last = w * last + (1 - w) * y, debiased by 1 - w**k."""
    y = np.random.default_rng(0).exponential(size=3000)
    y[[0, 7, 8, 500, 2999]] = [np.nan, np.inf, -np.inf, np.nan, np.nan]
    expected, last, k = [], 0.0, 0
    for value in y:
        if not np.isfinite(value):
            expected.append(value)
            continue
        last, k = weight * last + (1 - weight) * value, k + 1
        expected.append(last / (1 - weight**k))
    np.testing.assert_allclose(smooth(y, weight), expected, rtol=1e-9)
