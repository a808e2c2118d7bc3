"""The attention page's views of one head taken apart, each head's story, the output probabilities and the
chart options (smoothing, log axis), as on the MLP page.

Everything here reads frozen views computed by the trainer (the probe) or by the inference path (the user's
input): numpy arrays, never the live model.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from playground.attention import stage_plots, stages
from playground.attention.inference import next_char_distribution
from playground.attention.views import AttentionRunInfo, AttentionViews
from playground.jobs import Snapshot
from playground.ui import live, run_history, session
from playground.ui.charts import chart
from playground.ui.text import literal

PAGE = "attention"
CHART_OPTIONS = {"attention.smoothing": 0.0, "attention.log_y": False, "attention.x_axis": "step",
                 "attention.log_x": False}  # widget key -> default
SAVED_OPTIONS = "attention.saved_chart_options"  # not a widget key: kept while the user is on another page
COLOUR_BY = "attention.colour_heads_by"
ENTROPY = "entropy (nats)"


def chart_options() -> None:
    """Smoothing and the log axis, as the MLP page has them, read by the live panel from session state and kept
    across page switches (see playground.ui.mlp_views.chart_options). The log axis applies to the loss and to the
    heads' entropy."""
    saved = st.session_state.setdefault(SAVED_OPTIONS, dict(CHART_OPTIONS))
    if session.entering(PAGE):
        st.session_state.update(saved)
    row = st.container(horizontal=True, gap="medium", vertical_alignment="bottom")
    row.slider("Smoothing", 0.0, 0.99, step=0.01, key="attention.smoothing", width=200,
               help="TensorBoard-style moving average of the training loss and of the heads' stories; the raw "
                    "loss stays drawn, faintly, under it.")
    row.toggle("Log loss axis", key="attention.log_y", help="Also puts the heads' entropy on a log scale.")
    run_history.axis_options(row, "attention.", epochs=False)
    saved.update({key: st.session_state[key] for key in CHART_OPTIONS})


def options() -> tuple[float, bool]:
    """(smoothing, log_y) as the chart options say (their defaults before the widgets are drawn)."""
    return tuple(st.session_state.get(k, CHART_OPTIONS[k]) for k in ("attention.smoothing", "attention.log_y"))


def axes() -> tuple[str, bool]:
    """(x axis, log x) of the loss and metric charts as the chart options say (playground.ui.run_history)."""
    return tuple(st.session_state.get(k, CHART_OPTIONS[k]) for k in ("attention.x_axis", "attention.log_x"))


def stages_view(views: AttentionViews, info: AttentionRunInfo, tokens: list[str], layer: int, head: int,
                key: str, revision: int | str) -> None:
    """The selected head's stages on one input, with the formula and this model's sizes as the caption."""
    if views.scores is None or views.head_outputs is None:
        return
    h = live.cached(key, (views, layer, head), lambda: stages.head_stages(
        views.scores[layer, head], views.mask, views.attention[layer, head], views.head_outputs[layer, head]))
    st.caption(literal(stages.formula(info.d_model or h.d_k * info.n_heads, info.n_heads, len(tokens),
                                      info.kind == "lm")) + " Each panel has its own colour scale, so scaling "
               "changes the numbers (hover a cell), not the picture" + ("." if info.kind == "lm" else
                                                                       "; with no mask, masked equals scaled."))
    fig = live.cached(key + ".figure", (h,), lambda: stage_plots.stages_figure(h, tokens))
    chart(fig, key, revision=revision)


def head_story(snap: Snapshot, layer: int, head: int) -> None:
    """The selected head's entropy and pattern shares over the run's evaluations, and every head coloured by the
    statistic the user picks."""
    history = [(s, v) for s, v in snap.history if len(v.patterns)]
    if not history:
        return
    names = history[-1][1].patterns
    smoothing, log_y = options()
    st.markdown("**Each head's story**: when does it lock in?")
    c1, c2 = st.columns([3, 2])
    c1.caption(f"Layer {layer + 1}, head {head + 1} on the probe: the share of its attention on each pattern's "
               "key (left axis) and its entropy (right axis, nats; lower is sharper).")
    steps = np.array([s for s, _ in history])
    entropy = np.array([v.entropy[layer, head] for _, v in history])
    shares = np.array([v.shares[:, layer, head] for _, v in history]).T  # (P, n)
    story = live.cached("attention.story", (snap.history[-1][1], layer, head, smoothing, log_y), lambda: (
        stage_plots.head_story_figure(steps, entropy, shares, names, smoothing=smoothing, log_y=log_y)))
    chart(story, "attention.story", c1, snap.run)
    labels = [f"{n} share" for n in names] + [ENTROPY]
    # mirror where the task has one (reverse's heads lock in on it), else entropy, which every task's heads show
    start = labels.index("mirror share") if "mirror share" in labels else labels.index(ENTROPY)
    by = c2.selectbox("Colour heads by", labels, index=start, key=COLOUR_BY,
                      help="Every head's story in this statistic; each cell is coloured by its latest value.")
    grid = live.cached("attention.heads_story", (snap.history[-1][1], layer, head, by), lambda: _grid(
        history, labels, by, (layer, head)))
    chart(grid, "attention.heads_story", c2, snap.run)


def _grid(history: list, labels: list[str], by: str, selected: tuple[int, int]):
    steps = np.array([s for s, _ in history])
    if by == ENTROPY:
        values, top = np.array([v.entropy for _, v in history]), float(np.log(history[-1][1].attention.shape[-1]))
    else:
        values, top = np.array([v.shares[labels.index(by)] for _, v in history]), 1.0
    return stage_plots.heads_story_grid(steps, values, by, top=max(top, 1e-6), selected=selected)


def output_bars(views: AttentionViews, tokens: list[str], outputs: list[str], kind: str, key: str) -> None:
    """The output probabilities: per class for a classifier, the most likely output at each position for a tagger
    or language model."""
    if views.distribution is None:
        return
    if kind == "classify":
        fig = stage_plots.class_bars_figure(outputs, views.distribution)
    else:
        fig = stage_plots.position_bars_figure(tokens, outputs, views.distribution)
    chart(fig, key)


def next_char_bars(snap: Snapshot, prompt: str, temperature: float, top_k: int, top_p: float) -> None:
    """The next character after `prompt`: the model's distribution and the draw's, after the settings."""
    try:
        d = live.cached("attention.next_char", (snap.state, prompt, temperature, top_k, top_p),
                        lambda: next_char_distribution(snap.config, snap.state, prompt, temperature, top_k, top_p))
    except ValueError as e:
        st.warning(literal(e))
        return
    kept = int((d.draw > 0).sum())
    st.caption(f"Next character: grey is the model's distribution, blue what a draw uses after temperature, "
               f"top-k and top-p ({kept} of {len(d.chars)} characters kept).")
    chart(stage_plots.next_char_figure(d), "attention.next_char")
