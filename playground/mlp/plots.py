"""The MLP playground's figures: decision boundary, confusion matrix, predicted against true values.

Pure functions, as playground.plots: plain numpy arrays in, a plotly `Figure` out. Blue and orange, the first
two class colours, are also the ends of the diverging scale used for two classes and for regression, as in
tensorflow/playground. This module never imports streamlit or torch.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.colors import hex_to_rgb

from playground.mlp.views import MAX_POINTS_DRAWN
from playground.plots import (
    BLUES,
    CLASS_COLOURS,
    LEGEND_TOP,
    TRAIN_COLOUR,
    base_layout,
    class_colour,
    empty_figure,
    make_figure,
    plain_label,
    trace,
)

DIVERGING = [[0.0, CLASS_COLOURS[0]], [0.5, "#ffffff"], [1.0, CLASS_COLOURS[1]]]
BACKGROUND_OPACITY = 0.6  # boundary background drawn lighter than the points on top of it
# The boundary's legend in small type, so the square plot keeps most of the chart's height; below the plot, as the
# modebar's row of buttons covers the top of a chart about 310 pixels wide (beside the network view). (One entry
# per class, its test points grouped with it, hid both splits at a click, and "Reset axes" then left out the
# hidden class's part of the background.)
COMPACT_LEGEND = {"orientation": "h", "x": 0, "y": -0.14, "xanchor": "left", "yanchor": "top",
                  "itemsizing": "constant", "font": {"size": 11}}
SHARP_SCALE = 4  # pixels per grid cell of a discretized boundary's background (see _background_image)


def _class_labels(n: int, class_names: tuple[str, ...]) -> list[str]:
    names = [plain_label(class_names[c]) if c < len(class_names) else str(c) for c in range(n)]
    # names cut alike would merge into one category of the confusion matrix
    return names if len(set(names)) == n else [f"{name} ({c})" for c, name in enumerate(names)]


def _class_colours(probs: np.ndarray, discretize: bool) -> np.ndarray:
    """(H, G, C) class probabilities -> (H, G, 3) RGB in 0..255. Two classes: P(class 1) on the diverging
    scale (blue-white-orange); with discretize, the argmax class's end of it. More classes: each cell is the
    probability-weighted blend of class colours, faded to white as confidence falls to chance (1/C); with
    discretize, the argmax class's pure colour."""
    n = probs.shape[-1]
    if n == 2:
        return _diverging(probs.argmax(-1).astype(float) if discretize else probs[..., 1])
    palette = np.array([hex_to_rgb(class_colour(c)) for c in range(n)], dtype=float)  # (C, 3)
    if discretize:
        return palette[probs.argmax(-1)]
    confidence = np.clip((probs.max(-1) - 1.0 / n) / (1.0 - 1.0 / n), 0.0, 1.0)[..., None]
    return 255.0 + confidence * (probs @ palette - 255.0)


def _diverging(t: np.ndarray) -> np.ndarray:
    """Values in [0, 1] (clipped) -> RGB in 0..255 on DIVERGING, interpolated linearly in RGB between its
    stops as plotly.js interpolates a colorscale."""
    stops = [stop for stop, _ in DIVERGING]
    colours = np.array([hex_to_rgb(colour) for _, colour in DIVERGING], dtype=float)  # (stops, 3)
    t = np.clip(np.nan_to_num(np.asarray(t, float), nan=0.5), 0.0, 1.0)
    return np.stack([np.interp(t, stops, colours[:, k]) for k in range(3)], axis=-1)


def _background_image(rgb: np.ndarray, grid_x: np.ndarray, grid_y: np.ndarray, sharp: bool = False) -> dict:
    """A layout image (PNG data URI) of (H, G, 3) RGB cells centred on the grid points, under the traces.

    The background is a layout image, not a trace, because plotly.js redraws every trace when one of them
    changes: as a heatmap trace, the new background of each live refresh made the browser redraw all the
    data points on top too (35 of 40 ms per update for 700 points, measured in headless Chromium).
    Row 0 of `rgb` is grid_y[0], the bottom of the plot; a PNG's first row is its top. The browser smooths
    the image as it stretches it, which suits a probability; `sharp` (discretized classes) draws each cell
    as SHARP_SCALE x SHARP_SCALE pixels so that only a sliver of each cell is blended with its neighbours.
    """
    buffer = io.BytesIO()
    pixels = np.rint(np.nan_to_num(rgb[::-1], nan=255.0)).astype(np.uint8)  # no number: white, as no confidence
    if sharp:
        pixels = pixels.repeat(SHARP_SCALE, 0).repeat(SHARP_SCALE, 1)
    Image.fromarray(pixels, "RGB").save(buffer, format="PNG")
    half_x, half_y = (grid_x[1] - grid_x[0]) / 2, (grid_y[1] - grid_y[0]) / 2
    return {"source": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"),
            "xref": "x", "yref": "y", "x": float(grid_x[0] - half_x), "y": float(grid_y[-1] + half_y),
            "sizex": float(grid_x[-1] - grid_x[0] + 2 * half_x), "sizey": float(grid_y[-1] - grid_y[0] + 2 * half_y),
            "xanchor": "left", "yanchor": "top", "sizing": "stretch", "layer": "below",
            "opacity": BACKGROUND_OPACITY}


