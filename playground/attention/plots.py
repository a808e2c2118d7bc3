"""Attention figures: one head as a heatmap with tokens on both axes, and a layers x heads overview.

Pure functions from numpy arrays to plotly figures, redrawn live while a Transformer trains. Rows are
queries (the position that attends), columns keys (the positions attended to); every row sums to 1.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.plots import BLUES, TEMPLATE, make_figure

COLORSCALE = BLUES
_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}


def _labels(tokens: list[str]) -> list[str]:
    """Unique axis labels: plotly merges equal category names, so repeated tokens get their position."""
    return [f"{t}·{i}" for i, t in enumerate(tokens)]


MAX_ROW_LABELS = 16  # query labels stack one per row: beyond this many rows they run into each other


def attention_heatmap(weights: np.ndarray, tokens: list[str], *, height: int = 420) -> go.Figure:
    """One head's attention (T, T) with the T tokens on both axes; hover shows query, key and weight.

    Over MAX_ROW_LABELS tokens, the query axis labels every k-th row (k = ceil(T / MAX_ROW_LABELS)) and so does
    the key axis unless every token is one character (those fit side by side and read as the text) and there
    are at most twice MAX_ROW_LABELS of them.
    """
    labels = _labels(tokens)
    every = -(-len(tokens) // MAX_ROW_LABELS)
    sparse = [t if i % every == 0 else "" for i, t in enumerate(tokens)]
    wide = any(len(t) > 1 for t in tokens) or len(tokens) > 2 * MAX_ROW_LABELS  # 33+ characters overlap too
    heatmap = {
        "type": "heatmap", "z": weights, "x": labels, "y": labels, "zmin": 0.0, "zmax": 1.0,
        "colorscale": COLORSCALE, "hovertemplate": "query %{y}<br>key %{x}<br>weight %{z:.3f}<extra></extra>",
        "colorbar": {"title": {"text": "weight"}, "thickness": 12},
    }
    layout = {
        "height": height, "margin": _MARGIN, "uirevision": "attention", "template": TEMPLATE,
        # Square cells (scaleanchor) that fill the plot (constrain: domain), with no grid lines beside them.
        "xaxis": {"title": {"text": "key (attended to)"}, "type": "category", "side": "top", "showgrid": False,
                  "constrain": "domain",
                  "tickangle": -45 if any(len(t) > 2 for t in tokens) else 0,  # words would overlap side by side
                  "tickmode": "array", "tickvals": labels, "ticktext": sparse if wide else tokens},
        "yaxis": {"title": {"text": "query"}, "type": "category", "autorange": "reversed", "showgrid": False,
                  "constrain": "domain", "tickmode": "array", "tickvals": labels, "ticktext": sparse,
                  "scaleanchor": "x"},
    }
    return make_figure([heatmap], layout)


def attention_grid(attention: np.ndarray, *, selected: tuple[int, int] | None = None, height: int = 320) -> go.Figure:
    """Every head of every layer, (L, H, T, T), as small heatmaps: layers down, heads across.

    Built with explicit axis domains (one heatmap trace per head) rather than make_subplots, which is
    several times slower to build for a figure redrawn twice a second. The selected (layer, head) is
    outlined. Columns are labelled H1, H2, ... and rows L1, L2, ...: short, as "head 1" labels ran into
    each other over four heads in the page's column.
    """
    n_layers, n_heads = attention.shape[:2]
    gap = 0.02
    w, h = (1 - gap * (n_heads - 1)) / n_heads, (1 - gap * (n_layers - 1)) / n_layers
    traces: list[dict] = []
    layout: dict = {"height": height, "margin": {"l": 30, "r": 10, "t": 20, "b": 10}, "uirevision": "attention-grid",
                    "template": TEMPLATE}
    for layer in range(n_layers):
        for head in range(n_heads):
            k = layer * n_heads + head + 1
            xa, ya = f"x{k}" if k > 1 else "x", f"y{k}" if k > 1 else "y"
            traces.append({
                "type": "heatmap", "z": attention[layer, head], "xaxis": xa, "yaxis": ya, "zmin": 0.0, "zmax": 1.0,
                "colorscale": COLORSCALE, "showscale": False, "name": f"layer {layer + 1} · head {head + 1}",
                "hovertemplate": f"layer {layer + 1} · head {head + 1}<br>query %{{y}} · key %{{x}}"
                                 "<br>weight %{z:.3f}<extra></extra>",
            })
            x0, y1 = head * (w + gap), 1 - layer * (h + gap)
            axis = {"showticklabels": False, "ticks": "", "showgrid": False, "zeroline": False}
            layout[f"xaxis{k if k > 1 else ''}"] = {**axis, "domain": _span(x0, x0 + w), "anchor": ya}
            layout[f"yaxis{k if k > 1 else ''}"] = {**axis, "domain": _span(y1 - h, y1), "anchor": xa,
                                                    "autorange": "reversed"}
    annotations = [{"text": f"H{i + 1}", "x": i * (w + gap) + w / 2, "y": 1.0, "xref": "paper",
                    "yref": "paper", "yanchor": "bottom", "showarrow": False, "font": {"size": 11}}
                   for i in range(n_heads)]
    annotations += [{"text": f"L{j + 1}", "x": 0, "y": 1 - j * (h + gap) - h / 2, "xref": "paper", "yref": "paper",
                     "xanchor": "right", "showarrow": False, "font": {"size": 11}} for j in range(n_layers)]
    layout["annotations"] = annotations
    if selected is not None:
        layer, head = selected
        x0, y1 = head * (w + gap), 1 - layer * (h + gap)
        layout["shapes"] = [{"type": "rect", "xref": "paper", "yref": "paper", "x0": x0, "x1": x0 + w,
                             "y0": y1 - h, "y1": y1, "line": {"color": "#d62728", "width": 2}}]
    return make_figure(traces, layout)


def _span(start: float, end: float) -> list[float]:
    """An axis domain within [0, 1]: sums of the cell sizes can land just outside it (3 layers gave a bottom of
    -5.6e-17, which plotly refuses)."""
    return [min(max(round(start, 9), 0.0), 1.0), min(max(round(end, 9), 0.0), 1.0)]
