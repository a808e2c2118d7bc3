"""Config forms: widgets in, a validated `MLPRunConfig` out.

Every widget has a key "mlp.<field>". The last valid config is kept in session state under
"mlp.saved", so widgets get their values back after a page switch (Streamlit drops the state of
widgets that are not drawn). A preset or a shared link loads a config into the widget keys. The CSV upload's
part of the Data section is playground.ui.mlp_csv.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from playground import devices
from playground.config import OPTIMIZER_LABELS, OPTIMIZERS
from playground.mlp.config import (
    ACTIVATIONS,
    CLASSIFICATION_2D,
    DATASETS,
    FEATURES,
    INITS,
    MAX_BATCH_SIZE,
    MAX_EPOCHS,
    MAX_HIDDEN_LAYERS,
    MAX_SAMPLES,
    MAX_WIDTH,
    REGRESSION_2D,
    DataConfig,
    MLPConfig,
    MLPRunConfig,
    TrainConfig,
)
from playground.mlp.features import LABELS
from playground.mlp.presets import DEFAULT_PRESET, PRESETS
from playground.ui import classroom, steer
from playground.ui.mlp_csv import NEED_TABLE, PREFIX, TABLE, csv_section
from playground.ui.session import init_state
from playground.ui.widgets import (
    LEARNING_RATES,
    form_start,
    over_budget,
    preset_choice,
    preset_or_changed,
    row,
    write_link,
)

SAVED = PREFIX + "saved"
ACTIVATION_LABELS = {"relu": "ReLU", "leaky_relu": "LeakyReLU", "elu": "ELU", "gelu": "GELU", "silu": "SiLU",
                     "tanh": "Tanh", "sigmoid": "Sigmoid", "identity": "Identity (linear)"}
DATASET_LABELS = {"moons": "moons", "circles": "circles", "blobs": "blobs", "xor": "XOR", "spiral": "spiral",
                  "gaussian": "Gaussian clusters", "plane": "plane (regression)", "ripple": "ripple (regression)",
                  "iris": "iris (tabular)", "wine": "wine (tabular)", "breast_cancer": "breast cancer (tabular)",
                  "digits": "digits (tabular)", "csv": "my CSV file"}
# The settings a classroom link can hide or lock (playground.ui.classroom), with their controls' labels.
CLASSROOM_FIELDS = {"data.dataset": "Dataset", "data.n_samples": "Samples", "data.noise": "Noise",
                    "data.n_classes": "Classes", "data.features": "Input features",
                    "data.test_fraction": "Test fraction", "data.seed": "Data seed",
                    "model.hidden_sizes": "Hidden layers and widths",
                    "model.activations": "Activations", "model.dropout": "Dropout", "model.init": "Initialisation",
                    "training.optimizer": "Optimizer", "training.learning_rate": "Learning rate",
                    "training.batch_size": "Batch size", "training.epochs": "Epochs",
                    "training.weight_decay": "Weight decay", "training.seed": "Seed", "training.device": "Device",
                    "training.patience": "Patience",
                    "training.target_metric": "Target metric", "training.validation_fraction": "Validation fraction",
                    "training.restore_best_weights": "Restore best weights"}
DATA_FIELDS = [f for f in CLASSROOM_FIELDS if f.startswith("data.")]
MODEL_FIELDS = [f for f in CLASSROOM_FIELDS if f.startswith("model.")]
TRAINING_FIELDS = [f for f in CLASSROOM_FIELDS if f.startswith("training.")]


@dataclass(frozen=True)
class FormResult:
    config: MLPRunConfig | None  # None when a setting is invalid
    table: pd.DataFrame | None  # the uploaded table for dataset "csv"
    problems: tuple[str, ...]  # messages to show (plain text, escaped where shown); Train stays disabled meanwhile


def widget_values(cfg: MLPRunConfig) -> dict[str, Any]:
    """The widget state that shows `cfg`."""
    d, m, t = cfg.data, cfg.model, cfg.training
    values = {"dataset": d.dataset, "n_samples": d.n_samples, "noise": d.noise, "n_classes": d.n_classes,
              "test_fraction": d.test_fraction, "data_seed": d.seed, "target": d.target, "task": d.task,
              "ignore": list(d.ignore), "features": list(d.features),
              "n_layers": len(m.hidden_sizes), "dropout": m.dropout, "init": m.init,
              "optimizer": t.optimizer, "learning_rate": t.learning_rate, "batch_size": t.batch_size,
              "epochs": t.epochs, "weight_decay": t.weight_decay, "seed": t.seed, "device": t.device,
              "patience": t.patience, "restore_best_weights": t.restore_best_weights,
              "validation_fraction": t.validation_fraction, "target_metric": t.target_metric}
    for i in range(MAX_HIDDEN_LAYERS):
        values[f"width.{i}"] = m.hidden_sizes[i] if i < len(m.hidden_sizes) else 8
        values[f"act.{i}"] = m.activations[i] if i < len(m.activations) else "relu"
    return {PREFIX + k: v for k, v in values.items()}


def load_config(cfg: MLPRunConfig) -> None:
    """Show `cfg` in the widgets (call from a callback or before the widgets are drawn), the fixed settings of a
    classroom link's lesson kept."""
    cfg = classroom.kept(PREFIX, cfg)
    for key, value in widget_values(cfg).items():
        st.session_state[key] = value
    st.session_state[SAVED] = cfg


