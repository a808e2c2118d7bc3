import dataclasses
import threading

import numpy as np
import pandas as pd
import pytest

from playground.coach import RunHistory, diagnose
from playground.control import Control
from playground.events import R2, EvalEnded, Metric, RunFailed, RunFinished, RunStarted, StepEnded
from playground.mlp.config import DataConfig, MLPRunConfig
from playground.mlp.presets import PRESETS
from playground.mlp.training import train
from tests.conftest import Recorder, tiny_config


def test_event_order_and_counts(tiny, recorder):
    train(tiny, recorder)
    ev = recorder.events
    assert isinstance(ev[0], RunStarted) and isinstance(ev[-1], RunFinished) and ev[-1].status == "completed"
    steps = recorder.of(StepEnded)
    started = ev[0]
    assert started.steps_per_epoch == 10  # 160 training rows / batch 16
    assert [s.step for s in steps] == list(range(1, started.total_steps + 1))
    evals = recorder.of(EvalEnded)
    assert [e.epoch for e in evals] == [1, 2, 3, 4, 5]
    # every eval comes after the last step of its epoch
    for e in evals:
        assert ev.index(e) > ev.index(steps[e.step - 1])
    assert started.info.points.x_train.shape == (160, 2) and started.n_params == 2 * 8 + 8 + 8 * 2 + 2


def test_final_evaluation_carries_views_and_weights(tiny, recorder):
    train(tiny, recorder)
    last = recorder.of(EvalEnded)[-1]
    assert last.views.grid.values.shape == (60, 60, 2)
    np.testing.assert_allclose(last.views.grid.values.sum(-1), 1.0, rtol=1e-5)
    assert last.views.confusion.sum() == 40 and last.views.confusion.shape == (2, 2)
    assert set(last.state) == {"hidden.0.weight", "hidden.0.bias", "output.weight", "output.bias"}


def test_same_seed_same_curve_and_another_seed_differs():
    def losses(cfg):
        r = Recorder()
        train(cfg, r)
        return [e.loss for e in r.of(StepEnded)]

    a, b = losses(tiny_config()), losses(tiny_config())
    assert a == b
    assert losses(tiny_config(seed=1)) != a


def test_stop_mid_run_ends_with_stopped(recorder):
    """A stop takes effect at the next step boundary. Step losses are read in blocks (at this run's evaluations,
    every 10 steps, or sooner once 0.1 s has passed), so a stop asked for when step 25's loss arrives ends the run
    after step 25 to 30, wherever the loop had got to, with every step taken shown; one asked for at an evaluation
    ends it right there."""
    for stop_at, kind, ends in ((25, StepEnded, range(25, 31)), (20, EvalEnded, (20,))):
        control, events = Control(), Recorder()

        def emit(event, control=control, events=events, stop_at=stop_at, kind=kind):
            events(event)
            if isinstance(event, kind) and event.step == stop_at:
                control.stop()

        train(tiny_config(epochs=1000), emit, control)
        end = events.events[-1]
        assert isinstance(end, RunFinished) and end.status == "stopped" and end.steps in ends
        assert [e.step for e in events.of(StepEnded)] == list(range(1, end.steps + 1))


def test_pause_and_single_step_evaluate_after_each_step(recorder):
    control = Control(paused=True)
    t = threading.Thread(target=train, args=(tiny_config(), recorder, control))
    t.start()
    for _ in range(3):
        control.step()
    deadline = threading.Event()
    for _ in range(100):
        if len(recorder.of(StepEnded)) == 3 and len(recorder.of(EvalEnded)) == 3:
            break
        deadline.wait(0.05)
    assert [e.step for e in recorder.of(StepEnded)] == [1, 2, 3]
    assert [e.step for e in recorder.of(EvalEnded)] == [1, 2, 3]  # a view after every single step
    control.stop()
    t.join(5)
    assert not t.is_alive() and recorder.events[-1].status == "stopped"


