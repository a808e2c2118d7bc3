"""Tests for playground.plots: behaviour checked through fig.data / fig.layout."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from playground import plots
from playground.events import R2
from playground.mlp.plots import boundary_figure, confusion_figure, prediction_figure
from playground.plots import EMPTY_MESSAGE, loss_figure, metric_figure
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
    fig = metric_figure(np.array([10, 20]), np.array([0.1, 0.8]), np.array([-0.5, 0.7]), kind=R2)
    assert fig.layout.yaxis.range is None
    fig = metric_figure(np.array([10, 20]), np.array([-40.0, 0.8]), np.array([-50.0, 0.7]), kind=R2)
    assert fig.layout.yaxis.range == (-1, 1.02)


def test_metric_figure_empty():
    _assert_empty(metric_figure(EMPTY, EMPTY, EMPTY))


def _ghosts():
    return [plots.Ghost("run 1: learning rate 0.03 → 0.3", np.array([50.0, 100, 150]), np.array([0.9, 0.6, 0.5]), 1),
            plots.Ghost("run 2: batch size 32 → 64", np.array([60.0, 120]), np.array([0.8, 0.4]), 2)]


def test_earlier_runs_are_faint_curves_under_the_current_runs():
    step, loss, eval_step, train_loss, test_loss = _loss_inputs()
    fig = loss_figure(step, loss, eval_step, train_loss, test_loss, ghosts=_ghosts())
    assert _names(fig)[:2] == ["run 1: learning rate 0.03 → 0.3", "run 2: batch size 32 → 64"]  # drawn first: under
    ghost, current = fig.data[0], fig.data[-1]
    assert ghost.opacity <= 0.5 and current.opacity is None  # faint against full strength
    np.testing.assert_array_equal(ghost.x, [50, 100, 150])
    np.testing.assert_array_equal(ghost.y, [0.9, 0.6, 0.5])
    assert fig.data[0].line.color != fig.data[1].line.color
    assert {fig.data[0].line.color, fig.data[1].line.color}.isdisjoint({plots.TRAIN_COLOUR, plots.TEST_COLOUR})
    metric = metric_figure(np.array([10, 20]), np.array([0.5, 0.8]), np.array([0.4, 0.7]), ghosts=_ghosts()[:1])
    assert _names(metric) == ["run 1: learning rate 0.03 → 0.3", "train", "test"] and metric.data[0].opacity <= 0.5


def test_ghosts_alone_are_drawn_before_a_new_run_has_points():
    fig = loss_figure(EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, ghosts=_ghosts())
    assert _names(fig)[:2] == [g.name for g in _ghosts()] and not fig.layout.annotations
    assert len(metric_figure(EMPTY, EMPTY, EMPTY, ghosts=_ghosts()).data) == 2 + 2


def test_the_x_axis_counts_what_it_is_given_and_can_be_logarithmic():
    step, loss, eval_step, train_loss, test_loss = _loss_inputs()
    fig = loss_figure(step / 30, loss, eval_step / 30, train_loss, test_loss, x_title="epoch", log_x=True)
    assert fig.layout.xaxis.title.text == "epoch" and fig.layout.xaxis.type == "log"
    np.testing.assert_allclose(fig.data[0].x, step / 30)
    assert fig.layout.uirevision != loss_figure(step, loss, eval_step, train_loss, test_loss).layout.uirevision
    assert loss_figure(step, loss, eval_step, train_loss, test_loss).layout.xaxis.type == "linear"
    metric = metric_figure(np.array([0.5, 1.0]), np.array([0.5, 0.8]), np.array([0.4, 0.7]), x_title="wall time (s)",
                           log_x=True)
    assert metric.layout.xaxis.title.text == "wall time (s)" and metric.layout.xaxis.type == "log"


def test_raw_loss_is_plain_without_smoothing_and_faint_under_a_smoothed_curve():
    step, loss, eval_step, train_loss, test_loss = _loss_inputs()
    raw = loss_figure(step, loss, eval_step, train_loss, test_loss)  # smoothing defaults to 0: raw only
    assert "train (smoothed)" not in _names(raw) and raw.data[0].opacity == 1.0
    smoothed = loss_figure(step, loss, eval_step, train_loss, test_loss, smoothing=0.9)
    assert smoothed.data[0].name == "train (per step)" and smoothed.data[0].opacity < 0.5
    np.testing.assert_array_equal(smoothed.data[0].y, loss)  # the raw curve is still all there


# --- confusion / prediction ----------------------------------------------------------------------


def test_plots_does_not_import_streamlit_or_torch():
    code = "import sys, playground.plots; print(sorted({'streamlit', 'torch'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_figure_carries_the_small_template_not_plotlys_default():
    """Plotly's default template is about 10 KB of JSON per figure, re-sent on every live redraw."""
    from playground.attention import plots as attention_plots

    rng = np.random.default_rng(0)
    w = rng.random((2, 2, 4, 4))
    figures = [
        plots.loss_figure(np.arange(1.0, 301), rng.random(300), np.arange(1.0, 4), rng.random(3), rng.random(3)),
        plots.metric_figure(np.arange(1.0, 4), rng.random(3), rng.random(3)),
        plots.loss_figure(*([] for _ in range(5))),
        plots.loss_figure(np.arange(1.0, 4), rng.random(3), np.arange(1.0, 4), rng.random(3), rng.random(3),
                          ghosts=[plots.Ghost("run 1", np.arange(3.0), rng.random(3))], log_x=True),
        confusion_figure(np.eye(3, dtype=int), ("a", "b", "c")),
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
    from playground.attention import plots as attention_plots

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
        "loss by epoch, log x, earlier runs": loss_figure(
            steps / 30, rng.random(300), evals / 30, rng.random(12), rng.random(12), x_title="epoch", log_x=True,
            ghosts=[plots.Ghost("run 1: learning rate 0.03 → 0.3", evals / 30, rng.random(12), 1)]),
        "accuracy": metric_figure(evals, rng.random(12), rng.random(12)),
        "accuracy, earlier runs": metric_figure(evals, rng.random(12), rng.random(12),
                                                ghosts=[plots.Ghost("run 1", evals, rng.random(12))]),
        "R² below -1": metric_figure(evals, -3 * rng.random(12), rng.random(12), kind=R2),
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


def test_loss_figure_empty_shows_the_given_note():
    fig = loss_figure(EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, empty_message="The run ended before any loss was recorded")
    assert fig.layout.annotations[0].text == "The run ended before any loss was recorded"