def _load_preset() -> None:
    load_config(PRESETS[st.session_state[PREFIX + "preset"]].config)


def _lesson() -> classroom.Lesson:
    return classroom.lesson(PREFIX, MLPRunConfig, CLASSROOM_FIELDS)


def preset_picker() -> Any:
    """The preset selectbox (a lesson list in presenter mode); returns the place for `preset_caption`,
    which the page fills after the form has read this run's settings. A classroom link's lesson has none: a
    preset would replace the settings it fixes."""
    if _lesson():
        return st.container()
    init_state(PREFIX + "preset", DEFAULT_PRESET)
    return preset_choice(PREFIX + "preset", {n: p.description for n, p in PRESETS.items()}, _load_preset, "mlp")


def preset_caption(place: Any, config: MLPRunConfig | None) -> None:
    """Under the picker: the preset's description and reference, or that the settings differ from it
    (with a button to load it again: picking the selected preset once more changes nothing).

    `config` is what the form's widgets make now; None (a CSV without a table yet, settings with a problem)
    differs from every preset, which is always a valid config."""
    if lesson := _lesson():
        classroom.lesson_caption(place, lesson)
        return
    name = st.session_state[PREFIX + "preset"]
    preset = PRESETS[name]
    metric = "R²" if preset.config.data.dataset in REGRESSION_2D else "accuracy"
    ref = f" Reference test {metric} with seed 0 on CPU: **{preset.reference:.2f}**." if preset.reference else ""
    preset_or_changed(place, PREFIX, name, preset.description + ref, config == preset.config, _load_preset)


def mlp_form() -> FormResult:
    """Draw the data, model and training widgets; return the config they describe, or None with the problems
    when they do not make one or when this server would refuse its run for memory (Train stays disabled)."""
    form = _mlp_widgets()
    if form.config is None or not (refused := over_budget(form.config, form.table)):
        return form
    return FormResult(None, form.table, refused)


def _mlp_widgets() -> FormResult:
    """Draw the data, model and training widgets; return the config they describe."""
    saved, presenting = form_start("mlp", PREFIX, MLPRunConfig, load_config, PRESETS[DEFAULT_PRESET].config)
    lesson = _lesson()
    if presenting:
        classroom.builder(PREFIX, "mlp", saved, CLASSROOM_FIELDS)
        return _presenter_result(lesson.apply(saved))
    for key, value in widget_values(saved).items():
        init_state(key, value)
    with _section("Data", lesson.shows(*DATA_FIELDS)):
        dataset, table, problems = _data_section(lesson)
    with _section("Model", lesson.shows(*MODEL_FIELDS)):
        n_layers = _model_section(lesson)
    with _section("Training", lesson.shows(*TRAINING_FIELDS)):
        _training_section(lesson)
    if dataset == "csv" and table is None:  # nothing more to check until there is a table
        return FormResult(None, None, tuple(problems))
    try:
        cfg = lesson.apply(_config(dataset, n_layers))
    except ValueError as e:
        return FormResult(None, table, (*problems, str(e)))
    if not problems:
        st.session_state[SAVED] = cfg
    write_link(cfg)
    return FormResult(None if problems else cfg, table, tuple(problems))


