"""Live views of the attention playground: curves, the probe's attention, replay, and the user's input.

Everything here reads a job `Snapshot`: attention maps of the fixed probe come from the trainer; the
user's own input runs on a CPU copy of the latest weights (`snap.state`), never on the live model.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from playground import plots
from playground.attention import plots as attention_plots
from playground.attention import tasks
from playground.attention.inference import MAX_GENERATE_CHARS, generate, run_input
from playground.attention.presets import DEFAULT_PRESET, PRESETS
from playground.attention.views import AttentionRunInfo
from playground.jobs import Snapshot
from playground.ui import attention_stages, exports, live
from playground.ui.charts import chart
from playground.ui.text import code, literal

PREFIX = "attention."
FIRST_PRESET = DEFAULT_PRESET  # the preset to start with: its attention pattern (an anti-diagonal) is plain to see
REPLAY_UNTIL = PREFIX + "replay_until"  # (run, newest step) the replay slider offers, while not following
SAMPLE = PREFIX + "sample"  # (the run's RunStarted, prompt, continuation) of the last Generate


def _picked(name: str, options: list, label: str, widget) -> object:
    """A select slider inside the live fragment whose choice survives changes to its options.

    The widget's key is fixed, so it stays one widget while its options change (Streamlit 1.67 takes a
    keyed select slider's identity from its key alone): the replay slider's steps change when newer snapshots
    are added to it or the history is thinned, and a widget that changed identity would be replaced in the
    browser, ending a drag in progress. The last choice is also kept under a plain session key: it becomes
    the widget's starting value, or the nearest option to it, when the widget is drawn again after a page
    switch or when its value left the options (Streamlit then falls back to that starting value).
    """
    memory = f"{PREFIX}{name}.chosen"
    if len(options) == 1:
        st.session_state[memory] = options[0]
        return options[0]
    wanted = st.session_state.get(memory, options[-1] if name == "replay" else options[0])
    start = min(options, key=lambda o: abs(o - wanted))
    chosen = widget(label, options, value=start, key=f"{PREFIX}{name}")
    st.session_state[memory] = chosen
    return chosen


def head_picker(n_layers: int, n_heads: int) -> tuple[int, int]:
    c1, c2 = st.columns(2)
    with c1:
        layer = _picked("layer", list(range(1, n_layers + 1)), "Layer", st.select_slider)
    with c2:
        head = _picked("head", list(range(1, n_heads + 1)), "Head", st.select_slider)
    return layer - 1, head - 1


def replay_pick(snap: Snapshot) -> tuple[int, dict[str, np.ndarray]]:
    """The snapshot to show: the latest while following live, else the one the replay slider picks.

    The slider's range stops at the newest snapshot when following was turned off: a range that grew at every
    evaluation moved the thumb under the user's cursor and could end a drag. A button takes in the newer ones."""
    steps = [s for s, _ in snap.history]
    follow = st.toggle("Follow training live", value=True, key=PREFIX + "follow",
                       help="Turn off to replay how the pattern formed, snapshot by snapshot.")
    if follow or len(steps) < 2:
        st.session_state.pop(REPLAY_UNTIL, None)
        return snap.history[-1]
    held = st.session_state.get(REPLAY_UNTIL)
    if held is None or held[0] != snap.run:  # a new run (Restart) does not keep the last run's range
        held = st.session_state[REPLAY_UNTIL] = (snap.run, steps[-1])
    shown = [s for s in steps if s <= held[1]] or steps[:1]
    chosen = _picked("replay", shown, "Replay: step", st.select_slider)
    if newer := len(steps) - len(shown):
        st.button(f"Add the {newer:,} newer snapshot{'s' * (newer != 1)} to the slider", key=PREFIX + "replay_newer",
                  on_click=st.session_state.pop, args=(REPLAY_UNTIL, None), icon=":material/update:")
    return snap.history[steps.index(chosen)]


