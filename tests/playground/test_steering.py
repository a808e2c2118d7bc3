"""Steering a running job (playground.steering, Control.change, loop.fit's changes, Job.set_setting) and early
stopping (playground.early_stopping) in both playgrounds."""

import dataclasses
import math
import time

import numpy as np
import pytest

from playground import memory, plots, steering
from playground.attention import training as attention_training
from playground.attention.config import AttentionRunConfig, AttentionTrainConfig, TaskConfig, TransformerConfig
from playground.control import Control
from playground.events import EvalEnded, RunFinished, RunStarted, SettingChanged, StepEnded
from playground.jobs import Job
from playground.loop import fit
from playground.mlp.config import DataConfig
from playground.mlp.data import make_dataset, validation_split
from playground.mlp.training import MLPRunner
from playground.settings import Limits
from tests.conftest import Recorder, tiny_config

JOIN_S = 30.0


def run(config, control=None) -> Recorder:
    """Train an MLP `config` in this thread; its events."""
    events = Recorder()
    fit(MLPRunner(config), events, control)
    return events


def losses(events: Recorder) -> np.ndarray:
    return np.array([e.loss for e in events.of(StepEnded)])


def test_control_gives_changes_once_due_and_holds_those_that_wait_for_an_epoch():
    control = Control()
    assert not control.has_changes
    control.change("learning_rate", 0.1)
    control.change("batch_size", 8)
    control.change("weight_decay", 0.01, after_step=5)
    assert control.take_changes(3, held=frozenset({"batch_size"})) == [("learning_rate", 0.1)]
    assert control.take_changes(4) == [("batch_size", 8)]
    assert control.has_changes and control.take_changes(5) == [("weight_decay", 0.01)]
    assert not control.has_changes


def test_a_learning_rate_change_applies_at_the_next_step():
    plain = run(tiny_config())
    control = Control()
    control.change("learning_rate", 0.5, after_step=12)
    steered = run(tiny_config(), control)
    change = steered.of(SettingChanged)
    assert [(c.step, c.name, c.old, c.new) for c in change] == [(12, "learning_rate", 0.05, 0.5)]
    before, after = losses(plain), losses(steered)
    # step 13's loss is taken before its update, on the weights both runs share; step 14's is the first to differ
    np.testing.assert_array_equal(before[:13], after[:13])
    assert after[13] != before[13]
    assert steered.of(EvalEnded)[-1].train_loss != plain.of(EvalEnded)[-1].train_loss


def test_the_optimizer_takes_the_new_learning_rate_and_weight_decay():
    runner = MLPRunner(tiny_config(optimizer="adamw"))
    control = Control()
    control.change("learning_rate", 0.2, after_step=3)
    control.change("weight_decay", 0.05, after_step=3)
    fit(runner, Recorder(), control)
    assert all(g["lr"] == 0.2 and g["weight_decay"] == 0.05 for g in runner.optimizer.param_groups)
    assert runner.training.learning_rate == 0.2  # a divergence's message names the rate it trained with


def test_a_batch_size_change_applies_at_the_next_epoch():
    control = Control()
    control.change("batch_size", 40, after_step=3)  # in the middle of epoch 1 (160 rows, 10 steps of 16)
    events = run(tiny_config(), control)
    change = events.of(SettingChanged)[0]
    assert (change.step, change.epoch, change.old, change.new) == (10, 1, 16, 40)
    assert (change.steps_per_epoch, change.total_steps) == (4, 10 + 4 * 4)
    per_epoch = {}
    for s in events.of(StepEnded):
        per_epoch[s.epoch] = per_epoch.get(s.epoch, 0) + 1
    assert per_epoch == {1: 10, 2: 4, 3: 4, 4: 4, 5: 4}
    assert events.of(RunFinished)[0].steps == 26


def test_a_transformer_batch_size_change_applies_at_the_next_step():
    config = AttentionRunConfig(task=TaskConfig(seq_len=4, vocab_size=5),
                                model=TransformerConfig(d_model=16, n_heads=1, n_layers=1, d_ff=16),
                                training=AttentionTrainConfig(steps=6, batch_size=8, eval_every=3, device="cpu"))
    runner = attention_training.AttentionRunner(config)
    sizes = []
    step = runner.step
    runner.step = lambda batch: sizes.append(len(batch.inputs)) or step(batch)
    control = Control()
    control.change("batch_size", 3, after_step=2)
    fit(runner, Recorder(), control)
    assert sizes == [8, 8, 3, 3, 3, 3]


@pytest.mark.parametrize("name, value, message", [
    ("learning_rate", 100.0, "learning_rate must be between"),
    ("batch_size", 0, "batch_size must be between"),
    ("weight_decay", -1.0, "weight_decay must be between"),
    ("epochs", 3, "can't change while a run trains"),
])
def test_a_change_out_of_bounds_is_refused_and_the_run_keeps_its_settings(name, value, message):
    job = Job(tiny_config(), paused=True).start()
    try:
        with pytest.raises(ValueError, match=message):
            job.set_setting(name, value)
        assert job.settings == job.config and not job.control.has_changes
    finally:
        job.stop(JOIN_S)