def test_sgd_at_learning_rate_10_diverges_with_a_hint(recorder):
    cfg = dataclasses.replace(PRESETS["moons"].config, training=dataclasses.replace(
        PRESETS["moons"].config.training, optimizer="sgd", learning_rate=10.0))
    train(cfg, recorder)
    end = recorder.events[-1]
    assert isinstance(end, RunFailed) and end.status == "diverged"
    assert "learning rate (10)" in end.message and "too high" in end.message
    assert all(np.isfinite(e.loss) for e in recorder.of(StepEnded))


def test_errors_become_a_failed_event_not_an_exception(recorder):
    cfg = tiny_config(device="cuda") if "cuda" not in __import__("playground.devices").devices.available() else None
    if cfg is None:
        cfg = MLPRunConfig(data=DataConfig(dataset="csv", target="y"))
    train(cfg, recorder)
    end = recorder.events[-1]
    assert isinstance(end, RunFailed) and end.status == "failed" and end.message


def test_regression_reports_r2(recorder):
    cfg = MLPRunConfig.from_dict({"data": {"dataset": "plane", "n_samples": 200, "noise": 0.05},
                               "training": {"epochs": 30, "learning_rate": 0.01}})
    train(cfg, recorder)
    assert recorder.events[0].metric == Metric(R2, "R²")
    last = recorder.of(EvalEnded)[-1]
    assert last.test_metric > 0.9 and last.views.grid.values.shape == (60, 60)


@pytest.mark.parametrize("data, dropout", [({"dataset": "blobs", "n_classes": 3, "n_samples": 300}, 0.0),
                                           ({"dataset": "moons", "n_samples": 300}, 0.3),
                                           ({"dataset": "ripple", "n_samples": 300}, 0.0)])
def test_evaluation_matches_scikit_learn_on_the_final_weights(recorder, data, dropout):
    """Each split's loss and metric, recomputed from the final weights with scikit-learn's formulas: log loss
    and accuracy for classes, mean squared error and R² for regression. With dropout the evaluation must run
    in eval mode (dropout off), as this recomputation does."""
    import torch
    from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score

    from playground.mlp.data import make_dataset
    from playground.mlp.model import MLP

    cfg = MLPRunConfig.from_dict({"data": data, "model": {"dropout": dropout}, "training": {"epochs": 3}})
    train(cfg, recorder)
    last = recorder.of(EvalEnded)[-1]
    d = make_dataset(cfg.data)
    model = MLP(d.n_features, d.n_classes or 1, cfg.model).eval()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in last.state.items()})
    got = {"train": (last.train_loss, last.train_metric), "test": (last.test_loss, last.test_metric)}
    for split, x, y in (("train", d.x_train, d.y_train), ("test", d.x_test, d.y_test)):
        with torch.no_grad():
            out = model(torch.from_numpy(x)).double()
        if d.task == "classification":
            expected = (log_loss(y, out.softmax(-1).numpy(), labels=range(d.n_classes)),
                        accuracy_score(y, out.argmax(-1).numpy()))
        else:
            pred = out.squeeze(-1).numpy()
            expected = (mean_squared_error(y, pred), r2_score(y, pred))
        np.testing.assert_allclose(got[split], expected, rtol=1e-4, atol=1e-6, err_msg=split)


def test_an_infinite_test_loss_leaves_the_training_split_alone(recorder):
    """One held-out outlier (scaled with the training split's statistics) overflows float32 in its squared
    error; the training loss stays finite, so the run is not ended as diverged."""
    from playground.mlp.data import make_dataset

    rng = np.random.default_rng(1)
    a, b = rng.normal(size=200), rng.normal(size=200)
    a[7] = 1e22
    table = pd.DataFrame({"a": a, "b": b, "y": 2 * b + 0.1 * rng.normal(size=200)})
    cfg = MLPRunConfig.from_dict({"data": {"dataset": "csv", "target": "y", "task": "regression"},
                               "training": {"epochs": 3}})
    assert np.abs(make_dataset(cfg.data, table).x_test).max() > 1e10  # the outlier is held out
    train(cfg, recorder, table=table)
    assert recorder.events[-1].status == "completed"
    last = recorder.of(EvalEnded)[-1]
    assert np.isfinite(last.train_loss) and np.isfinite(last.train_metric) and last.test_loss == np.inf


