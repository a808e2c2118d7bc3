"""The network view's figures: every shown neuron as a picture of its output over the input plane, the links
between them by weight, and one neuron drawn large with its incoming weights and bias.

Pure functions, as playground.plots: a `NetworkView` (numpy arrays) in, a plotly `Figure` out; no streamlit,
no torch. Pictures are layout images (small PNGs), as the boundary's background, so a live refresh redraws
no trace for them; links are one line trace per sign and width band (a handful of traces, not one per link).
Colours follow tensorflow/playground's reading: orange for positive values and weights, blue for negative,
white for zero, on the boundary's diverging scale.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from playground.mlp.layer_stats import LayersView
from playground.mlp.network import LayerView, NetworkView, unit_scales
from playground.mlp.plots import DIVERGING, _diverging
from playground.plots import CLASS_COLOURS, EMPTY_MESSAGE, base_layout, empty_figure, make_figure, plain_label, trace

PICTURE = 5 / 6  # a picture's side, in the figure's units (one unit between rows; both axes share the unit): 20
# pixels of a 24-pixel slot at network.THUMB = 20
ASPECT = 1.0  # the width over the height the view is laid out for (a column of about 430 by 420 pixels)
MIN_GAP = 1.6  # units between columns at least, so links have room between pictures
LINK_WIDTHS = (0.4, 1.0, 1.8, 3.0)  # pixels, for |weight| in each quarter of the view's largest |weight|
POSITIVE, NEGATIVE = CLASS_COLOURS[1], CLASS_COLOURS[0]  # orange, blue
MAX_HOVER_WEIGHTS = 16  # incoming weights listed in a neuron's tooltip


def positions(view: NetworkView) -> list[np.ndarray]:
    """Per column, the (k,) vertical centre of each shown unit: columns centred on the tallest one, the first
    unit on top."""
    tallest = max(len(layer.units) for layer in view.layers)
    return [(tallest - 1) / 2 + (len(layer.units) - 1) / 2 - np.arange(len(layer.units)) for layer in view.layers]


def column_gap(view: NetworkView) -> float:
    """Units between columns: the rows' height spread over the columns to fill a plot of about ASPECT, so a
    picture is as large as the tallest column allows and the links get the width that is left."""
    rows, gaps = max(len(layer.units) for layer in view.layers), max(len(view.layers) - 1, 1)
    return max(MIN_GAP, (ASPECT * (rows + 1) - 1) / gaps)


def _links(view: NetworkView, ys: list[np.ndarray]) -> list[dict]:
    """One line trace per (sign, width band) joining a unit's right edge to the next column's units' left edges,
    each link a segment [start, end, NaN] (numpy arrays: cheap to copy and to send); the band of a link is its
    |weight| over the view's largest, in quarters. Non-finite weights are left out."""
    gap, parts = column_gap(view), []
    for c, layer in enumerate(view.layers[1:], start=1):
        i, j = np.indices(layer.weights.shape).reshape(2, -1)
        parts.append((layer.weights.ravel().astype(float), ys[c - 1][j], ys[c][i], c))
    if not parts:
        return []
    w = np.concatenate([p[0] for p in parts])
    y0, y1 = np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts])
    x1 = np.concatenate([np.full(len(p[0]), p[3] * gap - PICTURE / 2) for p in parts])
    finite = np.isfinite(w)
    largest = float(np.abs(w[finite]).max()) if finite.any() else 0.0
    bands = len(LINK_WIDTHS)
    band = np.minimum((np.abs(np.nan_to_num(w)) / (largest or 1.0) * bands).astype(int), bands - 1)
    traces = []
    for positive in (False, True):
        for b in range(len(LINK_WIDTHS)):
            pick = finite & (band == b) & ((w >= 0) == positive)
            if not pick.any():
                continue
            gaps = np.full(int(pick.sum()), np.nan)
            xs = np.stack([x1[pick] - gap + PICTURE, x1[pick], gaps], 1).ravel()
            ys_ = np.stack([y0[pick], y1[pick], gaps], 1).ravel()
            traces.append(trace("scatter", x=xs, y=ys_, mode="lines", hoverinfo="skip", showlegend=False,
                                name=f"{'positive' if positive else 'negative'} weights {b + 1}",
                                line={"color": POSITIVE if positive else NEGATIVE, "width": LINK_WIDTHS[b]},
                                opacity=0.2 + 0.1 * b))
    return traces


