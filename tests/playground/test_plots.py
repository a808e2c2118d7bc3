"""Tests for playground.plots: behaviour checked through fig.data / fig.layout."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
from plotly.colors import hex_to_rgb

from playground import plots
from playground.plots import (
    CLASS_COLOURS,
    EMPTY_MESSAGE,
    boundary_figure,
    confusion_figure,
    loss_figure,
    metric_figure,
    prediction_figure,
)
from playground.series import smooth

EMPTY = np.array([])


def _names(fig):
    return [trace.name for trace in fig.data]


def _assert_empty(fig):
    assert len(fig.data) == 0
    assert fig.layout.annotations[0].text == EMPTY_MESSAGE
    fig.to_json()  # serialisable, so the chart component can send it


def _grid(g=12, h=10):
    return np.linspace(-3, 3, g), np.linspace(-2, 2, h)


def _probs(h, g, c, seed=0):
    logits = np.random.default_rng(seed).normal(size=(h, g, c)) * 3
    p = np.exp(logits)
    return p / p.sum(-1, keepdims=True)


def _points(n, c, seed=1, width=2):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, width)), np.arange(n) % c


def _loss_inputs(n=300, m=6):
    step = np.arange(1, n + 1)
    loss = np.exp(-step / 100) + np.random.default_rng(0).random(n) * 0.1
    eval_step = np.linspace(n / m, n, m)
    return step, loss, eval_step, np.linspace(1, 0.2, m), np.linspace(1.1, 0.3, m)


def test_loss_figure_traces_and_values():
    step, loss, eval_step, train_loss, test_loss = _loss_inputs()
    fig = loss_figure(step, loss, eval_step, train_loss, test_loss, smoothing=0.6)
    assert _names(fig) == ["train (per step)", "train (smoothed)", "train (epoch)", "test (epoch)"]
    assert all(trace.type == "scatter" for trace in fig.data)
    np.testing.assert_array_equal(fig.data[0].y, loss)
    np.testing.assert_allclose(fig.data[1].y, smooth(loss, 0.6))
    np.testing.assert_array_equal(fig.data[3].x, eval_step)
    np.testing.assert_array_equal(fig.data[3].y, test_loss)
    assert fig.data[2].mode == "lines+markers"
    assert fig.layout.yaxis.type == "linear"
    assert fig.layout.uirevision == "loss" and fig.layout.height == 320


def test_loss_figure_no_smoothing_log_axis_and_downsampling():
    step, loss, eval_step, train_loss, test_loss = _loss_inputs(n=5000)
    fig = loss_figure(step, loss, eval_step, train_loss, test_loss, smoothing=0.0, log_y=True, height=250)
    assert "train (smoothed)" not in _names(fig)
    assert fig.layout.yaxis.type == "log" and fig.layout.height == 250
    assert fig.layout.yaxis.tickformat == "~g" and fig.layout.yaxis.dtick == "D2"  # 0.5, not a small "5"
    wide = loss_figure(step, np.geomspace(10, 1e-4, len(step)), eval_step, train_loss, test_loss, log_y=True)
    assert wide.layout.yaxis.dtick == 1  # 5 decades: a tick per decade, 1, 2, 5 would crowd
    assert len(fig.data[0].x) == 2000


def test_loss_figure_empty():
    _assert_empty(loss_figure(EMPTY, EMPTY, EMPTY, EMPTY, EMPTY))


def test_metric_figure_accuracy_has_fixed_range():
    fig = metric_figure(np.array([10, 20]), np.array([0.5, 0.8]), np.array([0.4, 0.7]))
    assert _names(fig) == ["train", "test"]
    np.testing.assert_array_equal(fig.data[1].y, [0.4, 0.7])
    assert fig.layout.yaxis.range == (0, 1.02)
    assert fig.layout.yaxis.title.text == "accuracy"


def test_metric_figure_r2_autoscales_but_clamps_very_negative():
    fig = metric_figure(np.array([10, 20]), np.array([0.1, 0.8]), np.array([-0.5, 0.7]), metric_name="R²")
    assert fig.layout.yaxis.range is None
    fig = metric_figure(np.array([10, 20]), np.array([-40.0, 0.8]), np.array([-50.0, 0.7]), metric_name="R²")
    assert fig.layout.yaxis.range == (-1, 1.02)


def test_metric_figure_empty():
    _assert_empty(metric_figure(EMPTY, EMPTY, EMPTY))


# --- boundary ------------------------------------------------------------------------------------


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
    pixels = _background(fig, scale=plots.SHARP_SCALE)  # hard edges: the browser blends only within a cell
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
    np.testing.assert_array_equal(_background(fig, scale=plots.SHARP_SCALE), palette[probs.argmax(-1)])

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


# --- confusion / prediction ----------------------------------------------------------------------


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


def test_plots_does_not_import_streamlit_or_torch():
    code = "import sys, playground.plots; print(sorted({'streamlit', 'torch'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_figure_carries_the_small_template_not_plotlys_default():
    """Plotly's default template is about 10 KB of JSON per figure, re-sent on every live redraw."""
    from playground import attention_plots

    rng = np.random.default_rng(0)
    w = rng.random((2, 2, 4, 4))
    figures = [
        plots.loss_figure(np.arange(1.0, 301), rng.random(300), np.arange(1.0, 4), rng.random(3), rng.random(3)),
        plots.metric_figure(np.arange(1.0, 4), rng.random(3), rng.random(3)),
        plots.loss_figure(*([] for _ in range(5))),
        plots.confusion_figure(np.eye(3, dtype=int), ("a", "b", "c")),
        attention_plots.attention_heatmap(w[0, 0], list("abcd")),
        attention_plots.attention_grid(w, selected=(0, 1)),
    ]
    for fig in figures:
        assert fig.to_dict()["layout"]["template"] == plots.TEMPLATE
        # every axis lets its tick labels be (automargin keeps them inside): plotly's default re-measures each
        # label once per label at every redraw
        for axis in ("xaxis", "yaxis"):
            assert fig.layout.template.layout[axis].ticklabeloverflow == "allow"
            assert fig.layout[axis].ticklabeloverflow in (None, "allow")  # not set otherwise per figure
    big = figures[0].to_json()
    assert len(big) < 30_000, len(big)  # 4 traces of 300 points; with plotly's default template it was ~36 KB