def test_csv_table_trains(recorder):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    table = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "label": np.where(x[:, 0] > 0, "yes", "no")})
    cfg = MLPRunConfig(data=DataConfig(dataset="csv", target="label"),
                    training=dataclasses.replace(MLPRunConfig().training, epochs=40))
    train(cfg, recorder, table=table)
    assert recorder.events[-1].status == "completed"
    assert recorder.of(EvalEnded)[-1].test_metric >= 0.9
    assert recorder.events[0].info.points is None  # three features: no decision-boundary plot


def test_keras_style_iris_preset_reaches_093(recorder):
    train(PRESETS["iris-keras"].config, recorder)
    assert recorder.events[-1].status == "completed"
    assert recorder.of(EvalEnded)[-1].test_metric >= 0.93


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_reaches_its_reference(name, recorder):
    """References were measured with each preset's seed on CPU; 0.02 absorbs library-version drift. A preset is a
    healthy run: the coach finds nothing to say about it."""
    preset = PRESETS[name]
    train(preset.config, recorder)
    assert recorder.events[-1].status == "completed"
    assert recorder.of(EvalEnded)[-1].test_metric >= preset.reference - 0.02
    assert diagnose(RunHistory.from_events(preset.config, recorder.events)) == ()


def test_confusion_counts_match_scikit_learn():
    from sklearn.metrics import confusion_matrix

    from playground.mlp.training import confusion_counts

    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    expected = confusion_matrix(y_true, y_pred, labels=range(4))
    np.testing.assert_array_equal(confusion_counts(y_true, y_pred, 4), expected)


def test_dropout_is_active_in_every_step_and_off_in_evaluation(recorder, monkeypatch):
    """Every step draws dropout masks (the step's own, from the run's generator), and every evaluation runs the
    model in eval mode: train mode is restored after each evaluation."""
    import torch.nn.functional as F

    from playground.mlp.lean import LeanStep

    modes: list[bool] = []
    real, real_noise = F.dropout, LeanStep._dropout_noise
    monkeypatch.setattr(F, "dropout", lambda x, p=0.5, training=True, inplace=False: (
        modes.append(training), real(x, p, training, inplace))[1])
    monkeypatch.setattr(LeanStep, "_dropout_noise", lambda self, a: (modes.append(True), real_noise(self, a))[1])
    cfg = dataclasses.replace(tiny_config(epochs=3), model=dataclasses.replace(tiny_config().model, dropout=0.3))
    train(cfg, recorder)
    assert recorder.events[-1].status == "completed"
    n_steps, n_evals = len(recorder.of(StepEnded)), len(recorder.of(EvalEnded))
    assert modes.count(True) == n_steps == 30
    assert modes.count(False) >= n_evals  # the forward pass of every evaluation (both splits at once)


def test_dropout_runs_are_reproducible_from_the_seed():
    """Dropout draws from the run's own generator, not torch's global one that other jobs share."""
    import torch

    def losses(seed):
        cfg = dataclasses.replace(tiny_config(seed=seed), model=dataclasses.replace(tiny_config().model, dropout=0.5))
        r = Recorder()
        train(cfg, r)
        torch.rand(7)  # another user of the global generator between runs changes nothing
        return [e.loss for e in r.of(StepEnded)]

    assert losses(0) == losses(0) != losses(1)


def test_tiny_batches_still_diverge(recorder):
    train(tiny_config(optimizer="momentum", learning_rate=10.0, batch_size=1, epochs=3), recorder)
    end = recorder.events[-1]
    assert isinstance(end, RunFailed) and end.status == "diverged" and "learning rate" in end.message