def test_a_batch_size_over_the_memory_budget_is_refused():
    config = AttentionRunConfig(task=TaskConfig(seq_len=32), training=AttentionTrainConfig(batch_size=64))
    budget = memory.estimate(config).mb * 2  # the run fits; sixteen times its batch does not
    limits = Limits(max_memory_mb=budget)
    assert steering.changed_config(config, "batch_size", 128, limits).training.batch_size == 128
    with pytest.raises(ValueError, match="Can't change batch size to 1024: This run would need about"):
        steering.changed_config(config, "batch_size", 1024, limits)
    with pytest.raises(ValueError, match="batch_size x seq_len"):  # a Transformer's own bound on a step's tokens
        steering.changed_config(dataclasses.replace(config, task=TaskConfig(seq_len=64)), "batch_size", 1024)


def test_pause_change_and_step_apply_the_change_before_that_step():
    job = Job(tiny_config(), paused=True).start()
    try:
        job.set_setting("learning_rate", 0.3)
        assert job.settings.training.learning_rate == 0.3 and job.trains(job.settings)
        job.step()
        deadline = time.monotonic() + JOIN_S
        while not job.snapshot().changes and time.monotonic() < deadline:
            time.sleep(0.01)
        snap = job.snapshot()
        assert [(c.step, c.name, c.new) for c in snap.changes] == [(0, "learning_rate", 0.3)]
        job.resume()
        job.thread.join(JOIN_S)
    finally:
        job.stop(JOIN_S)
    with pytest.raises(ValueError, match="has ended"):
        job.set_setting("learning_rate", 0.1)


def test_a_schedule_parses_checks_and_records():
    schedule = steering.parse_schedule(["learning_rate=20:0.1,5:0.2", "training.batch_size=10:8"])
    assert schedule == [(5, "learning_rate", 0.2), (10, "batch_size", 8), (20, "learning_rate", 0.1)]
    steering.check_schedule(tiny_config(), schedule)
    with pytest.raises(ValueError, match="at step 3: learning_rate must be between"):
        steering.check_schedule(tiny_config(), [(3, "learning_rate", 50.0)])
    for bad in ("epochs=3:4", "learning_rate=3", "learning_rate=-1:0.1", "batch_size=3:0.5"):
        with pytest.raises(ValueError, match="--schedule"):
            steering.parse_schedule([bad])
    change = SettingChanged(7, 1, "learning_rate", 0.01, 0.1)
    assert steering.schedule_record([change]) == [{"step": 7, "name": "learning_rate", "value": 0.1}]
    assert steering.describe(change) == "learning rate 0.01 → 0.1"


def test_each_change_is_a_labelled_vertical_line_on_the_loss_chart():
    x = np.arange(1, 50.0)
    figure = plots.loss_figure(x, 1 / x, np.array([10.0]), np.array([0.5]), np.array([0.6]))
    plots.mark_changes(figure, [(20, "learning rate 0.01 → 0.1"), (30, "batch size 16 → 32")])
    spec = figure.to_plotly_json()["layout"]
    assert [(s["x0"], s["x1"], s["yref"]) for s in spec["shapes"]] == [(20, 20, "paper"), (30, 30, "paper")]
    assert [a["text"] for a in spec["annotations"]] == ["learning rate 0.01 → 0.1", "batch size 16 → 32"]
    assert "shapes" not in plots.mark_changes(plots.loss_figure(x, 1 / x, x[:0], x[:0], x[:0]), []).to_plotly_json()[
        "layout"]


def early(**training):
    return tiny_config(epochs=200, learning_rate=0.05, **training)


def test_early_stopping_by_patience_stops_after_that_many_evaluations_without_improvement():
    events = run(early(patience=3))
    end = events.of(RunFinished)[0]
    evals = events.of(EvalEnded)
    assert end.status == "completed" and end.stopped_early and "has not improved for 3 evaluations" in end.message
    assert end.steps < 200 * 8
    val = [e.val_loss for e in evals]
    best = int(np.argmin(val))
    assert (evals[best].step, evals[best].epoch) == (end.best_step, end.best_epoch)
    # three evaluations after the best, none lower; the last one again in full: the weights it ends with, for the page
    assert len(evals) - 2 - best == 3 and evals[-1].step == evals[-2].step == end.steps
    assert evals[-1].state is not None and evals[-1].val_loss == evals[-2].val_loss


def test_early_stopping_by_target_stops_at_the_first_evaluation_that_reaches_it():
    events = run(early(target_metric=0.85))
    evals, end = events.of(EvalEnded), events.of(RunFinished)[0]
    assert end.stopped_early and "reached" in end.message
    assert evals[-1].val_metric >= 0.85 and all(e.val_metric < 0.85 for e in evals[:-2])
    assert evals[-1].step == end.steps < 200 * 8


