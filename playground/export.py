"""Exports and imports: weights as safetensors (never pickle) with what is needed to use them, configs as JSON and
back, and a run's metrics as CSV.

Nothing here knows a playground: a run's info says what its weights need (its `weights_metadata()`), and a config
file is read into whichever config type the caller names; `playground.kinds` names the other playgrounds' types
only to say that a file belongs to another page.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from safetensors import safe_open
from safetensors.numpy import save as _save

from playground.events import SettingChanged
from playground.steering import schedule_record

MAX_CONFIG_BYTES = 1_000_000  # an imported config: the longest valid one (a 100,000-character corpus as JSON
# escapes, 6 bytes a character) is about 600 kB
METRICS_COLUMNS = ("kind", "step", "epoch", "loss", "train_loss", "test_loss", "train_metric", "test_metric",
                   "metric")


def weights_bytes(state: dict[str, np.ndarray], config: Any = None, info: Any = None) -> bytes:
    """Serialise a weights copy (name -> array) to safetensors bytes.

    The metadata (safetensors allows only str -> str) holds the config's JSON under "config", so the file
    describes its own architecture, and each item of the run info's `weights_metadata()` (when `info` has one)
    JSON-encoded under its name: for an MLP the task, class_names, feature_names, inputs, feature_mean and
    feature_std (the standardisation fitted on the training split), target_mean and target_std (regression) and a
    "usage" sentence; for a Transformer its task, vocab and outputs. `read_metadata` decodes them.
    """
    metadata = {"config": config.to_json()} if config is not None else {}
    extra = getattr(info, "weights_metadata", None)
    if callable(extra):
        metadata.update({key: json.dumps(value) for key, value in extra().items()})
    return _save({k: np.ascontiguousarray(v) for k, v in state.items()}, metadata=metadata or None)


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The metadata of a safetensors file written by `weights_bytes`, each value decoded from JSON (the config as a
    dict). Raises OSError for a file that cannot be read and safetensors' error for one that is not safetensors."""
    with safe_open(os.fspath(path), framework="numpy") as f:
        raw = f.metadata() or {}
    return {key: json.loads(value) for key, value in raw.items()}


def config_json(config: Any, changes: Sequence[SettingChanged] = ()) -> str:
    """The config as JSON: its starting settings, and where settings changed while it trained (playground.steering),
    a "schedule" list of {"step", "name", "value"} as `--schedule` takes them."""
    d = config.to_dict()
    if changes:
        d["schedule"] = schedule_record(changes)
    return json.dumps(d, indent=2)


def read_config(raw: bytes, cls: type, name: str = "the file", max_bytes: int = MAX_CONFIG_BYTES) -> Any:
    """A config of type `cls` from the bytes of a JSON file (as `config_json` writes it; missing settings take
    their defaults; a "schedule" of changes made while a run trained is left out: the form takes the starting
    settings).

    Raises ValueError with a message that names `name` and what is wrong: a file over `max_bytes`, not UTF-8 text,
    not JSON, not a JSON object, another playground's config, an unknown setting, or a value out of bounds.
    """
    if len(raw) > max_bytes:
        raise ValueError(f"{name} is {len(raw) / 1e6:.1f} MB: a config file is at most {max_bytes / 1e6:g} MB.")
    try:
        d = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ValueError(f"{name} is not a text file: a config is the JSON file the Download config button "
                         "gives.") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{name} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}.") from None
    if not isinstance(d, dict):
        raise ValueError(f"{name} holds a JSON {type(d).__name__}, not a config: a config is a JSON object.")
    d.pop("schedule", None)  # the changes made while it trained: a record of that run, not a starting setting
    try:
        return cls.from_dict(d)
    except ValueError as e:
        error = e
    if (other := _owner(d, cls)) is not None:
        raise ValueError(f"{name} is a config of the {other}, not of this one: import it on that page.")
    raise ValueError(f"{name}: {error}")