def _every_kind_of_figure():
    """One figure of each shape the pages draw, with data, without, and with each option."""
    from playground import attention_plots

    rng = np.random.default_rng(3)
    gx, gy = _grid()
    xs, ys = _points(40, 3)
    xr, yr = _points(40, 1)
    w = rng.random((2, 3, 4, 4))
    steps, evals = np.arange(1.0, 301), np.arange(25.0, 301, 25)
    return {
        "loss": loss_figure(steps, rng.random(300), evals, rng.random(12), rng.random(12)),
        "loss log, unsmoothed": loss_figure(steps, rng.random(300), evals, rng.random(12), rng.random(12),
                                            smoothing=0.0, log_y=True, eval_label="eval"),
        "loss empty": loss_figure(*([] for _ in range(5))),
        "accuracy": metric_figure(evals, rng.random(12), rng.random(12)),
        "R² below -1": metric_figure(evals, -3 * rng.random(12), rng.random(12), metric_name="R²"),
        "metric empty": metric_figure(EMPTY, EMPTY, EMPTY),
        "boundary 2 classes": boundary_figure(gx, gy, _probs(10, 12, 2), xs, ys % 2, xs, ys % 2,
                                              task="classification"),
        "boundary 2 classes, discretized": boundary_figure(gx, gy, _probs(10, 12, 2), xs, ys % 2, xs, ys % 2,
                                                           task="classification", discretize=True),
        "boundary 3 classes": boundary_figure(gx, gy, _probs(10, 12, 3), xs, ys, xs, ys, task="classification",
                                              class_names=("a", "b", "c")),
        "boundary 3 classes, discretized": boundary_figure(gx, gy, _probs(10, 12, 3), xs, ys, xs, ys,
                                                           task="classification", discretize=True),
        "boundary points only": boundary_figure(gx, gy, None, xs, ys, xs, ys, task="classification"),
        "boundary regression": boundary_figure(gx, gy, rng.random((10, 12)), xr, rng.random(40), xr,
                                               rng.random(40), task="regression"),
        "confusion": confusion_figure(np.array([[5, 1, 0], [2, 7, 1], [0, 0, 9]]), ("a", "b", "c")),
        "confusion empty": confusion_figure(np.zeros((0, 0)), ()),
        "prediction": prediction_figure(rng.random(30), rng.random(30)),
        "prediction empty": prediction_figure(EMPTY, EMPTY),
        "attention head": attention_plots.attention_heatmap(w[0, 0], ["the", "cat", "sat", "down"]),
        "attention grid": attention_plots.attention_grid(w),
        "attention grid, selected": attention_plots.attention_grid(w, selected=(1, 2)),
    }


@pytest.mark.parametrize("name", list(_every_kind_of_figure()))
def test_figure_is_what_plotlys_validation_builds(name):
    """Figures are built without validation (`make_figure`); plotly's validation must accept each one and
    change nothing in what is sent to the browser (a misspelt property or a bad value would raise here)."""
    import json

    import plotly.graph_objects as go
    import plotly.io as pio

    fig = _every_kind_of_figure()[name]
    validated = go.Figure(fig.to_dict())
    assert json.loads(pio.to_json(fig, validate=False)) == json.loads(pio.to_json(validated, validate=False))