def test_restore_best_weights_ends_with_the_best_evaluations_metrics():
    events = run(early(patience=3, restore_best_weights=True))
    evals, end = events.of(EvalEnded), events.of(RunFinished)[0]
    best = min(evals[:-1], key=lambda e: e.val_loss)
    assert "Restored the weights of step" in end.message and best.step == end.best_step
    final = evals[-1]  # the restored weights, evaluated again
    assert final.step == end.steps and final.state is not None
    assert (final.val_loss, final.test_loss, final.test_metric) == (best.val_loss, best.test_loss, best.test_metric)
    kept = run(early(patience=3))  # the same run without restoring ends with its last weights
    assert kept.of(EvalEnded)[-1].val_loss > best.val_loss


def test_the_validation_split_comes_from_the_training_rows_never_the_test_rows():
    data = make_dataset(DataConfig(dataset="moons", n_samples=200, noise=0.1))
    rest, x_val, y_val = validation_split(data, 0.25, seed=0)
    assert len(x_val) == math.ceil(0.25 * len(data.x_train)) and len(rest.x_train) + len(x_val) == len(data.x_train)
    rows = lambda x: {tuple(r) for r in x}  # noqa: E731
    assert not rows(x_val) & rows(data.x_test) and not rows(x_val) & rows(rest.x_train)
    assert rows(x_val) | rows(rest.x_train) == rows(data.x_train)
    np.testing.assert_array_equal(rest.x_test, data.x_test)
    events = run(early(patience=2, validation_fraction=0.25))
    started = events.of(RunStarted)[0]
    assert started.info.n_train == len(rest.x_train) and started.info.n_test == len(data.x_test)
    assert "40 of the training rows" in started.validation


def test_the_transformers_validation_sample_is_drawn_from_the_training_examples():
    config = AttentionRunConfig(task=TaskConfig(task="sentiment", seq_len=16),
                                model=TransformerConfig(d_model=16, n_heads=1, n_layers=1, d_ff=16),
                                training=AttentionTrainConfig(steps=40, batch_size=16, eval_every=5, device="cpu",
                                                              target_metric=0.0))
    runner = attention_training.AttentionRunner(config)
    events = Recorder()
    fit(runner, events)
    assert len(runner.validation[0]) == attention_training.validation_size(config) == 32  # 0.2 x 16 x 5, at least 32
    held_out = {tuple(r) for r in runner.held_out[0].tolist()}
    assert not {tuple(r) for r in runner.validation[0].tolist()} & held_out  # sentiment holds sentences out
    end = events.of(RunFinished)[0]
    assert end.stopped_early and end.best_epoch is None and end.best_step == 5  # the first evaluation reached 0.0
    assert "sequences drawn from the training examples" in events.of(RunStarted)[0].validation


def test_defaults_keep_todays_run_no_validation_split_and_the_same_curve():
    plain = run(tiny_config())
    unused = run(tiny_config(validation_fraction=0.45, restore_best_weights=True))  # early stopping off: no split
    np.testing.assert_array_equal(losses(plain), losses(unused))
    assert all(e.val_loss is None for e in plain.of(EvalEnded))
    assert plain.of(RunStarted)[0].validation == "" and plain.of(RunStarted)[0].info.n_train == 160
    end = plain.of(RunFinished)[0]
    assert not end.stopped_early and end.best_step is None and end.message == ""


def test_early_stopping_settings_are_checked_and_round_trip():
    from playground import share
    from playground.mlp.config import MLPRunConfig

    for bad in ({"patience": -1}, {"validation_fraction": 0.9}, {"target_metric": 2.0},
                {"restore_best_weights": "yes"}):
        with pytest.raises(ValueError):
            tiny_config(**bad)
    config = tiny_config(patience=4, restore_best_weights=True, target_metric=0.9)
    assert MLPRunConfig.from_json(config.to_json()) == config
    query = share.to_query(config)
    assert query["training.target_metric"] == "0.9" and query["training.restore_best_weights"] == "True"
    assert share.from_query(MLPRunConfig, query) == (config, [])
    assert dataclasses.replace(config.training, target_metric=None).target_metric is None


def test_the_exported_config_says_the_schedule_and_starts_from_the_starting_settings():
    import json

    from playground.export import config_json

    config = tiny_config()
    assert "schedule" not in json.loads(config_json(config))
    exported = json.loads(config_json(config, [SettingChanged(12, 1, "learning_rate", 0.05, 0.5)]))
    assert exported["schedule"] == [{"step": 12, "name": "learning_rate", "value": 0.5}]
    assert exported["training"]["learning_rate"] == 0.05


def test_a_single_steps_evaluation_does_not_count_for_early_stopping():
    import threading

    control = Control(paused=True)
    for _ in range(3):
        control.step()
    events = Recorder()
    thread = threading.Thread(target=fit, args=(MLPRunner(tiny_config(target_metric=-1.0)), events, control))
    thread.start()
    deadline = time.monotonic() + JOIN_S
    while len(events.of(EvalEnded)) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    control.stop()
    thread.join(JOIN_S)
    end = events.of(RunFinished)[0]
    assert len(events.of(EvalEnded)) == 3 and end.status == "stopped" and not end.stopped_early
    control = Control()
    # the first epoch's end: 128 rows train (40 validate), 8 steps of 16
    assert run(tiny_config(target_metric=-1.0), control).of(RunFinished)[0].steps == 8
