"""Health figures: their traces checked through fig.data, and plotly's validation accepts them."""

import numpy as np
import plotly.graph_objects as go

from playground.mlp.health_plots import READINGS, health_figure, histogram_figure, layer_names, series
from tests.playground.mlp.test_coach import health


def test_a_reading_draws_a_line_per_layer_and_leaves_out_layers_without_it():
    step = np.array([10.0, 20.0, 30.0])
    healths = [health(grad=(g, 1.0, 2.0)) for g in (0.1, 0.2, 0.3)]
    names = layer_names(healths[0].activations)
    assert names == ["layer 1 (relu)", "layer 2 (tanh)", "output"]
    grad = next(r for r in READINGS if r.field == "grad_norm")
    fig = health_figure(step, series(healths, "grad_norm"), names, grad)
    assert [t.name for t in fig.data] == names and list(fig.data[0].y) == [0.1, 0.2, 0.3]
    assert fig.layout.yaxis.type == "log"
    dead = next(r for r in READINGS if r.field == "dead")
    fig = health_figure(step, series(healths, "dead"), names, dead)
    assert [t.name for t in fig.data] == ["layer 1 (relu)"]  # tanh and the output layer have no dead units
    go.Figure(fig.to_dict())  # plotly's validation accepts it


def test_histogram_puts_each_evaluations_bins_on_common_bins_and_keeps_every_weight():
    step = np.array([1.0, 2.0])
    counts = np.array([[3.0, 1.0], [0.0, 4.0]])  # two bins per evaluation
    ranges = np.array([[-1.0, 0.0], [0.0, 1.0]])  # the weights moved from [-1, 0] to [0, 1]
    fig = histogram_figure(step, counts, ranges, "layer 1 (relu)", bins=4)
    heat = fig.data[0]
    z = np.array(heat.customdata)  # (bins, steps) counts
    assert z.shape == (4, 2)
    np.testing.assert_allclose(z, [[3, 0], [1, 0], [0, 0], [0, 4]])
    half = histogram_figure(step, counts, np.array([[-1.0, 0.0], [-1.0, 1.0]]), "x", bins=4)  # wider bins split
    np.testing.assert_allclose(np.array(half.data[0].customdata)[:, 1], [0, 0, 2, 2])
    np.testing.assert_allclose(heat.y, [-0.75, -0.25, 0.25, 0.75])
    go.Figure(fig.to_dict())


def test_histogram_of_a_single_weight_keeps_it():
    fig = histogram_figure(np.array([1.0, 2.0]), np.array([[1.0, 0.0], [1.0, 0.0]]),
                           np.array([[0.5, 0.5], [0.7, 0.7]]), "output", bins=4)
    z = np.array(fig.data[0].customdata)
    np.testing.assert_allclose(z.sum(0), [1, 1])
    assert z[0, 0] == 1 and z[-1, 1] == 1
