"""Figures of one head taken apart, of each head's story over training, and of the model's output probabilities.

Pure functions from numpy arrays (and the frozen results of playground.attention.stages and .sampling) to plotly
figures. Heatmaps are built with explicit axis domains, as `attention_grid` is, to stay cheap to redraw.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from playground.attention.plots import COLORSCALE, _labels
from playground.attention.sampling import NextChar
from playground.attention.stages import HeadStages
from playground.plots import LEGEND_TOP, base_layout, class_colour, make_figure, trace
from playground.series import smooth

DIVERGING = [[0.0, "#2166ac"], [0.5, "#f7f7f7"], [1.0, "#b2182b"]]  # scores and outputs: negative blue, positive red
STAGE_TITLES = ("Q Kᵀ", "÷ √d_k", "masked", "softmax", "output: weights · V")
MAX_BARS = 20  # next-character bars: the most likely this many


def _stage_traces(h: HeadStages, labels: list[str]) -> list[tuple[np.ndarray, dict]]:
    """(z, style) per stage; masked cells (-inf) become gaps, their hover says so."""
    masked = np.where(np.isneginf(h.masked), np.nan, h.masked)
    limit = float(np.nanmax(np.abs(h.scores))) or 1.0
    scaled_limit = limit / np.sqrt(h.d_k)
    out_limit = float(np.abs(h.out).max()) or 1.0
    return [
        (h.scores, {"zmin": -limit, "zmax": limit, "colorscale": DIVERGING}),
        (h.scaled, {"zmin": -scaled_limit, "zmax": scaled_limit, "colorscale": DIVERGING}),
        (masked, {"zmin": -scaled_limit, "zmax": scaled_limit, "colorscale": DIVERGING}),
        (h.weights, {"zmin": 0.0, "zmax": 1.0, "colorscale": COLORSCALE}),
        (h.out, {"zmin": -out_limit, "zmax": out_limit, "colorscale": DIVERGING}),
    ]


def stages_figure(h: HeadStages, tokens: list[str], *, height: int = 260) -> go.Figure:
    """softmax(Q K^T / sqrt(d_k)) V of one head, stage by stage, side by side: five small heatmaps, queries down.

    Traces are named after STAGE_TITLES; the first four are (T, T) over keys, the output (T, d_k) over its d_k
    dimensions. Masked cells are left blank (NaN; hover: "masked").
    """
    labels = _labels(tokens)
    t, gap = len(tokens), 0.03
    widths = np.full(5, (1 - gap * 4) / 5)  # equal panels: the titles never run into each other
    traces, layout = [], base_layout("attention-stages", height, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    annotations, x0 = [], 0.0
    for i, ((z, style), title) in enumerate(zip(_stage_traces(h, labels), STAGE_TITLES, strict=True)):
        k = "" if i == 0 else str(i + 1)
        x = labels if i < 4 else [f"d{j + 1}" for j in range(h.d_k)]
        what = "key %{x}" if i < 4 else "dimension %{x}"
        traces.append(trace("heatmap", z=z, x=x, y=labels, name=title, xaxis=f"x{k}", yaxis=f"y{k}",
                            showscale=False, hoverongaps=True,
                            hovertemplate=f"{title}<br>query %{{y}} · {what}<br>%{{z:.3f}}<extra></extra>", **style))
        axis = {"showticklabels": False, "ticks": "", "showgrid": False, "zeroline": False, "type": "category"}
        layout[f"xaxis{k}"] = {**axis, "domain": [round(x0, 9), round(min(x0 + widths[i], 1.0), 9)],
                               "anchor": f"y{k}"}
        layout[f"yaxis{k}"] = {**axis, "anchor": f"x{k}", "autorange": "reversed",
                               **({"showticklabels": t <= 16, "tickmode": "array", "tickvals": labels,
                                   "ticktext": tokens} if i == 0 else {})}
        annotations.append({"text": title, "x": x0 + widths[i] / 2, "y": 1.0, "xref": "paper", "yref": "paper",
                            "yanchor": "bottom", "showarrow": False, "font": {"size": 12}})
        x0 += widths[i] + gap
    layout["annotations"] = annotations
    layout["plot_bgcolor"] = "#eeeeee"  # masked cells show as grey gaps
    return make_figure(traces, layout)


def head_story_figure(
    steps: np.ndarray, entropy: np.ndarray, shares: np.ndarray, names: tuple[str, ...], *, smoothing: float = 0.0,
    log_y: bool = False, height: int = 240,
) -> go.Figure:
    """One head over the run's evaluations: each pattern's share (left axis, 0 to 1) and the entropy in nats
    (right axis; log scale with `log_y`). steps (n,), entropy (n,), shares (P, n). Smoothed as the loss is
    (`playground.series.smooth`) when smoothing > 0. Traces: one per pattern name, then "entropy"."""
    traces = []
    for i, name in enumerate(names):
        y = smooth(shares[i], smoothing) if smoothing > 0 and len(steps) else shares[i]
        traces.append(trace("scatter", x=steps, y=y, name=name, mode="lines", line={"color": class_colour(i)},
                            hovertemplate=f"{name} %{{y:.2f}}<extra></extra>"))
    e = smooth(entropy, smoothing) if smoothing > 0 and len(steps) else entropy
    traces.append(trace("scatter", x=steps, y=e, name="entropy", yaxis="y2", mode="lines",
                        line={"color": "#555555", "dash": "dot"}, hovertemplate="entropy %{y:.2f} nats<extra></extra>"))
    layout = base_layout(
        "head-story-log" if log_y else "head-story", height, legend=LEGEND_TOP, hovermode="x unified",
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis={"title": {"text": "step"}}, yaxis={"title": {"text": "share"}, "range": [0, 1.02]},
        yaxis2={"title": {"text": "entropy (nats)"}, "overlaying": "y", "side": "right", "showgrid": False,
                "type": "log" if log_y else "linear", "rangemode": "tozero", "tickmode": "auto"})
    return make_figure(traces, layout)


def heads_story_grid(steps: np.ndarray, values: np.ndarray, label: str, *, top: float = 1.0,
                     selected: tuple[int, int] | None = None, height: int = 240) -> go.Figure:
    """Every head's story in one statistic: values (n_evals, n_layers, n_heads) against steps (n_evals,) as small
    lines, layers down (L1, L2, ...) and heads across (H1, H2, ...), each cell coloured by its latest value (0 to
    `top`: 1 for a share, ln T for entropy) and showing it at its top; the selected (layer, head) outlined.
    One trace per head, named "L1 H1"."""
    _, n_layers, n_heads = values.shape
    gap = 0.04
    w, h = (1 - gap * (n_heads - 1)) / n_heads, (1 - gap * (n_layers - 1)) / n_layers
    traces, shapes, notes = [], [], []
    layout = base_layout("heads-story-grid", height, margin={"l": 10, "r": 10, "t": 20, "b": 10}, showlegend=False)
    for layer in range(n_layers):
        for head in range(n_heads):
            k = layer * n_heads + head + 1
            xa, ya = (f"x{k}", f"y{k}") if k > 1 else ("x", "y")
            y = values[:, layer, head]
            last = float(np.nan_to_num(y[-1])) if len(y) else 0.0  # NaN: a pattern undefined on a 1-token input
            traces.append(trace("scatter", x=steps, y=y, name=f"L{layer + 1} H{head + 1}", xaxis=xa, yaxis=ya,
                                mode="lines", line={"color": "#08306b", "width": 1.5},
                                hovertemplate=f"layer {layer + 1} · head {head + 1}<br>step %{{x}}<br>{label} "
                                              "%{y:.3f}<extra></extra>"))
            x0, y1 = head * (w + gap), 1 - layer * (h + gap)
            axis = {"showticklabels": False, "ticks": "", "showgrid": False, "zeroline": False}
            layout[f"xaxis{k if k > 1 else ''}"] = {**axis, "domain": [round(x0, 9), round(min(x0 + w, 1), 9)],
                                                    "anchor": ya}
            layout[f"yaxis{k if k > 1 else ''}"] = {**axis, "domain": [round(max(y1 - h, 0), 9), round(y1, 9)],
                                                    "anchor": xa, "range": [0, top * 1.05]}
            fill = sample_colorscale(COLORSCALE, [min(max(last / top, 0.0), 1.0) * 0.6])[0]  # light enough for a line
            outline = {"color": "#d62728", "width": 2} if selected == (layer, head) else {"width": 0}
            shapes.append({"type": "rect", "xref": "paper", "yref": "paper", "x0": x0, "x1": x0 + w, "y0": y1 - h,
                           "y1": y1, "fillcolor": fill, "line": outline, "layer": "below"})
            notes.append({"text": f"{last:.2f}", "x": x0 + w / 2, "y": y1, "xref": "paper", "yref": "paper",
                          "yanchor": "top", "showarrow": False, "font": {"size": 10}})
    notes += [{"text": f"H{i + 1}", "x": i * (w + gap) + w / 2, "y": 1.0, "xref": "paper", "yref": "paper",
               "yanchor": "bottom", "showarrow": False, "font": {"size": 11}} for i in range(n_heads)]
    notes += [{"text": f"L{j + 1}", "x": 0, "y": 1 - j * (h + gap) - h / 2, "xref": "paper", "yref": "paper",
               "xanchor": "right", "showarrow": False, "font": {"size": 11}} for j in range(n_layers)]
    layout["shapes"], layout["annotations"] = shapes, notes
    layout["margin"]["l"] = 30
    return make_figure(traces, layout)


def class_bars_figure(classes: list[str], probs: np.ndarray, *, height: int = 220) -> go.Figure:
    """A classifier's probabilities (C,) as one bar per class, the most likely in the first class colour."""
    top = int(np.argmax(probs))
    colours = [class_colour(0) if i == top else "#b0b7c3" for i in range(len(probs))]
    bars = trace("bar", x=classes, y=probs, name="probability", marker={"color": colours},
                 text=[f"{p:.2f}" for p in probs], textposition="outside",
                 hovertemplate="%{x}: %{y:.3f}<extra></extra>")
    return make_figure([bars], base_layout("class-bars", height, yaxis={"title": {"text": "probability"},
                                                                       "range": [0, 1.1]}))