def boundary_figure(
    grid_x: np.ndarray,
    grid_y: np.ndarray,
    values: np.ndarray | None,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    task: str,
    class_names: tuple[str, ...] = (),
    discretize: bool = False,
    height: int = 420,
    axis_titles: tuple[str, str] = ("x₁", "x₂"),
) -> go.Figure:
    """Decision boundary (as in tensorflow/playground): the model's output over a grid, data on top.

    grid_x (G,), grid_y (H,): evenly spaced grid coordinates in input units, G, H >= 2. values:
    classification (H, G, C) class probabilities, C >= 2 (colours described in `_class_colours`);
    regression (H, G) predictions, on the diverging colour axis (with colorbar) that colours the points by
    target. The background is `layout.images[0]` (see `_background_image`); None draws only the points.
    x_train, x_test: (n, >=2) inputs, the first two columns are plotted (the first MAX_POINTS_DRAWN rows of
    each); y_train, y_test: (n,) class ids or targets.
    Classification points: one trace per class per split, "train · <class>" (circles, white outline)
    and "test · <class>" (diamonds, dark outline). Regression: traces "train" and "test".
    Axes share one scale (scaleanchor), titled `axis_titles`. Raises ValueError for an unknown task.
    """
    if task not in ("classification", "regression"):
        raise ValueError(f"task must be 'classification' or 'regression'; got {task!r}.")
    # The splits come shuffled (train_test_split), so their first rows are a fair sample.
    x_train, x_test = np.asarray(x_train, float)[:MAX_POINTS_DRAWN], np.asarray(x_test, float)[:MAX_POINTS_DRAWN]
    y_train, y_test = np.asarray(y_train).ravel()[:MAX_POINTS_DRAWN], np.asarray(y_test).ravel()[:MAX_POINTS_DRAWN]
    traces: list = []
    layout = base_layout("boundary", height, plot_bgcolor="#ffffff", legend=COMPACT_LEGEND)
    splits = (("train", x_train, y_train, {"symbol": "circle", "size": 7, "line": {"color": "#ffffff", "width": 1}}),
              ("test", x_test, y_test, {"symbol": "diamond", "size": 7, "line": {"color": "#333333", "width": 1}}))
    background = values is not None and len(grid_x) > 1 and len(grid_y) > 1
    if task == "classification":
        rgb = _class_points(traces, splits, values, class_names, discretize and background)
    else:
        rgb = _target_points(traces, layout, splits, values)
    rgb = rgb if background else None
    xaxis: dict = {"constrain": "domain", "title": {"text": plain_label(axis_titles[0])}}
    yaxis: dict = {"scaleanchor": "x", "scaleratio": 1, "constrain": "domain",
                   "title": {"text": plain_label(axis_titles[1])}}
    if rgb is not None:
        image = _background_image(rgb, grid_x, grid_y, sharp=discretize and task == "classification")
        layout["images"] = [image]
        x_extent, y_extent = [image["x"], image["x"] + image["sizex"]], [image["y"] - image["sizey"], image["y"]]
        # The view is the background's extent, also after "reset axes" (autorange leaves images out), and
        # grid lines, drawn above a layout image, are left out as the background covers the plot.
        for axis, extent in ((xaxis, x_extent), (yaxis, y_extent)):
            axis.update(range=extent, autorangeoptions={"include": extent}, showgrid=False, zeroline=False)
    layout.update(xaxis=xaxis, yaxis=yaxis)
    return make_figure(traces, layout)


