"""Exports and imports (playground.export): metrics CSV, weights' metadata, config files."""

from __future__ import annotations

import dataclasses
import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from safetensors import safe_open
from safetensors.numpy import load as load_tensors
from sklearn import datasets

from playground import export
from playground.attention.config import AttentionRunConfig
from playground.attention.presets import PRESETS as ATTENTION_PRESETS
from playground.attention.training import AttentionRunner
from playground.events import ACCURACY, EvalEnded, Metric, RunStarted
from playground.jobs import Job
from playground.mlp.config import DataConfig, MLPRunConfig
from playground.mlp.data import make_dataset
from playground.mlp.presets import PRESETS
from playground.runlog import Snapshot
from tests.conftest import tiny_config


def _finished(config) -> Snapshot:
    job = Job(config).start()
    job.thread.join(60)
    snap = job.snapshot()
    assert snap.status == "completed", snap.message
    return snap


@pytest.fixture(scope="module")
def moons_run() -> Snapshot:
    return _finished(tiny_config())  # 160 training rows, batch 16: 10 steps an epoch, 5 epochs


def test_the_metrics_csv_has_a_row_per_step_and_per_evaluation_as_the_run_logged_them(moons_run):
    snap = moons_run
    df = pd.read_csv(io.StringIO(export.metrics_csv(snap)))
    assert tuple(df.columns) == export.METRICS_COLUMNS
    steps, evals = df[df.kind == "step"], df[df.kind == "evaluation"]
    assert list(steps.step) == list(snap.step_x.astype(int)) == list(range(1, 51))
    assert np.allclose(steps.loss, snap.step_loss, rtol=1e-8)
    assert list(steps.epoch) == [math.ceil(s / 10) for s in steps.step]
    assert steps[["train_loss", "test_loss", "train_metric", "test_metric", "metric"]].isna().all().all()
    assert len(evals) == len(snap.evals) == 5 and evals.loss.isna().all()
    for (_, row), e in zip(evals.iterrows(), snap.evals, strict=True):
        assert (row.step, row.epoch) == (e.step, e.epoch)
        assert np.allclose([row.train_loss, row.test_loss, row.train_metric, row.test_metric],
                           [e.train_loss, e.test_loss, e.train_metric, e.test_metric], rtol=1e-8)
    assert set(evals.metric) == {"accuracy"}
    # each evaluation comes after the step it follows
    assert list(df.kind[df.step == 10]) == ["step", "evaluation"]


def _snapshot(step_x, evals, epoch, steps_per_epoch) -> Snapshot:
    started = RunStarted("cpu", 10, steps_per_epoch, 100, Metric(ACCURACY, "token accuracy"))
    return Snapshot("completed", "", None, started, int(step_x[-1]), epoch, 1.0, 1.0, None,
                    np.asarray(step_x, float), np.linspace(1, 0.1, len(step_x)), tuple(evals), None, None)


def test_a_step_rows_epoch_is_its_evaluations_so_it_follows_a_batch_size_changed_mid_run():
    # 10 steps in epoch 1, then a larger batch: 5 steps in epoch 2, and 2 steps of epoch 3 before the end
    evals = [EvalEnded(10, 1, 1.0, 1.0, 0.5, 0.5), EvalEnded(15, 2, 0.5, 0.5, 0.7, 0.7)]
    df = export.metrics_frame(_snapshot(range(1, 18), evals, 3, 10))
    steps = df[df.kind == "step"]
    assert list(steps.epoch) == [1] * 10 + [2] * 5 + [3] * 2


def test_a_run_counted_in_steps_has_no_epochs():
    evals = [EvalEnded(4, None, 1.0, 1.1, 0.2, 0.1), EvalEnded(8, None, 0.5, 0.6, 0.9, 0.8)]
    df = pd.read_csv(io.StringIO(export.metrics_csv(_snapshot(range(1, 9), evals, None, None))))
    assert df.epoch.isna().all() and len(df) == 10
    assert set(df.metric.dropna()) == {"token accuracy"}


def test_averaged_steps_keep_their_mean_step():
    evals = [EvalEnded(4, 1, 1.0, 1.1, 0.2, 0.1)]
    df = export.metrics_frame(_snapshot([1.5, 3.5], evals, 1, 4))
    assert list(df.step) == [1.5, 3.5, 4.0] and list(df.epoch) == [1, 1, 1]