def probe_view(snap: Snapshot | None) -> None:
    """The probe's attention: the selected head and all heads, or empty charts before the first evaluation
    (drawn in the same place, so the charts are ready when the first heatmaps arrive)."""
    top = st.container()  # the follow toggle, the replay slider and the head picker
    c1, c2 = st.columns([3, 2])
    if snap is None or not snap.history:
        waiting = plots.empty_figure("attention", 420, "The heatmaps appear at the first evaluation")
        chart(waiting, "attention.heatmap", c1)
        chart(plots.empty_figure("attention-grid", 320, ""), "attention.grid", c2)
        return
    info: AttentionRunInfo = snap.started.info  # views arrive after the run started
    with top:
        step, views = replay_pick(snap)
        attention = views.attention  # (L, H, T, T)
        layer, head = head_picker(*attention.shape[:2])
    tokens = [str(t) for t in info.probe_tokens] or [str(i) for i in range(attention.shape[-1])]
    predicted, targets = [str(p) for p in views.prediction], info.probe_targets
    if targets and len(targets) == len(predicted) and "" in targets:  # only some positions are scored (recall)
        predicted = [p for p, t in zip(predicted, targets, strict=True) if t]
        targets = [t for t in targets if t]
    c1.caption(f"Probe at step {step:,}: layer {layer + 1}, head {head + 1}. Rows attend to columns.")
    heatmap = live.cached("attention.heatmap", (views, layer, head),
                          lambda: attention_plots.attention_heatmap(attention[layer, head], tokens))
    chart(heatmap, "attention.heatmap", c1, snap.run)
    c2.caption("All layers × heads")
    grid = live.cached("attention.grid", (views, layer, head),
                       lambda: attention_plots.attention_grid(attention, selected=(layer, head)))
    chart(grid, "attention.grid", c2, snap.run)
    c2.markdown(f"**Input:** {code(' '.join(tokens))}  \n**Prediction:** {code(' '.join(predicted))}")
    if targets:
        c2.markdown(f"**Target:** {code(' '.join(str(t) for t in targets))}")
    st.markdown(f"**Layer {layer + 1}, head {head + 1} taken apart** (the probe at step {step:,})")
    attention_stages.stages_view(views, info, tokens, layer, head, "attention.stages", snap.run)
    attention_stages.head_story(snap, layer, head)


def own_input(snap: Snapshot) -> None:
    """The user's text through the latest weights: prediction and attention (and sampling for char_lm)."""
    if snap.state is None:
        return
    st.subheader("Try your own input")
    task = snap.config.task
    text = st.text_input("Input", key=PREFIX + "own_text", placeholder=f"e.g. {tasks.example(task)}",
                         help=literal(f"{tasks.input_help(task)} Runs on a copy of the latest weights; it updates "
                                      "while training goes on."))
    if text:
        try:
            result = live.cached("attention.own", (snap.state, text), lambda: run_input(snap.config, snap.state, text))
        except ValueError as e:
            st.warning(literal(e))
        else:
            st.markdown(f"**Prediction:** {code(result.prediction)}")
            n_layers, n_heads = result.attention.shape[:2]
            layer = min(st.session_state.get(PREFIX + "layer.chosen", 1), n_layers) - 1
            head = min(st.session_state.get(PREFIX + "head.chosen", 1), n_heads) - 1
            st.caption(f"Your input: layer {layer + 1}, head {head + 1}.")
            fig = attention_plots.attention_heatmap(result.attention[layer, head], result.tokens)
            chart(fig, "attention.own_heatmap", revision=snap.run)
            info: AttentionRunInfo = snap.started.info
            attention_stages.stages_view(result.views, info, result.tokens, layer, head, "attention.own_stages",
                                         snap.run)
            st.caption("The output's probabilities: " + ("per class." if info.kind == "classify" else
                       "the most likely output at each position (hover for the three most likely)."))
            attention_stages.output_bars(result.views, result.tokens, info.outputs, info.kind, "attention.own_bars")
    if tasks.task_of(task).takes_text:
        _generate(snap, text)