def confusion_figure(matrix: np.ndarray, class_names: tuple[str, ...], *, height: int = 320) -> go.Figure:
    """Confusion matrix: (C, C) counts, rows = true class, columns = predicted class.

    Cells show the counts; their colour is the row fraction (recall per true class, 0..1), so an
    imbalanced class still reads clearly. The true class runs down the y axis, first class on top;
    tick labels take the class colours. An empty matrix gives an empty figure with a note.
    """
    counts = np.asarray(matrix)
    if counts.size == 0:
        return empty_figure("confusion", height)
    names = _class_labels(counts.shape[0], class_names)
    rows = counts.sum(axis=1, keepdims=True)
    fraction = np.divide(counts, rows, out=np.zeros(counts.shape, dtype=float), where=rows > 0)
    ticktext = [f"<span style='color:{class_colour(c)}'>{name}</span>" for c, name in enumerate(names)]
    heatmap = trace(
        "heatmap", z=fraction, x=names, y=names, text=counts.astype(int).astype(str), texttemplate="%{text}",
        zmin=0, zmax=1, colorscale=BLUES, showscale=False,
        hovertemplate="true %{y}, predicted %{x}: %{text} (%{z:.0%} of row)<extra></extra>",
    )
    axis = {"type": "category", "tickvals": names, "ticktext": ticktext}
    layout = base_layout("confusion", height, xaxis={**axis, "title": {"text": "predicted"}, "side": "bottom"},
                     yaxis={**axis, "title": {"text": "true"}, "autorange": "reversed"})
    return make_figure([heatmap], layout)


def prediction_figure(y_true: np.ndarray, y_pred: np.ndarray, *, height: int = 320) -> go.Figure:
    """Regression check: predicted against actual target (n,) each, with the y = x line named "ideal".

    Points on the line are perfect predictions. Axes share one scale. Empty gives a note.
    """
    y_true = np.asarray(y_true, float).ravel()
    y_pred = np.asarray(y_pred, float).ravel()
    if len(y_true) == 0:
        return empty_figure("prediction", height)
    both = np.concatenate([y_true, y_pred])
    both = both[np.isfinite(both)]
    lo, hi = (float(both.min()), float(both.max())) if len(both) else (0.0, 1.0)
    traces = [
        trace("scatter", x=y_true, y=y_pred, mode="markers", name="predictions",
                   marker={"color": TRAIN_COLOUR, "size": 6, "opacity": 0.7}),
        trace("scatter", x=[lo, hi], y=[lo, hi], mode="lines", name="ideal",
               line={"color": "#888888", "dash": "dash"}),
    ]
    layout = base_layout("prediction", height, xaxis={"title": {"text": "actual"}, "constrain": "domain"},
                     yaxis={"title": {"text": "predicted"}, "scaleanchor": "x", "scaleratio": 1, "constrain": "domain"},
                     legend=LEGEND_TOP)
    return make_figure(traces, layout)


def _class_points(traces: list, splits: tuple, values: np.ndarray | None, class_names: tuple[str, ...],
                  discretize: bool) -> np.ndarray | None:
    """Add a trace per class per split to `traces`; the background's RGB from the class probabilities `values`."""
    labels = np.concatenate([ys for _, _, ys, _ in splits])
    n = values.shape[-1] if values is not None else len(class_names) or int(labels.max(initial=-1)) + 1
    names = _class_labels(n, class_names)
    for split, xs, ys, marker in splits:
        for c in range(n):
            pts = xs[ys == c] if len(xs) else np.empty((0, 2))
            traces.append(trace("scatter", x=pts[:, 0], y=pts[:, 1], mode="markers", name=f"{split} · {names[c]}",
                                marker={**marker, "color": class_colour(c)}))
    return _class_colours(np.asarray(values, float), discretize) if values is not None else None


def _target_points(traces: list, layout: dict, splits: tuple, values: np.ndarray | None) -> np.ndarray | None:
    """Add a trace per split, coloured by target on a shared colour axis (set in `layout`); the background's
    RGB from the predicted `values` on that axis."""
    targets = np.concatenate([ys for _, _, ys, _ in splits]).astype(float)
    scale_from = targets if len(targets) else np.asarray(values if values is not None else [0.0, 1.0], float)
    colorbar = {"thickness": 12, "title": {"text": "y"}}
    cmin, cmax = float(np.nanmin(scale_from)), float(np.nanmax(scale_from))
    layout["coloraxis"] = {"colorscale": DIVERGING, "cmin": cmin, "cmax": cmax, "colorbar": colorbar}
    for split, xs, ys, marker in splits:
        pts = xs if len(xs) else np.empty((0, 2))
        traces.append(trace("scatter", x=pts[:, 0], y=pts[:, 1], mode="markers", name=split,
                            marker={**marker, "color": ys.astype(float), "coloraxis": "coloraxis"}))
    return _diverging((np.asarray(values, float) - cmin) / ((cmax - cmin) or 1.0)) if values is not None else None
