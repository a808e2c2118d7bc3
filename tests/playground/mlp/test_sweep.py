"""The batched sweep against single runs, its refusals, and a mixed-shape sweep trained one variant at a time.

Tolerance: each variant's per-step training losses and final losses equal those of `training.train` for its
config alone to a relative 1e-4 (float32 rounding: the batched matrix products and the stacked optimizer's
arithmetic are not bit-identical to nn.Linear and torch.optim's fused kernels); its final accuracy to one test
example.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from playground import sweep as sweeps
from playground.control import Control
from playground.events import EvalEnded, RunFailed, RunFinished, RunStarted, StepEnded
from playground.mlp import presets
from playground.mlp.sweep import SETTINGS, train_sweep
from playground.mlp.training import train
from playground.sweep import Sweep, SweepInfo, VariantEnded, VariantEvaluated, VariantSteps

RTOL = 1e-4


def _base(preset: str = "moons", **training) -> object:
    cfg = presets.PRESETS[preset].config
    return dataclasses.replace(cfg, training=dataclasses.replace(cfg.training, **training))


def _sweep_events(sweep: Sweep, control: Control | None = None) -> list:
    events: list = []
    train_sweep(sweep, events.append, control or Control())
    return events


def _variant(events: list, k: int) -> tuple[np.ndarray, EvalEnded | None, VariantEnded]:
    losses = [e.losses for e in events if type(e) is VariantSteps and e.variant == k]
    evals = [e.evaluation for e in events if type(e) is VariantEvaluated and e.variant == k]
    end = next(e for e in events if type(e) is VariantEnded and e.variant == k)
    return (np.concatenate(losses) if losses else np.array([])), (evals[-1] if evals else None), end


def _single(config) -> tuple[np.ndarray, EvalEnded, object]:
    events: list = []
    train(config, events.append)
    losses = np.array([e.loss for e in events if type(e) is StepEnded])
    evals = [e for e in events if type(e) is EvalEnded]
    return losses, (evals[-1] if evals else None), events[-1]


def assert_matches_single_runs(sweep: Sweep, events: list) -> None:
    for k, config in enumerate(sweep.variants):
        losses, last, end = _variant(events, k)
        alone, alone_last, alone_end = _single(config)
        assert end.status == alone_end.status and end.steps == alone_end.steps, (k, end, alone_end)
        np.testing.assert_allclose(losses, alone, rtol=RTOL, err_msg=f"variant {k}: {sweep.labels[k]}")
        assert (last is None) == (alone_last is None)
        if last is None:
            continue
        np.testing.assert_allclose([last.train_loss, last.test_loss], [alone_last.train_loss, alone_last.test_loss],
                                   rtol=RTOL)
        assert last.step == alone_last.step and last.epoch == alone_last.epoch
        # accuracy: one test example may fall on the other side of a boundary moved by rounding; R²: as the losses
        tolerance = 1 / _n_test(config) if config.data.dataset != "ripple" else RTOL
        assert abs(last.test_metric - alone_last.test_metric) <= tolerance + 1e-9


def _n_test(config) -> int:
    from playground.mlp.data import make_dataset

    return len(make_dataset(config.data).y_test)


@pytest.mark.parametrize(("optimizer", "setting", "values"), [
    ("adam", "learning_rate", (0.1, 0.01, 0.001)),
    ("sgd", "learning_rate", (0.3, 0.1, 0.03)),
    ("sgd", "seed", (0, 1, 2)),
    ("adam", "seed", (3, 4)),
    ("adamw", "weight_decay", (0.0, 0.01, 0.1)),
    ("momentum", "weight_decay", (0.0, 0.001)),
    ("rmsprop", "init", ("default", "xavier", "kaiming")),
])
def test_a_batched_sweep_equals_each_variant_trained_alone(optimizer, setting, values):
    sweep = Sweep(_base(optimizer=optimizer, epochs=4), setting, values)
    assert sweep.groups == (tuple(range(len(values))),)  # one batched model
    events = _sweep_events(sweep)
    assert type(events[0]) is RunStarted and type(events[0].info) is SweepInfo
    assert type(events[-1]) is RunFinished and events[-1].status == "completed"
    assert_matches_single_runs(sweep, events)


def test_a_regression_sweep_with_derived_features_equals_single_runs():
    cfg = _base("ripple-regression", epochs=3, batch_size=50)
    cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, features=("x", "y", "xy"), n_samples=300))
    sweep = Sweep(cfg, "learning_rate", (0.03, 0.003))
    assert_matches_single_runs(sweep, _sweep_events(sweep))


def test_variants_of_other_shapes_train_one_after_another_and_equal_single_runs():
    sweep = Sweep(_base(epochs=2), "width", (4, 32))
    assert sweep.groups == ((0,), (1,))
    events = _sweep_events(sweep)
    order = [(type(e).__name__, e.variant) for e in events if type(e) in (VariantSteps, VariantEnded)]
    first_end = order.index(("VariantEnded", 0))
    assert all(v == 0 for _, v in order[:first_end]) and all(v == 1 for _, v in order[first_end + 1:])
    assert events[0].total_steps == 2 * 2 * 25  # both variants' steps, one after the other
    assert_matches_single_runs(sweep, events)


@pytest.mark.parametrize(("setting", "values"), [("depth", (1, 3)), ("activation", ("relu", "tanh")),
                                                 ("optimizer", ("sgd", "adam")), ("batch_size", (16, 64))])
def test_every_shape_setting_trains_its_variants_one_by_one(setting, values):
    sweep = Sweep(_base(epochs=1), setting, values)
    assert len(sweep.groups) == len(values)
    assert_matches_single_runs(sweep, _sweep_events(sweep))


def test_a_diverging_variant_ends_alone_and_the_others_go_on():
    sweep = Sweep(_base(optimizer="sgd", epochs=3), "learning_rate", (10.0, 0.1))
    events = _sweep_events(sweep)
    assert _variant(events, 0)[2].status == "diverged" and "learning rate (10)" in _variant(events, 0)[2].message
    assert _variant(events, 1)[2].status == "completed"
    assert_matches_single_runs(sweep, events)


def test_a_dropout_sweep_trains_its_variants_together_with_masks_of_their_own():
    cfg = _base(epochs=3)
    cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, dropout=0.3))
    sweep = Sweep(cfg, "seed", (7, 7 + 1))
    events = _sweep_events(sweep)
    alone, _, alone_end = _single(sweep.variants[0])
    losses, last, end = _variant(events, 0)
    assert end.status == alone_end.status == "completed" and len(losses) == len(alone) == 75
    assert np.isfinite(losses).all() and last.test_metric > 0.6  # masks of its own: its curve is not the run's


def test_stop_ends_every_variant_stopped():
    control = Control()
    events: list = []

    def emit(e):
        events.append(e)
        if type(e) is StepEnded and e.step == 30:
            control.stop()

    sweep = Sweep(_base(epochs=5), "width", (4, 8))
    train_sweep(sweep, emit, control)
    ends = {e.variant: (e.status, e.steps) for e in events if type(e) is VariantEnded}
    assert ends[0][0] == "stopped" and ends[0][1] > 0 and ends[1] == ("stopped", 0)
    assert type(events[-1]) is RunFinished and events[-1].status == "stopped"


@pytest.mark.parametrize(("setting", "values", "message"), [
    ("learning_rate", tuple(0.001 * (i + 1) for i in range(9)), "A sweep takes 2 to 8 values of learning_rate; got 9"),
    ("learning_rate", (0.1,), "A sweep takes 2 to 8 values"),
    ("learning_rate", (0.1, 0.1), "Each value of learning_rate can be swept once"),
    ("learning_rate", (0.1, 20.0), "learning_rate=20: learning_rate must be between 1e-05 and 10; got 20.0"),
    ("width", (8, 1000), "width of hidden layer 1 must be between 1 and 512; got 1000"),
    ("depth", (1, 9), "An MLP has at most 8 hidden layers; got 9"),
    ("activation", ("relu", "swish"), "activation must be one of"),
    ("epochs", (1, 2), "Unknown sweep setting 'epochs'"),
])
def test_bad_sweeps_are_refused_with_the_limit_or_the_configs_own_message(setting, values, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Sweep(_base(), setting, values)


def test_a_sweep_over_the_memory_budget_is_refused_before_any_model_is_built(monkeypatch):
    big = dataclasses.replace(_base(), model=dataclasses.replace(_base().model, hidden_sizes=(512, 512)))
    sweep = Sweep(big, "learning_rate", tuple(0.001 * (i + 1) for i in range(8)))
    message = sweeps.memory_problem(sweep, 100)
    assert message and "8 models trained together" in message and "100 MB per run" in message
    assert sweeps.memory_problem(Sweep(_base(), "seed", (0, 1)), 100) is None
    monkeypatch.setenv("PLAYGROUND_MAX_RUN_MEMORY_MB", "100")
    events = _sweep_events(sweep)
    assert [type(e) for e in events] == [RunFailed] and events[0].message == message


def test_parse_reads_the_command_lines_values():
    sweep = sweeps.parse(_base(), "activation=relu,tanh")
    assert sweep.values == ("relu", "tanh") and [v.model.activations for v in sweep.variants] == [("relu",) * 2,
                                                                                                 ("tanh",) * 2]
    assert sweeps.parse(_base(), "depth=0,3").variants[1].model.hidden_sizes == (16, 16, 16)
    with pytest.raises(ValueError, match="needs KEY=V1,V2"):
        sweeps.parse(_base(), "learning_rate")


def test_attention_configs_get_no_sweep():
    from playground.attention import presets as attention_presets

    config = next(iter(attention_presets.PRESETS.values())).config
    with pytest.raises(ValueError, match="offered in the MLP playground only"):
        sweeps.parse(config, "seed=1,2")


def test_every_setting_offers_choices_its_config_accepts():
    base = _base()
    for setting in SETTINGS.values():
        assert 2 <= len(setting.default) <= 8
        Sweep(base, setting.name, setting.default)  # the page's first pick is a valid sweep
        for value in setting.choices:
            setting.apply(base, value)


def test_a_sweep_job_snapshot_holds_every_variants_curves():
    sweep = Sweep(_base(epochs=3), "learning_rate", (0.1, 0.01, 0.001))
    snap = sweeps.run(sweep)
    assert snap.status == "completed" and snap.step == 75 and snap.total_steps == 75
    state = snap.views
    assert [v.label for v in state.variants] == ["0.1", "0.01", "0.001"]
    for v in state.variants:
        assert v.status == "completed" and v.steps == 75 and len(v.step_loss) == 75 and len(v.evals) == 3
        assert v.views.grid.values.shape == (60, 60, 2)  # the final boundary
    rows = sweeps.results(snap)
    assert [r["value"] for r in rows] == [0.1, 0.01, 0.001] and all(r["test_accuracy"] > 0.5 for r in rows)
