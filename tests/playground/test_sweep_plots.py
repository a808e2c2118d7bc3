"""The sweep's figures: a line per variant in its colour, the final metric against the value."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from playground.events import R2
from playground.plots import class_colour
from playground.sweep_plots import curves_figure, summary_figure


def _valid(fig: go.Figure) -> None:
    validated = go.Figure(fig.to_dict())  # plotly's validation accepts what make_figure built unvalidated
    assert json.loads(pio.to_json(fig, validate=False)) == json.loads(pio.to_json(validated, validate=False))


def test_curves_draw_one_line_per_variant_named_by_its_value():
    xs = [np.arange(1, 11), np.arange(1, 11), np.arange(1, 6)]
    ys = [np.linspace(1, 0.1, 10), np.linspace(1, 0.5, 10), np.linspace(1, 0.9, 5)]
    fig = curves_figure(["0.1", "0.01", "0.001"], xs, ys, y_title="training loss", legend_title="learning rate")
    assert [t.name for t in fig.data] == ["0.1", "0.01", "0.001"]
    assert [t.line.color for t in fig.data] == [class_colour(k) for k in range(3)]
    assert fig.layout.legend.title.text == "learning rate" and len(fig.data[2].x) == 5
    _valid(fig)


def test_curves_smooth_and_start_empty():
    x, y = np.arange(1, 101), np.r_[np.ones(50), np.zeros(50)]
    fig = curves_figure(["a"], [x], [y], y_title="loss", legend_title="s", smoothing=0.9)
    assert 0 < fig.data[0].y[60] < 1  # the step is smoothed
    empty = curves_figure(["a", "b"], [np.array([]), np.array([])], [np.array([]), np.array([])], y_title="loss",
                          legend_title="s")
    assert not empty.data and empty.layout.annotations[0].text == "Press Train to start"


def test_summary_puts_numbers_on_a_log_axis_in_value_order():
    fig = summary_figure(["0.1", "0.01", "0.001"], [0.1, 0.01, 0.001], [0.9, 0.95, None], setting="learning rate",
                         log_x=True)
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.range == (0, 1.02)
    markers = [t for t in fig.data if t.mode == "markers"]
    assert [(t.name, t.x[0], t.y[0]) for t in markers] == [("0.1", 0.1, 0.9), ("0.01", 0.01, 0.95)]
    assert list(fig.data[0].x) == [0.01, 0.1]  # the joining line, sorted by value
    _valid(fig)


@pytest.mark.parametrize(("labels", "values", "axis"), [(["relu", "tanh"], ["relu", "tanh"], "category"),
                                                       (["0", "0.01"], [0.0, 0.01], "linear")])
def test_summary_of_names_is_categorical_and_a_zero_leaves_the_log_axis(labels, values, axis):
    fig = summary_figure(labels, values, [0.5, 0.7], setting="s", kind=R2, metric_label="test R²", log_x=True)
    assert fig.layout.xaxis.type == axis and fig.layout.yaxis.range is None
    assert summary_figure(labels, values, [None, None], setting="s").layout.annotations[0].text.startswith("No var")
