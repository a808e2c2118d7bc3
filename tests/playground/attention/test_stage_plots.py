"""Figures of the stages, the heads' stories and the output probabilities: their data and plotly's validation."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
import torch

from playground.attention import stage_plots, stages
from playground.attention.model import attention_stages
from playground.attention.sampling import NextChar


def _valid(fig: go.Figure) -> go.Figure:
    validated = go.Figure(fig.to_dict())  # raises for a property plotly does not know
    assert json.loads(pio.to_json(fig, validate=False)) == json.loads(pio.to_json(validated, validate=False))
    return fig


def _head(causal: bool, t: int = 4, d_k: int = 2) -> stages.HeadStages:
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(t, d_k, generator=g) for _ in range(3))
    mask = torch.ones(t, t, dtype=torch.bool).tril() if causal else None
    s = attention_stages(q, k, v, mask)
    return stages.head_stages(s.scores.numpy(), None if mask is None else mask.numpy(), s.weights.numpy(),
                              s.out.numpy())


@pytest.mark.parametrize("causal", [False, True])
def test_stages_figure_shows_each_stage_with_masked_cells_blank(causal):
    h = _head(causal)
    fig = _valid(stage_plots.stages_figure(h, ["a", "b", "c", "d"]))
    assert [t.name for t in fig.data] == list(stage_plots.STAGE_TITLES)
    scores, scaled, masked, weights, out = (np.array(t.z, dtype=float) for t in fig.data)
    np.testing.assert_allclose(scores, h.scores, rtol=1e-6)
    np.testing.assert_allclose(scaled, h.scores / np.sqrt(2), rtol=1e-5)
    np.testing.assert_allclose(weights, h.weights)
    assert out.shape == (4, 2) and list(fig.data[4].x) == ["d1", "d2"]
    assert np.isnan(masked[0, 1:]).all() == causal and not np.isnan(np.tril(masked)).any()
    assert "%{z:.3f}" in fig.data[3].hovertemplate and fig.data[3].zmax == 1.0


def test_head_story_figure_draws_each_pattern_and_the_entropy():
    steps = np.array([0, 25, 50])
    shares = np.array([[0.1, 0.2, 0.1], [0.2, 0.1, 0.0], [0.1, 0.1, 0.0], [0.1, 0.5, 0.95]])
    entropy = np.array([2.2, 1.0, 0.1])
    names = stages.patterns(True)
    fig = _valid(stage_plots.head_story_figure(steps, entropy, shares, names))
    assert [t.name for t in fig.data] == [*names, "entropy"]
    np.testing.assert_allclose(fig.data[3].y, [0.1, 0.5, 0.95])
    assert fig.data[4].yaxis == "y2" and fig.layout.yaxis2.type == "linear"
    smoothed = stage_plots.head_story_figure(steps, entropy, shares, names, smoothing=0.5, log_y=True)
    assert smoothed.layout.yaxis2.type == "log"
    assert smoothed.data[3].y[0] == pytest.approx(0.1) and smoothed.data[3].y[2] < 0.95  # a moving average


def test_heads_story_grid_draws_a_small_line_per_head_coloured_by_its_latest_value():
    steps = np.array([0, 50, 100])
    values = np.zeros((3, 2, 2))
    values[:, 0, 0] = [0.1, 0.5, 0.9]  # L1 H1 locks in
    values[:, 1, 1] = [0.2, 0.2, 0.2]
    fig = _valid(stage_plots.heads_story_grid(steps, values, "mirror share", selected=(1, 0)))
    assert [t.name for t in fig.data] == ["L1 H1", "L1 H2", "L2 H1", "L2 H2"]
    np.testing.assert_allclose(fig.data[0].y, [0.1, 0.5, 0.9])
    assert fig.data[2].xaxis == "x3" and fig.data[2].yaxis == "y3"
    fills = [s.fillcolor for s in fig.layout.shapes]
    assert len(set(fills)) == 3 and fills[1] == fills[2]  # 0.9, 0.0 (twice) and 0.2 get their own colours
    assert [a.text for a in fig.layout.annotations] == ["0.90", "0.00", "0.00", "0.20", "H1", "H2", "L1", "L2"]
    assert fig.layout.shapes[2].line.width == 2 and fig.layout.shapes[0].line.width == 0  # the selected head
    assert fig.layout.yaxis.range[1] == pytest.approx(1.05)


def test_output_bars_for_a_classifier_and_a_tagger():
    fig = _valid(stage_plots.class_bars_figure(["negative", "positive"], np.array([0.2, 0.8])))
    assert list(fig.data[0].x) == ["negative", "positive"] and list(fig.data[0].y) == [0.2, 0.8]
    dist = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    fig = _valid(stage_plots.position_bars_figure(["x", "y"], ["0", "1", "2"], dist))
    np.testing.assert_allclose(fig.data[0].y, [0.7, 0.6])
    assert list(fig.data[0].text) == ["0", "2"] and fig.data[0].customdata[1].startswith("2: 0.600")


def test_next_char_bars_show_the_model_and_the_draw_for_the_most_likely():
    model = np.linspace(1, 30, 30)[::-1] / np.linspace(1, 30, 30).sum()
    draw = np.where(np.arange(30) < 3, model, 0)
    d = NextChar([chr(97 + i % 26) + str(i // 26) for i in range(30)], model, draw / draw.sum())
    fig = _valid(stage_plots.next_char_figure(d))
    assert [t.name for t in fig.data] == ["model", "draw"] and len(fig.data[0].x) == stage_plots.MAX_BARS
    assert list(fig.data[0].x[:2]) == ["a0", "b0"] and fig.data[1].y[3] == 0 and fig.data[1].y[0] > fig.data[0].y[0]