def _generate(snap: Snapshot, text: str) -> None:
    """Sampling controls and the last sample of this run (prompt + continuation); a failed Generate clears it."""
    sample = st.session_state.get(SAMPLE)
    if sample is not None and sample[0] is not snap.started:  # another run (or a Reset since): not this model's
        del st.session_state[SAMPLE]
    n_vocab = len(tasks.spec(snap.config.task).vocab)
    c1, c2, c3, c4 = st.columns(4)
    temperature = c1.slider("Temperature", 0.0, 2.0, 0.8, 0.05, key=PREFIX + "temperature")
    top_k = c2.number_input("top-k (0 = all)", 0, n_vocab, 0, key=f"{PREFIX}top_k.{n_vocab}",  # a new widget per vocab
                            help=f"Draw from the k most likely characters; this model knows {n_vocab}.")
    top_p = c3.slider("top-p (nucleus)", 0.05, 1.0, 1.0, 0.05, key=PREFIX + "top_p",
                      help="Draw from the fewest most likely characters whose probabilities sum to at least p.")
    n_chars = c4.number_input("Characters", 1, MAX_GENERATE_CHARS, 200, key=PREFIX + "n_chars")
    prompt = text or tasks.example(snap.config.task)
    attention_stages.next_char_bars(snap, prompt, temperature, int(top_k), top_p)
    if st.button("Generate", key=PREFIX + "generate"):
        try:
            out = generate(snap.config, snap.state, prompt, int(n_chars), temperature, int(top_k), seed=0,
                           top_p=top_p)
        except ValueError as e:
            st.session_state.pop(SAMPLE, None)
            st.warning(literal(e))
        else:
            st.session_state[SAMPLE] = (snap.started, prompt, out)
    if SAMPLE in st.session_state:
        _, prompt, out = st.session_state[SAMPLE]
        st.text(prompt + out)


def first_steps(preset: str | None, config: object = None, preset_config: object = None) -> str:
    """What to do before the first run, given the picked preset's name, the form's settings (None: they cannot
    train as they are) and the preset's: reverse is the one to start with."""
    if preset is None:
        return f"Pick a preset (start with **{FIRST_PRESET}**), then press Train and watch the attention form."
    if config is None:
        return (f"Change the settings as the message above says, or reload the **{preset}** preset; then press "
                "Train and watch the attention form.")
    if config != preset_config:
        return f"Settings changed from the **{preset}** preset: press Train and watch the attention form."
    if preset == FIRST_PRESET:
        return (f"The **{FIRST_PRESET}** preset, a good first one, is picked: press Train and watch the attention "
                "form. Then try another preset.")
    return (f"The **{preset}** preset is picked: press Train and watch the attention form (**{FIRST_PRESET}** is "
            "the plainest one to start with).")


def draw(snap: Snapshot | None, config: object = None) -> None:
    """The live panel; `config` is the form's (None: it cannot train), for the hint before a first run."""
    # The same layout before a run and during it: the charts shown before Train show its first points.
    head, curves = st.container(), st.columns(2)
    if snap is None:
        st.session_state.pop(SAMPLE, None)  # Reset: the next run starts without the old sample
        preset = st.session_state.get(PREFIX + "preset")
        head.info(first_steps(preset, config, PRESETS[preset].config if preset in PRESETS else None))
    else:
        with head:
            live.progress(snap)
            live.metrics_row(snap)
    smoothing, log_y = attention_stages.options()
    x_axis, log_x = attention_stages.axes()
    live.curve_charts(snap, "attention", curves, smoothing=smoothing, log_y=log_y, height=260, eval_label="eval",
                      x_axis=x_axis, log_x=log_x)
    probe_view(snap)
    if snap is not None:
        own_input(snap)
        exports.downloads("attention", snap)