def _section(title: str, shown: bool) -> Any:
    """The form's expander `title`, or an empty place where a classroom link hides all its settings."""
    return st.expander(title, expanded=True) if shown else st.container()


def _presenter_result(saved: MLPRunConfig) -> FormResult:
    """In presenter mode the saved config (a lesson's), with the table kept for a CSV dataset."""
    if saved.data.dataset != "csv":
        return FormResult(saved, None, ())
    kept = st.session_state.get(TABLE)
    if kept is None:
        return FormResult(None, None, (f"{NEED_TABLE} Turn Presenter mode off to upload one.",))
    return FormResult(saved, kept[1], ())


def _data_section(lesson: classroom.Lesson) -> tuple[str, pd.DataFrame | None, list[str]]:
    """The dataset and its settings; (dataset name, uploaded table or None, problems)."""
    problems: list[str] = []
    table = None
    put = lesson.put
    put(st.selectbox, "data.dataset", "Dataset", DATASETS, key=PREFIX + "dataset", format_func=DATASET_LABELS.get)
    dataset = st.session_state[PREFIX + "dataset"]
    # Always drawn (disabled where unused): Streamlit forgets the state of a widget it does not draw.
    generated = dataset in CLASSIFICATION_2D + REGRESSION_2D
    r = row()
    put(r.slider, "data.n_samples", "Samples", 20, MAX_SAMPLES, step=10, key=PREFIX + "n_samples",
        disabled=not generated, help="Generated datasets only; tables use all their rows.")
    put(r.slider, "data.noise", "Noise", 0.0, 2.0, step=0.05, key=PREFIX + "noise", disabled=not generated,
        help="Std of Gaussian noise on each point (generated datasets only).")
    put(r.slider, "data.n_classes", "Classes", 2, 5, key=PREFIX + "n_classes",
        disabled=dataset not in ("blobs", "gaussian", "spiral"),
        help="Blobs, Gaussian clusters and spiral (one arm per class).")  # one line, as its neighbours
    put(st.multiselect, "data.features", "Input features", FEATURES, key=PREFIX + "features", format_func=LABELS.get,
        disabled=not generated,
        help="What the network gets from each point (x, y): derived features can stand in for depth.")
    if dataset == "csv":
        table, csv_problems = csv_section()
        problems += csv_problems
    r = row()
    put(r.slider, "data.test_fraction", "Test fraction", 0.05, 0.5, step=0.05, key=PREFIX + "test_fraction")
    put(r.number_input, "data.seed", "Data seed", 0, 2**31 - 1, key=PREFIX + "data_seed")
    return dataset, table, problems


def _model_section(lesson: classroom.Lesson) -> int:
    """The hidden layers (a width and an activation each), dropout and initialisation; the number of layers."""
    s, put = st.session_state, lesson.put
    put(st.slider, "model.hidden_sizes", "Hidden layers", 0, MAX_HIDDEN_LAYERS, key=PREFIX + "n_layers")
    n_layers = s[PREFIX + "n_layers"]
    for i in range(n_layers):
        r = row()
        put(r.number_input, "model.hidden_sizes", f"Layer {i + 1} width", 1, MAX_WIDTH, key=f"{PREFIX}width.{i}")
        put(r.selectbox, "model.activations", f"Layer {i + 1} activation", ACTIVATIONS, key=f"{PREFIX}act.{i}",
            format_func=ACTIVATION_LABELS.get)
    # What Train will use: a width typed outside its range is shown in red but never taken.
    layers = [f"{s[f'{PREFIX}width.{i}']} {ACTIVATION_LABELS[s[f'{PREFIX}act.{i}']]}" for i in range(n_layers)]
    st.caption("Hidden layers: " + (" → ".join(layers) if layers else "none (a linear model)") + ".")
    r = row()
    put(r.slider, "model.dropout", "Dropout", 0.0, 0.9, step=0.05, key=PREFIX + "dropout")
    put(r.selectbox, "model.init", "Initialisation", INITS, key=PREFIX + "init",
        help="PyTorch default, Xavier/Glorot or Kaiming/He.")
    return n_layers


