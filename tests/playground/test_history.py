"""Tests for playground.history: run records, the history's limit and pins, and the differences between configs."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from playground.attention.config import AttentionRunConfig, AttentionTrainConfig
from playground.events import ACCURACY, EvalEnded, Metric, RunStarted
from playground.history import Curves, History, RunRecord, describe, differences, label
from playground.mlp.config import MLPConfig, MLPRunConfig, TrainConfig
from playground.runlog import Snapshot

E = np.zeros(0)


def record(run: int, kind: str = "mlp", config=None) -> RunRecord:
    return RunRecord(0, run, kind, config or MLPRunConfig(), Curves(E, E, E, E, E, E, E, E, E), "completed", 10, 1.0,
                     "accuracy", "test")


def test_past_the_limit_the_oldest_unpinned_run_goes_and_says_so():
    h = History("mlp", limit=3)
    assert [h.add(record(r)) for r in (11, 12, 13)] == [None, None, None]
    assert [r.number for r in h.records] == [1, 2, 3]
    assert h.next_drop().number == 1
    dropped = h.add(record(14))
    assert dropped.number == 1 and [r.number for r in h.records] == [2, 3, 4]


def test_a_pinned_run_is_kept_past_the_limit():
    h = History("mlp", limit=3)
    for r in (11, 12, 13):
        h.add(record(r))
    h.pin(1)
    assert h.next_drop().number == 2
    h.add(record(14))
    h.add(record(15))
    assert [r.number for r in h.records] == [1, 4, 5] and h.find(1).pinned
    h.pin(4)
    with pytest.raises(ValueError, match="At most 2 runs can be pinned"):  # a place stays for the next run
        h.pin(5)
    h.pin(1, False)
    assert h.next_drop().number == 1


def test_a_run_is_recorded_once_and_only_on_its_own_page():
    h = History("mlp")
    h.add(record(7))
    assert h.add(record(7)) is None and len(h) == 1 and h.recorded(7)
    with pytest.raises(ValueError, match="attention run cannot go into the mlp page's history"):
        h.add(record(8, kind="attention", config=AttentionRunConfig()))
    with pytest.raises(ValueError):
        History("mlp", limit=1)


def test_hide_delete_and_the_shown_run_cannot_be_deleted():
    h = History("mlp")
    h.add(record(7))
    h.add(record(8))
    version = h.version
    h.hide(1)
    assert h.find(1).hidden and h.version > version
    with pytest.raises(ValueError, match="Run 2 is the one the charts show"):
        h.delete(2, current_run=8)
    assert len(h) == 2
    h.delete(1, current_run=8)
    assert [r.number for r in h.records] == [2]
    with pytest.raises(KeyError):
        h.find(1)
    h.add(record(7))  # a deleted run is not recorded again
    assert [r.number for r in h.records] == [2]


def test_differences_name_the_fields_by_dotted_name_and_label():
    a = MLPRunConfig()
    b = replace(a, training=replace(a.training, learning_rate=a.training.learning_rate * 10, batch_size=64),
                model=replace(a.model, hidden_sizes=(32, 32), activations=("tanh", "tanh")))
    diffs = differences(a, b)
    names = [d.name for d in diffs]
    assert names == ["model.hidden_sizes", "model.activations", "training.learning_rate", "training.batch_size"]
    lr = diffs[2]
    assert lr.text == f"learning rate {a.training.learning_rate:g} → {a.training.learning_rate * 10:g}"
    assert diffs[0].label == "hidden layers" and diffs[3].text == f"batch size {a.training.batch_size} → 64"
    assert differences(a, a) == () and describe(()) == "same settings"
    assert describe(diffs, limit=30).endswith("…") and len(describe(diffs, limit=30)) == 30


def test_difference_texts_for_lists_flags_long_text_and_standard_terms():
    mlp = MLPRunConfig(model=MLPConfig(hidden_sizes=(8,), activations=("relu",)), training=TrainConfig(epochs=5))
    other = replace(mlp, model=replace(mlp.model, hidden_sizes=(8, 8), activations=("relu", "relu")))
    assert differences(mlp, other)[0].text == "hidden layers [8] → [8, 8]"
    a = AttentionRunConfig()
    b = replace(a, training=AttentionTrainConfig(learning_rate=0.3), model=replace(a.model, n_heads=1),
                task=replace(a.task, text="x" * 100))
    texts = [d.text for d in differences(a, b)]
    assert "corpus changed" in texts and f"n_heads {a.model.n_heads} → 1" in texts
    assert f"learning rate {a.training.learning_rate:g} → 0.3" in texts
    assert label("training.weight_decay") == "weight decay" and label("model.d_model") == "d_model"
    with pytest.raises(ValueError, match="two playgrounds"):
        differences(a, MLPRunConfig())


def _snapshot(steps: int = 40, per_epoch: int | None = 10) -> Snapshot:
    step_x = np.arange(1.0, steps + 1)
    evals = tuple(EvalEnded(s, s // 10, 1 / s, 2 / s, 0.5, 0.4 + s / 100) for s in range(10, steps + 1, 10))
    started = RunStarted("cpu", 5, per_epoch, steps, Metric(ACCURACY, "accuracy"))
    clock = np.array([[0, 0.0], [steps, 4.0]])  # 0.1 s a step
    return Snapshot("completed", "", MLPRunConfig(), started, steps, 4, 4.0, 10.0, None, step_x, 1 / step_x, evals,
                    None, None, run=3, clock=clock, eval_s=np.array([1.05, 2.05, 3.05, 4.05]))


def test_a_record_keeps_curves_final_metrics_and_no_weights():
    rec = RunRecord.from_snapshot(_snapshot(), "mlp", status="stopped")
    assert (rec.run, rec.status, rec.steps, rec.elapsed_s, rec.held_out) == (3, "stopped", 40, 4.0, "test")
    assert rec.final == {"train_loss": 1 / 40, "test_loss": 2 / 40, "train_metric": 0.5, "test_metric": 0.8}
    np.testing.assert_allclose(rec.curves.test_loss, [2 / 10, 2 / 20, 2 / 30, 2 / 40])
    assert not hasattr(rec, "state") and not hasattr(rec, "views")


def test_curves_count_steps_epochs_and_wall_time_and_are_bounded():
    curves = Curves.from_snapshot(_snapshot())
    np.testing.assert_allclose(curves.eval_x("step"), [10, 20, 30, 40])
    np.testing.assert_allclose(curves.eval_x("epoch"), [1, 2, 3, 4])
    np.testing.assert_allclose(curves.eval_x("wall time"), [1.05, 2.05, 3.05, 4.05])  # measured, not interpolated
    np.testing.assert_allclose(curves.step_x("wall time")[:3], [0.1, 0.2, 0.3])  # interpolated in the clock
    np.testing.assert_allclose(curves.step_x("epoch")[-1], 4.0)
    with pytest.raises(ValueError, match="one of step, epoch, wall time"):
        curves.step_x("minutes")
    small = Curves.from_snapshot(_snapshot(steps=5000), max_points=100)
    assert len(small.step) == len(small.step_s) == len(small.loss) == 100
    assert small.step_s[-1] == pytest.approx(small.step[-1] * 4.0 / 5000)  # the same buckets
    steps_only = Curves.from_snapshot(_snapshot(per_epoch=None))
    assert not steps_only.has_axis("epoch") and steps_only.has_axis("wall time")
    with pytest.raises(ValueError, match="no epochs"):
        steps_only.eval_x("epoch")


def test_history_does_not_import_streamlit_or_torch():
    code = "import sys, playground.history; print(sorted({'streamlit', 'torch'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
