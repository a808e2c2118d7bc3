"""Tests for playground.mlp.plots: the decision boundary, confusion matrix and prediction figures."""

from __future__ import annotations

import numpy as np
import pytest
from plotly.colors import hex_to_rgb

from playground.mlp import plots as mlp_plots
from playground.mlp.plots import boundary_figure, confusion_figure, prediction_figure
from playground.plots import CLASS_COLOURS
from tests.playground.test_plots import EMPTY, _assert_empty, _grid, _names, _points, _probs


def _background(fig, scale: int = 1) -> np.ndarray:
    """The boundary's background image as (H, G, 3) RGB, row 0 at the bottom (grid order); `scale`: pixels
    per cell each way (a discretized background)."""
    import base64
    import io

    from PIL import Image

    (image,) = fig.layout.images
    header, data = image.source.split(",", 1)
    assert header == "data:image/png;base64"
    pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"))[::-1].astype(int)
    cells = pixels[::scale, ::scale]
    np.testing.assert_array_equal(pixels, cells.repeat(scale, 0).repeat(scale, 1))  # whole cells
    return cells


def test_boundary_two_classes_background_of_p1_and_points_per_class_per_split():
    gx, gy = _grid()
    probs = _probs(len(gy), len(gx), 2)
    probs[0, 0], probs[0, 1], probs[1, 0] = (1.0, 0.0), (0.5, 0.5), (0.0, 1.0)
    x, y = _points(40, 2, width=5)  # wider inputs: the first two columns are plotted
    fig = boundary_figure(gx, gy, probs, x[:30], y[:30], x[30:], y[30:], task="classification", class_names=("a", "b"))
    pixels = _background(fig)
    assert pixels.shape == (len(gy), len(gx), 3)
    assert tuple(pixels[0, 0]) == hex_to_rgb(CLASS_COLOURS[0])  # P(class 1) = 0: class 0's colour
    assert tuple(pixels[0, 1]) == (255, 255, 255)  # even odds: white
    assert tuple(pixels[1, 0]) == hex_to_rgb(CLASS_COLOURS[1])
    # Cells are centred on the grid points, and the axes show exactly the image.
    image = fig.layout.images[0]
    assert (image.xref, image.yref, image.layer, image.sizing) == ("x", "y", "below", "stretch")
    half_x, half_y = (gx[1] - gx[0]) / 2, (gy[1] - gy[0]) / 2
    assert tuple(fig.layout.xaxis.range) == pytest.approx((gx[0] - half_x, gx[-1] + half_x))
    assert tuple(fig.layout.yaxis.range) == pytest.approx((gy[0] - half_y, gy[-1] + half_y))
    assert (image.x, image.y) == pytest.approx((gx[0] - half_x, gy[-1] + half_y))
    # "Reset axes" autoscales, which leaves layout images out: the extent is included explicitly.
    assert tuple(fig.layout.xaxis.autorangeoptions.include) == tuple(fig.layout.xaxis.range)
    assert tuple(fig.layout.yaxis.autorangeoptions.include) == tuple(fig.layout.yaxis.range)
    assert fig.layout.xaxis.showgrid is False  # grid lines would be drawn over the background
    assert _names(fig) == ["train · a", "train · b", "test · a", "test · b"]
    points = fig.data
    assert [len(t.x) for t in points] == [15, 15, 5, 5]
    np.testing.assert_array_equal(points[1].x, x[:30][y[:30] == 1, 0])
    np.testing.assert_array_equal(points[1].y, x[:30][y[:30] == 1, 1])
    assert [t.marker.color for t in points] == [CLASS_COLOURS[0], CLASS_COLOURS[1]] * 2
    assert points[0].marker.symbol != points[2].marker.symbol
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.uirevision == "boundary"


def test_boundary_two_classes_background_follows_p1_and_discretize_gives_class_colours():
    gx, gy = _grid()
    probs = _probs(len(gy), len(gx), 2)
    x, y = _points(20, 2)
    pixels = _background(boundary_figure(gx, gy, probs, x, y, x, y, task="classification"))
    blue = np.array(hex_to_rgb(CLASS_COLOURS[0]))
    orange = np.array(hex_to_rgb(CLASS_COLOURS[1]))
    # Linear in RGB from blue (P = 0) through white (P = 0.5) to orange (P = 1), as plotly.js draws a scale.
    p = probs[..., 1:]
    white = np.array([255, 255, 255])
    expected = np.where(p < 0.5, blue + (white - blue) * p / 0.5, white + (orange - white) * (p - 0.5) / 0.5)
    np.testing.assert_allclose(pixels, expected, atol=0.5)

    fig = boundary_figure(gx, gy, probs, x, y, x, y, task="classification", discretize=True)
    pixels = _background(fig, scale=mlp_plots.SHARP_SCALE)  # hard edges: the browser blends only within a cell
    np.testing.assert_array_equal(pixels, np.stack([blue, orange])[probs.argmax(-1)])


def test_boundary_many_classes_blends_and_discretize_gives_pure_colours():
    gx, gy = _grid()
    c = 4
    probs = _probs(len(gy), len(gx), c)
    probs[0, 0] = 1 / c  # no confidence: white
    probs[0, 1] = np.eye(c)[2]  # certain: class 2's own colour
    x, y = _points(40, c)
    fig = boundary_figure(gx, gy, probs, x, y, x, y, task="classification")
    pixels = _background(fig)
    assert pixels.shape == (len(gy), len(gx), 3)
    assert tuple(pixels[0, 0]) == (255, 255, 255)
    assert tuple(pixels[0, 1]) == hex_to_rgb(CLASS_COLOURS[2])
    assert len(fig.data) == 2 * c and _names(fig)[0] == "train · 0"

    fig = boundary_figure(gx, gy, probs, x, y, x, y, task="classification", discretize=True)
    palette = np.array([hex_to_rgb(CLASS_COLOURS[k]) for k in range(c)])
    np.testing.assert_array_equal(_background(fig, scale=mlp_plots.SHARP_SCALE), palette[probs.argmax(-1)])

    probs[0, 2] = np.nan  # a diverged model: no colour, white
    assert tuple(_background(boundary_figure(gx, gy, probs, x, y, x, y, task="classification"))[0, 2]) == (255,) * 3


