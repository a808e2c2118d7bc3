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
from playground.ui import classroom, config_form, steer
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
# The settings a classroom link can hide or lock (playground.ui.classroom), with their controls' labels.
CLASSROOM_FIELDS = {"task.task": "Task", "task.seq_len": "seq_len", "task.vocab_size": "vocab_size",
                    "model.d_model": "d_model", "model.n_heads": "n_heads", "model.n_layers": "n_layers",
                    "model.d_ff": "d_ff", "model.context": "Context", "model.activation": "Activation",
                    "model.positional": "Positions", "model.dropout": "Dropout", "training.optimizer": "Optimizer",
                    "training.learning_rate": "Learning rate", "training.batch_size": "Batch size",
                    "training.steps": "Steps", "training.eval_every": "Evaluate every (steps)",
                    "training.seed": "Seed", "training.weight_decay": "Weight decay", "training.device": "Device",
                    "training.patience": "Patience",
                    "training.target_metric": "Target metric", "training.validation_fraction": "Validation fraction",
                    "training.restore_best_weights": "Restore best weights"}


def load_config(cfg: AttentionRunConfig) -> None:
    """Show `cfg` in the widgets (keys "attention.<part>.<field>", see config_form) and keep it as the saved one, the
    fixed settings of a classroom link's lesson kept."""
    config_form.load(classroom.kept(PREFIX, cfg), PREFIX, SAVED)


def _load_preset() -> None:
    load_config(PRESETS[st.session_state[PREFIX + "preset"]].config)


def _lesson() -> classroom.Lesson:
    return classroom.lesson(PREFIX, AttentionRunConfig, CLASSROOM_FIELDS)


def preset_picker() -> Any:
    """The preset selectbox (a lesson list in presenter mode); returns the place for `preset_caption`. None with a
    classroom link's lesson, as on the MLP page."""
    if _lesson():
        return st.container()
    init_state(PREFIX + "preset", DEFAULT_PRESET)
    return preset_choice(PREFIX + "preset", {n: p.description for n, p in PRESETS.items()}, _load_preset, "attention")


def preset_caption(place: Any, config: AttentionRunConfig | None) -> None:
    """The preset's description, or that the settings (`config`, None when they do not make one) differ
    from it, with a button to load it again, as on the MLP page."""
    if lesson := _lesson():
        classroom.lesson_caption(place, lesson)
        return
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
    lesson = _lesson()
    if presenting:
        classroom.builder(PREFIX, "attention", saved, CLASSROOM_FIELDS)
        return lesson.apply(saved), ()
    config_form.init(saved, PREFIX)
    _task_section(lesson)
    _model_section(lesson)
    _training_section(lesson)
    try:
        cfg = lesson.apply(config_form.from_widgets(AttentionRunConfig, PREFIX))
    except ValueError as e:
        return None, (str(e),)
    st.session_state[SAVED] = cfg
    write_link(cfg)
    return cfg, ()


def _section(title: str, lesson: classroom.Lesson, part: str, expanded: bool = True) -> Any:
    """The form's expander `title` for the settings of `part`, or an empty place where a classroom link hides them
    all."""
    shown = lesson.shows(*(f for f in CLASSROOM_FIELDS if f.startswith(part + ".")))
    return st.expander(title, expanded=expanded) if shown else st.container()


def _task_section(lesson: classroom.Lesson) -> None:
    k, put = PREFIX + "task.", lesson.put
    with _section("Task", lesson, "task"):
        put(st.selectbox, "task.task", "Task", TASK_NAMES, key=k + "task", format_func=lambda name: TASKS[name].label)
        task = TASKS[st.session_state[k + "task"]]
        r = row()
        put(r.number_input, "task.seq_len", "seq_len", 2, MAX_SEQ_LEN, key=k + "seq_len", help="Tokens per sequence.")
        put(r.number_input, "task.vocab_size", "vocab_size", 2, MAX_VOCAB_SIZE, key=k + "vocab_size",
            disabled=not task.uses_vocab_size, help="Distinct symbols (algorithmic tasks).")
        if task.takes_text:
            _corpus_input(k + "text")


def _model_section(lesson: classroom.Lesson) -> None:
    k, put = PREFIX + "model.", lesson.put
    with _section("Model", lesson, "model"):
        r = row()
        put(r.number_input, "model.d_model", "d_model", 16, 256, step=8, key=k + "d_model",
            help="Width of the residual stream.")
        put(r.number_input, "model.n_heads", "n_heads", 1, 8, key=k + "n_heads",
            help="Attention heads per layer; d_model / n_heads each.")
        put(r.number_input, "model.n_layers", "n_layers", 1, 6, key=k + "n_layers", help="Transformer blocks.")
        r = row()
        put(r.number_input, "model.d_ff", "d_ff", 8, 1024, step=8, key=k + "d_ff",
            help="Hidden width of the feed-forward layer.")
        put(r.number_input, "model.context", "Context", 2, 256, key=k + "context",
            help="Longest sequence the model accepts.")
        r = row()
        put(r.selectbox, "model.activation", "Activation", TRANSFORMER_ACTIVATIONS, key=k + "activation")
        put(r.selectbox, "model.positional", "Positions", POSITIONALS, key=k + "positional",
            help="Sinusoidal or learned embeddings.")
        put(st.slider, "model.dropout", "Dropout", 0.0, 0.5, step=0.05, key=k + "dropout")


def _training_section(lesson: classroom.Lesson) -> None:
    k, put = PREFIX + "training.", lesson.put
    with _section("Training", lesson, "training", expanded=False):
        r = row()
        put(r.selectbox, "training.optimizer", "Optimizer", OPTIMIZERS, key=k + "optimizer",
            format_func=OPTIMIZER_LABELS.get)
        rates = sorted(set(LEARNING_RATES) | {st.session_state[k + "learning_rate"]})
        put(r.select_slider, "training.learning_rate", "Learning rate", rates, key=k + "learning_rate",
            format_func=lambda v: f"{v:g}")
        r = row()
        put(r.number_input, "training.batch_size", "Batch size", 1, 1024, key=k + "batch_size")
        put(r.number_input, "training.steps", "Steps", 1, 100_000, key=k + "steps")
        r = row()
        put(r.number_input, "training.eval_every", "Evaluate every (steps)", 1, 10_000, key=k + "eval_every",
            help="Also how often the attention heatmaps are captured.")
        put(r.number_input, "training.seed", "Seed", 0, 2**31 - 1, key=k + "seed")
        r = row()
        put(r.number_input, "training.weight_decay", "Weight decay", 0.0, 1.0, step=1e-4, format="%.4f",
            key=k + "weight_decay")
        put(r.selectbox, "training.device", "Device", ("auto", *devices.available()), key=k + "device")
        st.caption(steer.when_note(counted_in_epochs=False))
        steer.early_stopping_widgets(k, "a validation sample drawn from the training examples (apart from the "
                                        "held-out set the charts call validation)", "validation sample's accuracy", put)


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