def test_make_figure_does_not_validate():
    """A property plotly does not know is kept, not refused: the reason the test above exists."""
    import plotly.graph_objects as go

    fig = plots.make_figure([{"type": "scatter", "x": [1], "colour": "red"}], {"height": 100})
    assert fig.to_dict()["data"][0]["colour"] == "red"
    with pytest.raises(ValueError):
        go.Figure(fig.to_dict())


def test_attention_heatmap_cells_are_square_with_no_grid_lines_beside_them():
    from playground import attention_plots

    fig = attention_plots.attention_heatmap(np.eye(3), list("abc"))
    assert fig.layout.yaxis.scaleanchor == "x"
    for axis in (fig.layout.xaxis, fig.layout.yaxis):
        assert axis.showgrid is False and axis.constrain == "domain"


def test_trace_uids_are_css_class_names_one_per_trace_name():
    """plotly.js selects a trace that leaves a chart by ".cb" + uid; "train · 0" is not a valid selector."""
    names, uids = [], []
    for fig in _every_kind_of_figure().values():
        for trace in fig.data:
            if trace.uid is not None:  # plotly.js gives traces without one a random uid of its own
                names.append(trace.name)
                uids.append(trace.uid)
                assert re.fullmatch(r"t-[A-Za-z0-9_]+", trace.uid), trace.uid
    assert "train · 0" in names and len(set(names)) > 10
    assert len(set(zip(names, uids, strict=True))) == len(set(names)) == len(set(uids))  # one uid per name


def test_attention_grid_labels_heads_across_and_layers_down_over_their_cells():
    from playground import attention_plots

    fig = attention_plots.attention_grid(np.random.default_rng(0).random((2, 4, 3, 3)))
    labels = {a.text: a for a in fig.layout.annotations}
    assert list(labels) == ["H1", "H2", "H3", "H4", "L1", "L2"]  # short: "head 1" ran into its neighbours
    for head in range(4):  # each head's label sits over the middle of its column (layer 1's axes)
        lo, hi = fig.layout[f"xaxis{head + 1 if head else ''}"].domain
        assert labels[f"H{head + 1}"].x == pytest.approx((lo + hi) / 2)
    for layer in range(2):  # and each layer's beside the middle of its row
        lo, hi = fig.layout[f"yaxis{layer * 4 + 1 if layer else ''}"].domain
        assert labels[f"L{layer + 1}"].y == pytest.approx((lo + hi) / 2)


def test_attention_heatmap_labels_at_most_16_rows_and_keeps_single_characters_as_text():
    from playground import attention_plots

    chars = list("she could hear the baker singing")  # 32 one-character tokens
    fig = attention_plots.attention_heatmap(np.full((32, 32), 1 / 32), chars)
    rows, keys = list(fig.layout.yaxis.ticktext), list(fig.layout.xaxis.ticktext)
    assert rows == [c if i % 2 == 0 else "" for i, c in enumerate(chars)]  # every other row: 16 labels
    assert keys == chars  # characters side by side read as the probe text
    assert len(fig.layout.yaxis.tickvals) == 32  # every row is still a category (hover names its token)
    words = [f"w{i}" for i in range(20)]
    fig = attention_plots.attention_heatmap(np.full((20, 20), 1 / 20), words)
    assert list(fig.layout.xaxis.ticktext) == list(fig.layout.yaxis.ticktext) == [
        w if i % 2 == 0 else "" for i, w in enumerate(words)]
    long = list("abcdefghij" * 4)  # 40 characters: too many to sit side by side either
    keys = list(attention_plots.attention_heatmap(np.full((40, 40), 1 / 40), long).layout.xaxis.ticktext)
    assert keys == [c if i % 3 == 0 else "" for i, c in enumerate(long)]
    short = attention_plots.attention_heatmap(np.eye(3), ["the", "cat", "sat"])
    assert list(short.layout.yaxis.ticktext) == ["the", "cat", "sat"]  # up to 16 rows: every label


def test_loss_figure_empty_shows_the_given_note():
    fig = loss_figure(EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, empty_message="The run ended before any loss was recorded")
    assert fig.layout.annotations[0].text == "The run ended before any loss was recorded"


def test_attention_grid_is_valid_for_every_model_shape_the_form_allows():
    """Cell domains add up in floating point: 3 layers gave a bottom edge of -5.6e-17, which plotly refuses."""
    import plotly.graph_objects as go

    from playground import attention_plots

    for n_layers in range(1, 7):
        for n_heads in range(1, 9):
            fig = attention_plots.attention_grid(np.full((n_layers, n_heads, 2, 2), 0.5), selected=(n_layers - 1, 0))
            go.Figure(fig.to_dict())  # raises on a domain outside [0, 1]


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
    assert len(set(plots._class_labels(2, ("q" * 70, "q" * 71)))) == 2  # cut alike, still two classes
