"""The attention playground's config form: widgets in, a validated `AttentionRunConfig` out.

Widget keys are "attention.<part>.<field>"; the last valid config is kept under "attention.saved" so the widgets get
their values back after a page switch, as on the MLP page.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from playground import devices
from playground.attention.config import (
    MAX_SEQ_LEN,
    MAX_VOCAB_SIZE,
    POSITIONALS,
    TRANSFORMER_ACTIVATIONS,
    AttentionRunConfig,
)
from playground.attention.presets import DEFAULT_PRESET, PRESETS
from playground.attention.tasks import MAX_TEXT_CHARS, TASK_NAMES, TASKS
from playground.config import OPTIMIZER_LABELS, OPTIMIZERS
from playground.ui import config_form, steer
from playground.ui.session import init_state
from playground.ui.text import literal
from playground.ui.widgets import (
    LEARNING_RATES,
    form_start,
    over_budget,
    preset_choice,
    preset_or_changed,
    row,
    write_link,
)
from playground.uploads import DataError, decode_text

PREFIX = "attention."
SAVED = PREFIX + "saved"
MAX_UPLOAD_TEXT_BYTES = 4 * MAX_TEXT_CHARS + 4  # bytes: MAX_TEXT_CHARS characters of UTF-8 or UTF-16, BOM


def load_config(cfg: AttentionRunConfig) -> None:
    """Show `cfg` in the widgets (keys "attention.<part>.<field>", see config_form) and keep it as the saved one."""
    config_form.load(cfg, PREFIX, SAVED)


def _load_preset() -> None:
    load_config(PRESETS[st.session_state[PREFIX + "preset"]].config)


def preset_picker() -> Any:
    """The preset selectbox (a lesson list in presenter mode); returns the place for `preset_caption`."""
    init_state(PREFIX + "preset", DEFAULT_PRESET)
    return preset_choice(PREFIX + "preset", {n: p.description for n, p in PRESETS.items()}, _load_preset, "attention")


def preset_caption(place: Any, config: AttentionRunConfig | None) -> None:
    """The preset's description, or that the settings (`config`, None when they do not make one) differ
    from it, with a button to load it again, as on the MLP page."""
    name = st.session_state[PREFIX + "preset"]
    description, preset = PRESETS[name].description, PRESETS[name].config
    preset_or_changed(place, PREFIX, name, description, config == preset, _load_preset)


def attention_form() -> tuple[AttentionRunConfig | None, tuple[str, ...]]:
    """Draw the task, model and training widgets; return the config and problems: None with the problems when
    the settings do not make a config or when this server would refuse its run for memory."""
    cfg, problems = _attention_widgets()
    if cfg is None or not (refused := over_budget(cfg)):
        return cfg, problems
    return None, refused


def _attention_widgets() -> tuple[AttentionRunConfig | None, tuple[str, ...]]:
    """Draw the task, model and training widgets; return the config (None if invalid) and problems."""
    saved, presenting = form_start("attention", PREFIX, AttentionRunConfig, load_config, PRESETS[DEFAULT_PRESET].config)
    if presenting:
        return saved, ()
    config_form.init(saved, PREFIX)
    k = PREFIX + "task."
    with st.expander("Task", expanded=True):
        task = TASKS[st.selectbox("Task", TASK_NAMES, key=k + "task", format_func=lambda name: TASKS[name].label)]
        r = row()
        r.number_input("seq_len", 2, MAX_SEQ_LEN, key=k + "seq_len", help="Tokens per sequence.")
        r.number_input("vocab_size", 2, MAX_VOCAB_SIZE, key=k + "vocab_size",
                       disabled=not task.uses_vocab_size, help="Distinct symbols (algorithmic tasks).")
        if task.takes_text:
            _corpus_input(k + "text")
    k = PREFIX + "model."
    with st.expander("Model", expanded=True):
        r = row()
        r.number_input("d_model", 16, 256, step=8, key=k + "d_model", help="Width of the residual stream.")
        r.number_input("n_heads", 1, 8, key=k + "n_heads", help="Attention heads per layer; d_model / n_heads each.")
        r.number_input("n_layers", 1, 6, key=k + "n_layers", help="Transformer blocks.")
        r = row()
        r.number_input("d_ff", 8, 1024, step=8, key=k + "d_ff", help="Hidden width of the feed-forward layer.")
        r.number_input("Context", 2, 256, key=k + "context", help="Longest sequence the model accepts.")
        r = row()
        r.selectbox("Activation", TRANSFORMER_ACTIVATIONS, key=k + "activation")
        r.selectbox("Positions", POSITIONALS, key=k + "positional", help="Sinusoidal or learned embeddings.")
        st.slider("Dropout", 0.0, 0.5, step=0.05, key=k + "dropout")
    k = PREFIX + "training."
    with st.expander("Training", expanded=False):
        r = row()
        r.selectbox("Optimizer", OPTIMIZERS, key=k + "optimizer", format_func=OPTIMIZER_LABELS.get)
        rates = sorted(set(LEARNING_RATES) | {st.session_state[k + "learning_rate"]})
        r.select_slider("Learning rate", rates, key=k + "learning_rate", format_func=lambda v: f"{v:g}")
        r = row()
        r.number_input("Batch size", 1, 1024, key=k + "batch_size")
        r.number_input("Steps", 1, 100_000, key=k + "steps")
        r = row()
        r.number_input("Evaluate every (steps)", 1, 10_000, key=k + "eval_every",
                       help="Also how often the attention heatmaps are captured.")
        r.number_input("Seed", 0, 2**31 - 1, key=k + "seed")
        r = row()
        r.number_input("Weight decay", 0.0, 1.0, step=1e-4, format="%.4f", key=k + "weight_decay")
        r.selectbox("Device", ("auto", *devices.available()), key=k + "device")
        st.caption(steer.when_note(counted_in_epochs=False))
        steer.early_stopping_widgets(k, "a validation sample drawn from the training examples (apart from the "
                                        "held-out set the charts call validation)", "validation sample's accuracy")
    try:
        cfg = config_form.from_widgets(AttentionRunConfig, PREFIX)
    except ValueError as e:
        return None, (str(e),)
    st.session_state[SAVED] = cfg
    write_link(cfg)
    return cfg, ()


def _corpus_input(key: str) -> None:
    """A text area for the corpus, filled from an uploaded text file when one is given. A file that cannot be
    read keeps its message for as long as it stays in the uploader."""
    upload = st.file_uploader("Text file (optional)", type=["txt", "md"], key=PREFIX + "upload",
                              help=f"Plain text, at most {MAX_TEXT_CHARS:,} characters.")
    if upload is not None and st.session_state.get(PREFIX + "upload_id") != upload.file_id:
        st.session_state[PREFIX + "upload_id"] = upload.file_id
        st.session_state[PREFIX + "upload_error"] = None
        raw = upload.getvalue()
        try:
            if len(raw) > MAX_UPLOAD_TEXT_BYTES:  # before decoding it: no text of the allowed length is this large
                raise DataError(f"{upload.name} is {len(raw) / 2**20:.1f} MB: too long for a corpus of at most "
                                f"{MAX_TEXT_CHARS:,} characters.")
            text, _ = decode_text(raw, upload.name, "a plain text file")
            if not text.strip():
                raise DataError(f"{upload.name} is empty.")
            if len(text) > MAX_TEXT_CHARS:
                raise DataError(f"{upload.name} is too long: {len(text):,} characters; at most {MAX_TEXT_CHARS:,}.")
            st.session_state[key] = text
        except DataError as e:
            st.session_state[PREFIX + "upload_error"] = (f"{e} The corpus below is used instead (empty: the built-in "
                                                         "story).")
    if upload is not None and st.session_state.get(PREFIX + "upload_error"):
        st.error(literal(st.session_state[PREFIX + "upload_error"]))
    st.text_area("Corpus (empty: the built-in story)", key=key, height=120,
                 help=f"Paste text to train on, at most {MAX_TEXT_CHARS:,} characters.")
