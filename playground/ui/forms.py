"""Config forms: widgets in, a validated `RunConfig` out.

Every widget has a key "mlp.<field>". The last valid config is kept in session state under
"mlp.saved", so widgets get their values back after a page switch (Streamlit drops the state of
widgets that are not drawn). A preset or a shared link loads a config into the widget keys.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import streamlit as st

from playground import config as C
from playground import devices, share
from playground.data import MAX_COLUMNS, MAX_ROWS, MAX_UPLOAD_BYTES, DataError, make_dataset, read_csv
from playground.presets import DEFAULT_PRESET, PRESETS
from playground.registry import REGISTRY
from playground.tables import id_like
from playground.ui.session import entering, init_state, presenter
from playground.ui.text import literal

P = "mlp."
SAVED = P + "saved"
FORM_SHOWN = P + "form_shown"  # whether the last run drew the form's widgets
TABLE = P + "table"  # (file name, DataFrame) of the last upload that could be read
NEED_TABLE = "Upload a CSV file to train on it."
PREVIEW_ROWS = 50  # rows of an uploaded table shown in its preview
TABLE_OK = P + "table_ok"  # whether that table made a dataset with the chosen target and task
SEEN = P + "upload_seen"  # file id of the upload in the uploader at the last run
READ = P + "upload_read"  # file id of the upload TABLE was read from: read once, the same table in every run
LEARNING_RATES = (1e-5, 3e-5, 1e-4, 3e-4, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
ACTIVATION_LABELS = {"relu": "ReLU", "leaky_relu": "LeakyReLU", "elu": "ELU", "gelu": "GELU", "silu": "SiLU",
                     "tanh": "Tanh", "sigmoid": "Sigmoid", "identity": "Identity (linear)"}
DATASET_LABELS = {"moons": "moons", "circles": "circles", "blobs": "blobs", "xor": "XOR", "spiral": "spiral",
                  "gaussian": "Gaussian clusters", "plane": "plane (regression)", "ripple": "ripple (regression)",
                  "iris": "iris (tabular)", "wine": "wine (tabular)", "breast_cancer": "breast cancer (tabular)",
                  "digits": "digits (tabular)", "csv": "my CSV file"}


@dataclass(frozen=True)
class FormResult:
    config: C.RunConfig | None  # None when a setting is invalid
    table: pd.DataFrame | None  # the uploaded table for dataset "csv"
    problems: tuple[str, ...]  # messages to show (plain text, escaped where shown); Train stays disabled meanwhile


def row() -> Any:
    """A row of elements (widgets, buttons, metric tiles) that share its width and wrap onto more lines where each
    would be narrow (a narrow window, presenter mode's larger text), instead of squeezing their labels letter by
    letter or cutting them to "…" as columns do."""
    return st.container(horizontal=True, gap="small")


def widget_values(cfg: C.RunConfig) -> dict[str, Any]:
    """The widget state that shows `cfg`."""
    d, m, t = cfg.data, cfg.model, cfg.training
    values = {"dataset": d.dataset, "n_samples": d.n_samples, "noise": d.noise, "n_classes": d.n_classes,
              "test_fraction": d.test_fraction, "data_seed": d.seed, "target": d.target, "task": d.task,
              "ignore": list(d.ignore),
              "n_layers": len(m.hidden_sizes), "dropout": m.dropout, "init": m.init,
              "optimizer": t.optimizer, "learning_rate": t.learning_rate, "batch_size": t.batch_size,
              "epochs": t.epochs, "weight_decay": t.weight_decay, "seed": t.seed, "device": t.device}
    for i in range(C.MAX_HIDDEN_LAYERS):
        values[f"width.{i}"] = m.hidden_sizes[i] if i < len(m.hidden_sizes) else 8
        values[f"act.{i}"] = m.activations[i] if i < len(m.activations) else "relu"
    return {P + k: v for k, v in values.items()}


def load_config(cfg: C.RunConfig) -> None:
    """Show `cfg` in the widgets (call from a callback or before the widgets are drawn)."""
    for key, value in widget_values(cfg).items():
        st.session_state[key] = value
    st.session_state[SAVED] = cfg


def _load_preset() -> None:
    load_config(PRESETS[st.session_state[P + "preset"]].config)


def preset_choice(key: str, descriptions: dict[str, str], on_change, page: str) -> Any:
    """A preset selectbox, or in presenter mode a lesson list: every preset with its description. Returns the
    place for the note on the settings (`preset_or_changed`): under the selectbox, or above the lesson list (long:
    a note under it would not be seen).

    The two are different widgets under one key, and a widget that is not drawn loses its value: the
    choice is remembered with the kind of widget that made it and given back when presenter mode flips
    and when the user comes back to `page` from another page (see session.entering).
    """
    mode, memory = presenter(), f"{key}.chosen"
    saved = st.session_state.get(memory)
    if saved is not None and (saved[0] != mode or entering(page)):
        st.session_state[key] = saved[1]
    if mode:
        place = st.container()
        value = st.radio("Lessons", list(descriptions), key=key, on_change=on_change,
                         captions=list(descriptions.values()))
    else:
        value = st.selectbox("Preset", list(descriptions), key=key, on_change=on_change,
                             help="Loads a complete setup: data, model and training.")
        place = st.container()
    st.session_state[memory] = (mode, value)
    return place


def preset_picker() -> Any:
    """The preset selectbox (a lesson list in presenter mode); returns the place for `preset_caption`,
    which the page fills after the form has read this run's settings."""
    init_state(P + "preset", DEFAULT_PRESET)
    return preset_choice(P + "preset", {n: p.description for n, p in PRESETS.items()}, _load_preset, "mlp")


def preset_caption(place: Any, config: C.RunConfig | None) -> None:
    """Under the picker: the preset's description and reference, or that the settings differ from it
    (with a button to load it again: picking the selected preset once more changes nothing).

    `config` is what the form's widgets make now; None (a CSV without a table yet, settings with a problem)
    differs from every preset, which is always a valid config."""
    name = st.session_state[P + "preset"]
    preset = PRESETS[name]
    metric = "R²" if preset.config.data.dataset in C.REGRESSION_2D else "accuracy"
    ref = f" Reference test {metric} with seed 0 on CPU: **{preset.reference:.2f}**." if preset.reference else ""
    preset_or_changed(place, P, name, preset.description + ref, config == preset.config, _load_preset)


def preset_or_changed(place: Any, prefix: str, name: str, description: str, same: bool, reload: Any) -> None:
    """The preset's `description` while the settings are the preset's (`same`), else that they changed, with a
    button (key `prefix` + "reload_preset") that calls `reload`. In presenter mode the lesson list shows the
    descriptions, and the note says "lesson": its form is hidden, so Train would otherwise train settings that
    the ticked lesson does not show."""
    kind = "lesson" if presenter() else "preset"
    if same:
        if kind == "preset":
            place.caption(description)
        return
    place.caption(f"Settings changed from the {name} {kind}.")
    place.button(f"Reload the {name} {kind}", key=prefix + "reload_preset", on_click=reload,
                 icon=":material/restart_alt:")


def read_link(prefix: str, cls: type, load: Any) -> None:
    """Once per session and page: load a config from the URL's query parameters (a shared link)."""
    if st.session_state.get(prefix + "link_read"):
        return
    st.session_state[prefix + "link_read"] = True
    params = {k: st.query_params[k] for k in st.query_params}
    if any("." in k for k in params):
        cfg, notices = share.from_query(cls, params)
        if (device := cfg.training.device) not in ("auto", *devices.available()):  # valid, but not on this server
            cfg = replace(cfg, training=replace(cfg.training, device="auto"))
            notices.append(f"Ignored training.device={device!r}: this server has no such device; it trains on "
                           f"{devices.available()[0]}.")
        load(cfg)
        for notice in notices:
            st.warning(literal(notice), icon=":material/link_off:")


def write_link(cfg: Any) -> None:
    """Keep the URL in step with the settings, so copying it shares them."""
    query = share.to_query(cfg)
    if {k: st.query_params[k] for k in st.query_params if "." in k} != query:
        keep = {k: st.query_params[k] for k in st.query_params if "." not in k}
        st.query_params.from_dict({**keep, **query})


def over_budget(config: Any, table: pd.DataFrame | None = None) -> tuple[str, ...]:
    """The server's refusal of `config` for its estimated memory (see playground.memory), as form problems: one
    message naming the estimate in MB and the settings to lower, or none when the run fits."""
    refused = REGISTRY.limits.memory_problem(config, table)
    return (refused,) if refused else ()


def mlp_form() -> FormResult:
    """Draw the data, model and training widgets; return the config they describe, or None with the problems
    when they do not make one or when this server would refuse its run for memory (Train stays disabled)."""
    form = _mlp_widgets()
    if form.config is None or not (refused := over_budget(form.config, form.table)):
        return form
    return FormResult(None, form.table, refused)


def _mlp_widgets() -> FormResult:
    """Draw the data, model and training widgets; return the config they describe."""
    read_link(P, C.RunConfig, load_config)
    saved = st.session_state.get(SAVED) or PRESETS[DEFAULT_PRESET].config
    # The widgets were not drawn in the last run (another page, or presenter mode): give them back the saved
    # config, also those drawn only for some datasets (see session.entering).
    restore = entering("mlp") or not st.session_state.get(FORM_SHOWN)
    st.session_state[FORM_SHOWN] = not presenter()
    if presenter():  # advanced controls hidden: the lesson list sets everything
        write_link(saved)
        if saved.data.dataset != "csv":
            return FormResult(saved, None, ())
        kept = st.session_state.get(TABLE)
        if kept is None:
            return FormResult(None, None, (f"{NEED_TABLE} Turn Presenter mode off to upload one.",))
        return FormResult(saved, kept[1], ())
    if restore:
        load_config(saved)
    for key, value in widget_values(saved).items():
        init_state(key, value)
    problems: list[str] = []
    table = None
    s = st.session_state
    with st.expander("Data", expanded=True):
        dataset = st.selectbox("Dataset", C.DATASETS, key=P + "dataset", format_func=DATASET_LABELS.get)
        # Always drawn (disabled where unused): Streamlit forgets the state of a widget it does not draw.
        generated = dataset in C.CLASSIFICATION_2D + C.REGRESSION_2D
        r = row()
        r.slider("Samples", 20, C.MAX_SAMPLES, step=10, key=P + "n_samples", disabled=not generated,
                 help="Generated datasets only; tables use all their rows.")
        r.slider("Noise", 0.0, 2.0, step=0.05, key=P + "noise", disabled=not generated,
                 help="Std of Gaussian noise on each point (generated datasets only).")
        r.slider("Classes", 2, 5, key=P + "n_classes", disabled=dataset not in ("blobs", "gaussian", "spiral"),
                 help="Blobs, Gaussian clusters and spiral (one arm per class).")  # one line, as its neighbours
        if dataset == "csv":
            table, csv_problems = _csv_section()
            problems += csv_problems
        r = row()
        r.slider("Test fraction", 0.05, 0.5, step=0.05, key=P + "test_fraction")
        r.number_input("Data seed", 0, 2**31 - 1, key=P + "data_seed")
    with st.expander("Model", expanded=True):
        n_layers = st.slider("Hidden layers", 0, C.MAX_HIDDEN_LAYERS, key=P + "n_layers")
        for i in range(n_layers):
            r = row()
            r.number_input(f"Layer {i + 1} width", 1, C.MAX_WIDTH, key=f"{P}width.{i}")
            r.selectbox(f"Layer {i + 1} activation", C.ACTIVATIONS, key=f"{P}act.{i}",
                        format_func=ACTIVATION_LABELS.get)
        # What Train will use: a width typed outside its range is shown in red but never taken.
        layers = [f"{s[f'{P}width.{i}']} {ACTIVATION_LABELS[s[f'{P}act.{i}']]}" for i in range(n_layers)]
        st.caption("Hidden layers: " + (" → ".join(layers) if layers else "none (a linear model)") + ".")
        r = row()
        r.slider("Dropout", 0.0, 0.9, step=0.05, key=P + "dropout")
        r.selectbox("Initialisation", C.INITS, key=P + "init", help="PyTorch default, Xavier/Glorot or Kaiming/He.")
    with st.expander("Training", expanded=True):
        r = row()
        r.selectbox("Optimizer", C.OPTIMIZERS, key=P + "optimizer", format_func=C.OPTIMIZER_LABELS.get)
        rates = sorted(set(LEARNING_RATES) | {s[P + "learning_rate"]})
        r.select_slider("Learning rate", rates, key=P + "learning_rate", format_func=lambda v: f"{v:g}")
        r = row()
        r.number_input("Batch size", 1, C.MAX_BATCH_SIZE, key=P + "batch_size",
                       help="Examples per step; larger than the training set means full-batch.")
        r.number_input("Epochs", 1, C.MAX_EPOCHS, key=P + "epochs")
        r = row()
        r.number_input("Weight decay", 0.0, 1.0, step=1e-4, format="%.4f", key=P + "weight_decay")
        r.number_input("Seed", 0, 2**31 - 1, key=P + "seed", help="Same seed, same curve (on CPU).")
        st.selectbox("Device", ("auto", *devices.available()), key=P + "device",
                     help="auto picks CUDA, then Apple MPS, then CPU.")
    if dataset == "csv" and table is None:  # nothing more to check until there is a table
        return FormResult(None, None, tuple(problems))
    try:
        cfg = C.RunConfig(
            data=C.DataConfig(dataset=dataset, n_samples=s[P + "n_samples"], noise=s[P + "noise"],
                              n_classes=s[P + "n_classes"], test_fraction=s[P + "test_fraction"],
                              seed=int(s[P + "data_seed"]), target=s.get(P + "target") or "", task=s[P + "task"],
                              ignore=tuple(s.get(P + "ignore") or ()) if dataset == "csv" else ()),
            model=C.MLPConfig(hidden_sizes=tuple(int(s[f"{P}width.{i}"]) for i in range(n_layers)),
                              activations=tuple(s[f"{P}act.{i}"] for i in range(n_layers)),
                              dropout=s[P + "dropout"], init=s[P + "init"]),
            training=C.TrainConfig(optimizer=s[P + "optimizer"], learning_rate=s[P + "learning_rate"],
                                   batch_size=int(s[P + "batch_size"]), epochs=int(s[P + "epochs"]),
                                   weight_decay=float(s[P + "weight_decay"]), seed=int(s[P + "seed"]),
                                   device=s[P + "device"]))
    except ValueError as e:
        return FormResult(None, table, (*problems, str(e)))
    if not problems:
        s[SAVED] = cfg
    write_link(cfg)
    return FormResult(None if problems else cfg, table, tuple(problems))


def _csv_section() -> tuple[pd.DataFrame | None, list[str]]:
    """The upload widget, target and task pickers. Returns the table and any problems."""
    upload = st.file_uploader(
        "CSV file", type=["csv", "txt", "tsv"], key=P + "upload",
        help=f"At most {MAX_UPLOAD_BYTES // 2**20} MB, {MAX_ROWS:,} rows and {MAX_COLUMNS} columns.")
    if upload is not None:
        new = st.session_state.get(SEEN) != upload.file_id
        st.session_state[SEEN] = upload.file_id
        try:
            if st.session_state.get(READ) != upload.file_id:  # a bad file is read again, to show its error again
                st.session_state[TABLE] = (upload.name, read_csv(upload.getvalue(), upload.name))
                st.session_state[READ] = upload.file_id
        except DataError as e:
            st.error(literal(str(e) if upload.name in str(e) else f"{upload.name}: {e}"))
            if new and not st.session_state.get(TABLE_OK):  # a new bad file does not fall back on an unusable one
                _forget_table()
            if TABLE in st.session_state:
                st.caption(literal(f"Still using {st.session_state[TABLE][0]}."))
    if TABLE not in st.session_state:
        return None, [NEED_TABLE]
    file_name, table = st.session_state[TABLE]
    name = literal(file_name)  # for our own sentences around it, which are Markdown
    if upload is None:  # emptied by its ✕, or by leaving the page: the table is kept until forgotten
        st.caption(f"Using {name}, uploaded earlier.")
        st.button(f"Forget {name}", key=P + "forget_table", on_click=_forget_table, icon=":material/delete:")
    columns = list(table.columns)
    if st.session_state.get(P + "target") not in columns:
        st.session_state[P + "target"] = columns[-1]
    r = row()
    target = r.selectbox("Target column", columns, key=P + "target")
    task = r.selectbox("Task", C.TASKS, key=P + "task", help="auto: classes for text or few whole numbers.")
    features = [c for c in columns if c != target]
    # before the widget is drawn: names of another table's columns, or of the column just made the target, go
    st.session_state[P + "ignore"] = [c for c in st.session_state.get(P + "ignore") or () if c in features]
    ignore = st.multiselect("Leave out columns", features, key=P + "ignore",
                            help="Columns that are not features: an id, a row number, a copy of the target.")
    if suspects := [c for c in id_like(table) if c in features and c not in ignore]:
        quoted = literal(", ".join(f"'{c}'" for c in suspects))
        it, they = ("it", "it carries") if len(suspects) == 1 else ("them", "they carry")
        st.caption(f"{quoted} {'looks like a row identifier' if it == 'it' else 'look like row identifiers'}: a "
                   f"model can learn to recognise rows by {it} instead of from the features. Leave {it} out unless "
                   f"{they} meaning.")
        st.button(f"Leave out {quoted}", key=P + "ignore_ids", on_click=_leave_out, args=(suspects,),
                  icon=":material/playlist_remove:")
    with st.expander(f"Preview of {name}"):
        st.dataframe(table.head(PREVIEW_ROWS), hide_index=True)
    try:
        data = make_dataset(C.DataConfig(dataset="csv", target=target, task=task, ignore=tuple(ignore)), table)
    except (DataError, ValueError) as e:
        st.session_state[TABLE_OK] = False
        return table, [f"{file_name}: {e}"]
    st.session_state[TABLE_OK] = True
    kind = f"{data.n_classes} classes" if data.task == "classification" else "regression"
    n_features = f"{data.n_features} feature{'s' * (data.n_features != 1)}"
    st.caption(literal(f"{file_name}: {len(table):,} rows, {n_features}, {kind}. " + " ".join(data.notes)))
    return table, []


def _leave_out(columns: list[str]) -> None:
    st.session_state[P + "ignore"] = [*(st.session_state.get(P + "ignore") or ()), *columns]


def _forget_table() -> None:
    st.session_state.pop(TABLE, None)
    st.session_state.pop(READ, None)
    st.session_state.pop(TABLE_OK, None)