def test_the_weights_carry_the_standardisation_and_the_names_needed_to_use_them(tmp_path):
    snap = _finished(dataclasses.replace(PRESETS["iris-keras"].config,
                                         training=dataclasses.replace(PRESETS["iris-keras"].config.training, epochs=2)))
    path = tmp_path / "iris.safetensors"
    path.write_bytes(export.weights_bytes(snap.state, snap.config, snap.started.info))
    with safe_open(str(path), framework="numpy") as f:
        raw = f.metadata()
    assert all(isinstance(v, str) for v in raw.values())  # safetensors' rule: str -> str
    meta = export.read_metadata(path)
    assert MLPRunConfig.from_dict(meta["config"]) == snap.config
    iris = datasets.load_iris()
    assert meta["task"] == "classification" and meta["class_names"] == list(iris.target_names)
    assert meta["feature_names"] == meta["inputs"] == list(iris.feature_names)
    # the standardisation maps the raw rows onto exactly the rows the model trained on
    mean, std = np.array(meta["feature_mean"]), np.array(meta["feature_std"])
    scaled = ((iris.data - mean) / std).astype(np.float32)
    d = make_dataset(snap.config.data)
    assert all(np.isclose(scaled, row, atol=1e-6).all(1).any() for row in d.x_train)
    assert "feature_mean" in meta["usage"]
    tensors = load_tensors(path.read_bytes())
    assert set(tensors) == set(snap.state) and all(np.array_equal(tensors[k], snap.state[k]) for k in tensors)


def test_regression_weights_carry_the_targets_standardisation_and_derived_inputs(tmp_path):
    config = dataclasses.replace(PRESETS["ripple-regression"].config,
                                 data=DataConfig(dataset="ripple", n_samples=200, features=("x", "y", "xy")),
                                 training=dataclasses.replace(PRESETS["ripple-regression"].config.training, epochs=1))
    snap = _finished(config)
    path = tmp_path / "ripple.safetensors"
    path.write_bytes(export.weights_bytes(snap.state, snap.config, snap.started.info))
    meta = export.read_metadata(path)
    assert meta["task"] == "regression" and meta["class_names"] == []
    assert meta["feature_names"] == ["x1", "x2"] and meta["inputs"] == ["x", "y", "x·y"]
    assert meta["target_std"] > 0 and isinstance(meta["target_mean"], float)
    assert "target_std" in meta["usage"] and "inputs" in meta["usage"]


def test_attention_weights_carry_the_vocabulary_and_outputs(tmp_path):
    config = ATTENTION_PRESETS["reverse"].config
    info = AttentionRunner(config).start().info
    path = tmp_path / "reverse.safetensors"
    path.write_bytes(export.weights_bytes({"w": np.zeros(2, np.float32)}, config, info))
    meta = export.read_metadata(path)
    assert AttentionRunConfig.from_dict(meta["config"]) == config
    assert meta["task"] == config.task.task and len(meta["vocab"]) >= config.task.vocab_size
    assert meta["outputs"] and all(isinstance(t, str) for t in meta["vocab"] + meta["outputs"])


GOOD = PRESETS["iris-keras"].config


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"{not json", "is not valid JSON: Expecting property name enclosed in double quotes at line 1"),
        (b"\xff\xfe\x00garbage\x80", "is not a text file"),
        (b"[1, 2]", "holds a JSON list, not a config"),
        (ATTENTION_PRESETS["reverse"].config.to_json().encode(), "a config of the Attention playground"),
        (b'{"data": {"dataset": "moons", "colour": "red"}}', "Unknown DataConfig settings: colour."),
        (b'{"training": {"learning_rate": 50}}', "learning_rate must be between 1e-05 and 10; got 50."),
        (b'{"model": "big"}', "MLPConfig settings must be an object"),
        (b" " * (export.MAX_CONFIG_BYTES + 1), "a config file is at most 1 MB"),
    ],
)
def test_a_bad_or_foreign_config_file_is_refused_with_what_is_wrong(raw, words):
    with pytest.raises(ValueError) as e:
        export.read_config(raw, MLPRunConfig, "my.json")
    assert words in str(e.value) and "my.json" in str(e.value)


def test_a_downloaded_config_reads_back_and_missing_settings_take_defaults():
    assert export.read_config(export.config_json(GOOD).encode(), MLPRunConfig) == GOOD
    assert export.read_config(b"\xef\xbb\xbf{}", MLPRunConfig) == MLPRunConfig()  # a BOM, as some editors write
    assert export.read_config(json.dumps({"training": {"epochs": 7}}).encode(), MLPRunConfig).training.epochs == 7


def test_unwritable_names_a_missing_folder_and_a_folder(tmp_path):
    assert export.unwritable(tmp_path / "m.csv") is None and export.unwritable(None) is None
    assert "does not exist" in export.unwritable(tmp_path / "nope" / "m.csv")
    assert "is a folder" in export.unwritable(tmp_path)


def test_a_config_exported_after_live_changes_imports_its_starting_settings():
    from playground.events import SettingChanged

    config = tiny_config()
    changed = SettingChanged(step=5, epoch=1, name="learning_rate", old=config.training.learning_rate, new=0.5)
    text = export.config_json(config, [changed])
    assert json.loads(text)["schedule"] == [{"step": 5, "name": "learning_rate", "value": 0.5}]
    assert export.read_config(text.encode(), MLPRunConfig) == config