def test_boundary_without_values_draws_only_points():
    x, y = _points(30, 3)
    fig = boundary_figure(EMPTY, EMPTY, None, x, y, x[:0], y[:0], task="classification", class_names=("a", "b", "c"))
    assert len(fig.data) == 6 and all(t.type == "scatter" for t in fig.data)
    assert [len(t.x) for t in fig.data[3:]] == [0, 0, 0]
    fig.to_json()
    fig = boundary_figure(EMPTY, EMPTY, None, x, y, x, y, task="classification")  # classes from labels
    assert _names(fig) == ["train · 0", "train · 1", "train · 2", "test · 0", "test · 1", "test · 2"]


def test_boundary_regression_shares_colour_axis_with_points():
    gx, gy = _grid()
    x, _ = _points(30, 1)
    target = x[:, 0] + x[:, 1]
    pred = np.add.outer(gy, gx)
    pred[0, 0], pred[0, 1] = target.min(), target.max()
    fig = boundary_figure(gx, gy, pred, x[:20], target[:20], x[20:], target[20:], task="regression")
    assert [t.type for t in fig.data] == ["scatter", "scatter"]
    assert _names(fig) == ["train", "test"]
    np.testing.assert_array_equal(fig.data[1].marker.color, target[20:])
    assert fig.data[0].marker.coloraxis == fig.data[1].marker.coloraxis == "coloraxis"
    assert fig.layout.coloraxis.cmin == pytest.approx(target.min())
    assert fig.layout.coloraxis.cmax == pytest.approx(target.max())
    # The background uses the same scale: the lowest target is blue, the highest orange.
    pixels = _background(fig)
    assert tuple(pixels[0, 0]) == hex_to_rgb(CLASS_COLOURS[0])
    assert tuple(pixels[0, 1]) == hex_to_rgb(CLASS_COLOURS[1])


def test_boundary_rejects_unknown_task():
    with pytest.raises(ValueError, match="task"):
        boundary_figure(EMPTY, EMPTY, None, np.zeros((0, 2)), EMPTY, np.zeros((0, 2)), EMPTY, task="ranking")


def test_confusion_figure_writes_counts_with_true_on_y_first_on_top():
    matrix = np.array([[5, 1, 0], [2, 7, 1], [0, 0, 0]])
    fig = confusion_figure(matrix, ("cat", "dog", "eel"))
    heatmap = fig.data[0]
    assert heatmap.type == "heatmap" and heatmap.texttemplate == "%{text}"
    np.testing.assert_array_equal(np.asarray(heatmap.text).astype(int), matrix)
    np.testing.assert_allclose(heatmap.z[0], [5 / 6, 1 / 6, 0])  # colour = fraction of the true class
    np.testing.assert_array_equal(heatmap.z[2], [0, 0, 0])  # a class never seen: no division by zero
    assert list(heatmap.y) == ["cat", "dog", "eel"] and fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.xaxis.title.text == "predicted" and fig.layout.yaxis.title.text == "true"
    assert CLASS_COLOURS[1] in fig.layout.yaxis.ticktext[1]


def test_confusion_figure_empty():
    _assert_empty(confusion_figure(np.zeros((0, 0)), ()))


def test_prediction_figure_scatter_and_ideal_line():
    y_true, y_pred = np.array([0.0, 1.0, 2.0]), np.array([0.5, 1.0, 3.0])
    fig = prediction_figure(y_true, y_pred)
    assert _names(fig) == ["predictions", "ideal"]
    np.testing.assert_array_equal(fig.data[0].x, y_true)
    np.testing.assert_array_equal(fig.data[0].y, y_pred)
    assert tuple(fig.data[1].x) == tuple(fig.data[1].y) == (0.0, 3.0)


def test_prediction_figure_empty():
    _assert_empty(prediction_figure(EMPTY, EMPTY))


def test_a_users_class_and_column_names_show_as_written_in_charts():
    """Plotly reads <a href>, <b> and entities in labels: a table cell or column name must not become a link."""
    gx, gy = _grid()
    x, y = _points(40, 2)
    hostile = ("<a href='http://example.com/phish'>log in</a>", "<b>x</b> &amp; y", "z" * 30_000)
    fig = boundary_figure(gx, gy, _probs(len(gy), len(gx), 3), x, y % 3, x, y % 3, task="classification",
                          class_names=hostile, axis_titles=("<a href='http://e.com'>a</a>", "b"))
    shown = [t.name for t in fig.data] + [fig.layout.xaxis.title.text]
    shown += confusion_figure(np.ones((3, 3)), hostile).layout.xaxis.ticktext
    assert not any("<a" in s or "<b>" in s for s in shown), shown
    assert "train · &lt;a href='http://example.com/phish'&gt;log in&lt;/a&gt;" in shown
    assert "train · &lt;b&gt;x&lt;/b&gt; &amp;amp; y" in shown
    assert max(len(s) for s in shown) < 120 and f"train · {'z' * 59}…" in shown  # a 30 KB cell is cut
    assert len(set(mlp_plots._class_labels(2, ("q" * 70, "q" * 71)))) == 2  # cut alike, still two classes