def _training_section(lesson: classroom.Lesson) -> None:
    put = lesson.put
    r = row()
    put(r.selectbox, "training.optimizer", "Optimizer", OPTIMIZERS, key=PREFIX + "optimizer",
        format_func=OPTIMIZER_LABELS.get)
    rates = sorted(set(LEARNING_RATES) | {st.session_state[PREFIX + "learning_rate"]})
    put(r.select_slider, "training.learning_rate", "Learning rate", rates, key=PREFIX + "learning_rate",
        format_func=lambda v: f"{v:g}")
    r = row()
    put(r.number_input, "training.batch_size", "Batch size", 1, MAX_BATCH_SIZE, key=PREFIX + "batch_size",
        help="Examples per step; larger than the training set means full-batch.")
    put(r.number_input, "training.epochs", "Epochs", 1, MAX_EPOCHS, key=PREFIX + "epochs")
    r = row()
    put(r.number_input, "training.weight_decay", "Weight decay", 0.0, 1.0, step=1e-4, format="%.4f",
        key=PREFIX + "weight_decay")
    put(r.number_input, "training.seed", "Seed", 0, 2**31 - 1, key=PREFIX + "seed",
        help="Same seed, same curve (on CPU).")
    put(st.selectbox, "training.device", "Device", ("auto", *devices.available()), key=PREFIX + "device",
        help="auto picks CUDA, then Apple MPS, then CPU.")
    st.caption(steer.when_note(counted_in_epochs=True))
    share = st.session_state[PREFIX + "validation_fraction"]
    steer.early_stopping_widgets(PREFIX, f"a validation split of {share:.0%} of the training rows",
                                 "validation accuracy (R² for regression)", put)



def _config(dataset: str, n_layers: int) -> MLPRunConfig:
    """The config the widgets describe. Raises ValueError for a setting out of bounds."""
    s, k = st.session_state, PREFIX
    data = DataConfig(dataset=dataset, n_samples=s[k + "n_samples"], noise=s[k + "noise"], n_classes=s[k + "n_classes"],
                      test_fraction=s[k + "test_fraction"], seed=int(s[k + "data_seed"]),
                      target=s.get(k + "target") or "", task=s[k + "task"],
                      ignore=tuple(s.get(k + "ignore") or ()) if dataset == "csv" else (),
                      features=tuple(s[k + "features"]) if dataset in CLASSIFICATION_2D + REGRESSION_2D else ("x", "y"))
    model = MLPConfig(hidden_sizes=tuple(int(s[f"{k}width.{i}"]) for i in range(n_layers)),
                      activations=tuple(s[f"{k}act.{i}"] for i in range(n_layers)),
                      dropout=s[k + "dropout"], init=s[k + "init"])
    training = TrainConfig(optimizer=s[k + "optimizer"], learning_rate=s[k + "learning_rate"],
                           batch_size=int(s[k + "batch_size"]), epochs=int(s[k + "epochs"]),
                           weight_decay=float(s[k + "weight_decay"]), seed=int(s[k + "seed"]), device=s[k + "device"],
                           patience=int(s[k + "patience"]), restore_best_weights=bool(s[k + "restore_best_weights"]),
                           validation_fraction=float(s[k + "validation_fraction"]),
                           target_metric=s[k + "target_metric"])
    return MLPRunConfig(data=data, model=model, training=training)