def _owner(d: dict, cls: type) -> str | None:
    """The title of the other playground whose config type reads `d`, if one does."""
    from playground import kinds  # the table of playgrounds, imported when a file is not of `cls`

    for kind in kinds.KINDS:
        if kind.config_type is cls:
            continue
        try:
            kind.config_type.from_dict(d)
        except ValueError:
            continue
        return kind.title
    return None


def metrics_frame(snap: Any) -> pd.DataFrame:
    """A run's metrics as one table: a row per recorded training step and a row per evaluation, in step order
    (an evaluation after the step it follows).

    Columns (METRICS_COLUMNS): `kind` ("step" or "evaluation"); `step` (1-based optimizer step); `epoch`
    (1-based; empty for a run counted in steps); on step rows `loss`, the mini-batch training loss before the
    update; on evaluation rows `train_loss` and `test_loss` (mean per example over each whole split; "test" is
    the held-out split, which the attention playground calls validation), `train_metric` and `test_metric`, and
    `metric`, the metric's name (e.g. "accuracy", "R²", "token accuracy"). Losses are the run's loss
    (cross-entropy or mean squared error); the other kind's columns are empty. Select one kind with
    `df[df.kind == "evaluation"]`.

    A step row's epoch is that of the first evaluation at or after it (the current epoch after the last one), so
    it stays right when the batch size changes during a run. A run of more than runlog.MAX_STEP_POINTS steps has
    step rows that average 2, 4, ... consecutive steps, as the loss chart does; their `step` is the mean step.
    `snap` is a job's Snapshot.
    """
    ev = pd.DataFrame({name: snap.eval_series(name) for name in METRICS_COLUMNS[1:3] + METRICS_COLUMNS[4:8]})
    ev.insert(0, "kind", "evaluation")
    ev["metric"] = snap.started.metric.label if snap.started else ""
    steps = pd.DataFrame({"kind": "step", "step": np.asarray(snap.step_x, float), "loss": snap.step_loss})
    steps["epoch"] = _step_epochs(steps["step"].to_numpy(), ev, snap.epoch)
    table = pd.concat([steps, ev], ignore_index=True).reindex(columns=list(METRICS_COLUMNS))
    table = table.sort_values(["step", "kind"], kind="stable", key=_step_rows_first, ignore_index=True)
    if np.all(np.mod(table["step"], 1) == 0):
        table["step"] = table["step"].astype("int64")
    table["epoch"] = table["epoch"].astype("Int64") if table["epoch"].notna().any() else table["epoch"]
    return table


def _step_rows_first(column: pd.Series) -> pd.Series:
    return column.map({"step": 0, "evaluation": 1}) if column.name == "kind" else column


def _step_epochs(steps: np.ndarray, ev: pd.DataFrame, current: int | None) -> np.ndarray:
    """The epoch of each step (see `metrics_frame`); NaN for a run counted in steps."""
    epochs = ev["epoch"].to_numpy(float)
    if current is None or (len(epochs) and np.isnan(epochs).all()):
        return np.full(len(steps), np.nan)
    after = np.searchsorted(ev["step"].to_numpy(float), steps, side="left")  # the first evaluation at or after
    known = np.append(epochs, float(current))  # past the last evaluation: the current epoch
    return known[after]


def metrics_csv(snap: Any) -> str:
    """`metrics_frame(snap)` as CSV text (a header row, no index); `pandas.read_csv` reads it back."""
    return metrics_frame(snap).to_csv(index=False, float_format=_FLOAT_FORMAT)


_FLOAT_FORMAT = "%.9g"  # float32 losses round-trip; fewer digits than repr's 17


def unwritable(path: str | os.PathLike | None) -> str | None:
    """Why a file cannot be written at `path` (its folder is missing, or it is a folder), naming it; None when it
    can, or when there is no path. Checked before a run, so a long run's metrics are not lost at its end."""
    if path is None:
        return None
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        return f"{path!r} is a folder; give a file name, e.g. {os.path.join(path, 'metrics.csv')!r}."
    if not os.path.isdir(folder):
        return f"Cannot write {path!r}: the folder {folder!r} does not exist."
    return None