def _hover(layer: LayerView, previous: LayerView | None, i: int) -> str:
    """A neuron's tooltip: its layer and name, its bias and its incoming weights from the shown units."""
    head = f"{plain_label(layer.name)} · {plain_label(layer.labels[i])}"
    if layer.weights is None or previous is None:
        return head
    incoming = ", ".join(f"{plain_label(name)} {w:+.2f}" for name, w in
                         list(zip(previous.labels, layer.weights[i], strict=True))[:MAX_HOVER_WEIGHTS])
    return f"{head}<br>bias {float(layer.bias[i]):+.3f}<br>weights in: {incoming}"


def column_image(layer: LayerView) -> dict:
    """{"source": a PNG data URI} of a column's pictures stacked top to bottom, one per unit, each T x T pixels
    (row 0 of a picture is the plane's bottom, drawn at the bottom) in a slot of T + g rows whose g rows around
    it are transparent, so a slot of the image is one unit of the figure and the picture PICTURE of it. One PNG
    per column, not per unit: a live refresh encodes a handful of images (a view has up to 80 pictures)."""
    images = np.asarray(layer.images, np.float32)  # (k, T, T)
    k, t = images.shape[0], images.shape[1]
    g = max(2, round(t * (1 - PICTURE) / PICTURE / 2) * 2)  # transparent rows per slot, split above and below
    scale = unit_scales(images)[:, None, None]
    rgb = _diverging(0.5 + 0.5 * np.nan_to_num(images[:, ::-1], nan=0.0) / scale)  # (k, T, T, 3)
    slots = np.zeros((k, t + g, t, 4), np.uint8)
    slots[:, g // 2 : g // 2 + t, :, :3] = np.rint(rgb)
    slots[:, g // 2 : g // 2 + t, :, 3] = 255
    buffer = io.BytesIO()
    Image.fromarray(slots.reshape(k * (t + g), t, 4), "RGBA").save(buffer, format="PNG", compress_level=1)  # fast
    return {"source": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")}


def network_figure(view: NetworkView | None, *, height: int = 420, empty_message: str = EMPTY_MESSAGE) -> go.Figure:
    """The network as columns of pictures, inputs on the left, output on the right, links drawn by weight.

    Each column is one layout image (`column_image`): its units' values over `view.x` x `view.y` on the
    diverging scale, each scaled by its own largest |value| (`unit_scales`), one picture per unit one unit apart;
    a trace "neurons" puts a marker on each picture for its tooltip (`_hover`). A column's title says how many
    units it shows of how many. None: an empty figure with `empty_message`.
    """
    if view is None or not view.layers:
        return empty_figure("network", height, empty_message)
    ys, gap = positions(view), column_gap(view)
    images, annotations, marks = [], [], {"x": [], "y": [], "text": []}
    top = max(float(y.max()) for y in ys) + 0.5
    for c, layer in enumerate(view.layers):
        previous = view.layers[c - 1] if c else None
        images.append({**column_image(layer), "xref": "x", "yref": "y", "x": c * gap, "y": float(ys[c][0]) + 0.5,
                       "sizex": PICTURE, "sizey": float(len(layer.units)), "xanchor": "center", "yanchor": "top",
                       "sizing": "stretch", "layer": "above"})
        for i, y in enumerate(ys[c]):
            marks["x"].append(c * gap)
            marks["y"].append(float(y))
            marks["text"].append(_hover(layer, previous, i))
        hidden = layer.n_units - len(layer.units)
        title = plain_label(layer.name) + (f"<br>{len(layer.units)} of {layer.n_units}" if hidden else "")
        annotations.append({"x": c * gap, "y": top, "xref": "x", "yref": "y", "text": title, "showarrow": False,
                            "yanchor": "bottom", "font": {"size": 10}})
    neurons = trace("scatter", mode="markers", name="neurons", showlegend=False, hovertemplate="%{text}<extra></extra>",
                    marker={"symbol": "square", "size": 10, "color": "rgba(0,0,0,0)"}, **marks)
    n_cols = len(view.layers)
    axis = {"visible": False, "fixedrange": True}
    layout = base_layout("network", height, images=images, annotations=annotations, showlegend=False,
                         xaxis={**axis, "range": [-0.6, (n_cols - 1) * gap + 0.6], "constrain": "domain"},
                         yaxis={**axis, "range": [min(float(y.min()) for y in ys) - 0.5, top + 0.9],
                                "scaleanchor": "x", "constrain": "domain"},
                         hovermode="closest")
    return make_figure([*_links(view, ys), neurons], layout)


def neuron_figure(view: NetworkView, column: int, unit: int, *, height: int = 300) -> go.Figure:
    """One neuron drawn large: its picture as a heatmap over the plane (0 white) beside a bar per incoming
    weight and its bias (bars orange for positive, blue for negative). `column` and `unit` index
    `view.layers` and that layer's shown units; out of range raises IndexError."""
    layer = view.layers[column]
    z = np.asarray(layer.images[unit], np.float32)
    scale = float(unit_scales(z[None])[0])
    heat = trace("heatmap", x=view.x, y=view.y, z=z, colorscale=DIVERGING, zmin=-scale, zmax=scale, xaxis="x",
                 yaxis="y", colorbar={"thickness": 10, "x": 0.46, "len": 0.9}, name="output",
                 hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}: %{z:.3f}<extra></extra>")
    traces = [heat]
    if layer.weights is not None:
        names = [plain_label(n) for n in view.layers[column - 1].labels] + ["bias"]
        values = np.append(layer.weights[unit], layer.bias[unit]).astype(float)
        colours = [POSITIVE if v >= 0 else NEGATIVE for v in values]
        traces.append(trace("bar", x=values, y=names, orientation="h", xaxis="x2", yaxis="y2", name="weights in",
                            marker={"color": colours}, hovertemplate="%{y}: %{x:+.3f}<extra></extra>"))
    layout = base_layout("neuron", height, showlegend=False,
                         title={"text": f"{plain_label(layer.name)} · {plain_label(layer.labels[unit])}",
                                "font": {"size": 13}, "x": 0.01},
                         xaxis={"domain": [0, 0.42], "constrain": "domain"},
                         yaxis={"scaleanchor": "x", "constrain": "domain"},
                         xaxis2={"domain": [0.6, 1.0], "anchor": "y2", "zeroline": True},
                         yaxis2={"anchor": "x2", "autorange": "reversed", "type": "category"})
    layout["margin"] = {"l": 10, "r": 10, "t": 36, "b": 10}
    return make_figure(traces, layout)


def layers_figure(view: LayersView | None, *, height: int = 420) -> go.Figure:
    """A table's network view: per layer (a column, inputs side on the left) a heatmap of its weight matrix
    (rows its units, columns the previous layer's; 0 white, orange positive, blue negative, one scale per
    matrix) above a histogram of its outputs on the test split. Traces "weights · <layer>" and
    "outputs · <layer>". None: an empty figure."""
    if view is None or not view.layers:
        return empty_figure("layers", height)
    n, traces, layout = len(view.layers), [], base_layout("layers", height, showlegend=False)
    width = 1.0 / n
    for i, layer in enumerate(view.layers):
        domain = [i * width + 0.02, (i + 1) * width - 0.02]
        ax = "" if i == 0 else str(i + 1)
        hx = str(n + i + 1)
        scale = float(np.abs(layer.weights).max()) if layer.weights.size else 1.0
        cut = f"<br>top {layer.weights.shape[0]} of {layer.n_units}" if layer.weights.shape[0] < layer.n_units else ""
        traces.append(trace("heatmap", z=layer.weights, colorscale=DIVERGING, zmin=-(scale or 1.0), zmax=scale or 1.0,
                            showscale=False, xaxis=f"x{ax}", yaxis=f"y{ax}", name=f"weights · {layer.name}",
                            hovertemplate="unit %{y} ← %{x}: %{z:+.3f}<extra></extra>"))
        centres = (layer.edges[:-1] + layer.edges[1:]) / 2
        traces.append(trace("bar", x=centres, y=layer.counts, xaxis=f"x{hx}", yaxis=f"y{hx}",
                            name=f"outputs · {layer.name}", marker={"color": "#808495"},
                            hovertemplate="%{x:.2f}: %{y}<extra></extra>"))
        layout[f"xaxis{ax}"] = {"domain": domain, "anchor": f"y{ax}", "showticklabels": False,
                                "title": {"text": f"{plain_label(layer.name)}{cut}", "font": {"size": 10}}}
        layout[f"yaxis{ax}"] = {"domain": [0.42, 1.0], "anchor": f"x{ax}", "autorange": "reversed",
                                "showticklabels": False}
        layout[f"xaxis{hx}"] = {"domain": domain, "anchor": f"y{hx}", "tickfont": {"size": 9}}
        layout[f"yaxis{hx}"] = {"domain": [0.0, 0.3], "anchor": f"x{hx}", "showticklabels": False}
    return make_figure(traces, layout)