def position_bars_figure(tokens: list[str], outputs: list[str], distribution: np.ndarray, *,
                         height: int = 220) -> go.Figure:
    """A tagger's output at each position: distribution (T, C) over `outputs`; one bar per position, its height the
    probability of the most likely output (written on the bar), the hover listing the three most likely."""
    order = np.argsort(-distribution, axis=-1)[:, :3]  # (T, 3)
    top = distribution[np.arange(len(tokens)), order[:, 0]]
    hover = ["<br>".join(f"{outputs[j]}: {distribution[i, j]:.3f}" for j in order[i]) for i in range(len(tokens))]
    bars = trace("bar", x=_labels(tokens), y=top, name="top output", text=[outputs[j] for j in order[:, 0]],
                 textposition="outside", customdata=hover, marker={"color": class_colour(0)},
                 hovertemplate="position %{x}<br>%{customdata}<extra></extra>")
    layout = base_layout("position-bars", height, yaxis={"title": {"text": "probability"}, "range": [0, 1.15]},
                         xaxis={"title": {"text": "input position"}, "type": "category", "tickmode": "array",
                                "tickvals": _labels(tokens), "ticktext": tokens})
    return make_figure([bars], layout)


def next_char_figure(d: NextChar, *, height: int = 260) -> go.Figure:
    """The next character's distribution: the model's (temperature 1) and the draw's (after temperature, top-k,
    top-p), side by side for the MAX_BARS most likely characters. Traces "model", "draw"."""
    order = np.argsort(-d.model, kind="stable")[:MAX_BARS]
    chars = [d.chars[i] for i in order]
    traces = [trace("bar", x=chars, y=d.model[order], name="model", marker={"color": "#b0b7c3"},
                    hovertemplate="%{x}: %{y:.3f} (model)<extra></extra>"),
              trace("bar", x=chars, y=d.draw[order], name="draw", marker={"color": class_colour(0)},
                    hovertemplate="%{x}: %{y:.3f} (after the settings)<extra></extra>")]
    layout = base_layout("next-char", height, barmode="group", legend=LEGEND_TOP,
                         xaxis={"title": {"text": "next character"}, "type": "category"},
                         yaxis={"title": {"text": "probability"}, "rangemode": "tozero"})
    return make_figure(traces, layout)

