"""Tests for playground.attention.plots: the attention heatmap and the layers x heads grid."""

from __future__ import annotations

import numpy as np
import pytest


def test_attention_heatmap_cells_are_square_with_no_grid_lines_beside_them():
    from playground.attention import plots as attention_plots

    fig = attention_plots.attention_heatmap(np.eye(3), list("abc"))
    assert fig.layout.yaxis.scaleanchor == "x"
    for axis in (fig.layout.xaxis, fig.layout.yaxis):
        assert axis.showgrid is False and axis.constrain == "domain"


def test_attention_grid_labels_heads_across_and_layers_down_over_their_cells():
    from playground.attention import plots as attention_plots

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
    from playground.attention import plots as attention_plots

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


def test_attention_grid_is_valid_for_every_model_shape_the_form_allows():
    """Cell domains add up in floating point: 3 layers gave a bottom edge of -5.6e-17, which plotly refuses."""
    import plotly.graph_objects as go

    from playground.attention import plots as attention_plots

    for n_layers in range(1, 7):
        for n_heads in range(1, 9):
            fig = attention_plots.attention_grid(np.full((n_layers, n_heads, 2, 2), 0.5), selected=(n_layers - 1, 0))
            go.Figure(fig.to_dict())  # raises on a domain outside [0, 1]
