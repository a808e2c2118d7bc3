"""The shared coach rules on worked examples: a history that triggers each and one that must not."""

import numpy as np

from playground.attention.presets import PRESETS as ATTENTION_PRESETS
from playground.coach import Diagnosis, RunHistory, diagnose, diverged, overfitting
from playground.events import EvalEnded, RunFailed, RunFinished
from playground.mlp.presets import PRESETS

MOONS = PRESETS["moons"].config


def history(train, test, status="completed", message="", config=MOONS) -> RunHistory:
    evals = [EvalEnded(10 * (i + 1), i + 1, a, b, 0.0, 0.0) for i, (a, b) in enumerate(zip(train, test, strict=True))]
    return RunHistory.of(config, status, message, evals)


def test_diverged_keeps_the_loops_message_and_fixes_a_learning_rate_ten_times_smaller():
    run = history([0.7], [0.7], "diverged", "The loss reached nan at step 3: training diverged.")
    found = diverged(run)
    assert found.kind == "diverged" and found.message == run.message
    assert found.fix.training.learning_rate == MOONS.training.learning_rate / 10
    assert diverged(history([0.7], [0.7], "completed")) is None


def test_overfitting_names_the_best_epoch_and_fixes_the_epochs():
    """Test loss lowest at epoch 3 (0.30), then 0.9 (3x, +0.6) while the training loss falls 0.25 -> 0.01."""
    run = history([0.6, 0.4, 0.25, 0.1, 0.03, 0.01], [0.6, 0.4, 0.30, 0.45, 0.7, 0.9])
    found = overfitting(run)
    assert found.kind == "overfitting"
    assert "epoch 3 (0.3)" in found.message and "0.9" in found.message and "0.25 to 0.01" in found.message
    assert found.fix.training.epochs == 3 and found.fix_label == "Train for 3 epochs (early stopping)"


def test_no_overfitting_for_a_test_loss_that_wobbles_near_its_best_or_a_training_loss_that_rises():
    small_rise = history([0.6, 0.4, 0.2, 0.1, 0.05, 0.02], [0.6, 0.4, 0.02, 0.03, 0.05, 0.06])  # 3x, but +0.04
    both_rise = history([0.6, 0.3, 0.2, 0.3, 0.5, 0.8], [0.6, 0.3, 0.2, 0.3, 0.5, 0.8])  # no memorising: unstable
    still_falling = history([0.6, 0.4, 0.3, 0.2, 0.1, 0.05], [0.6, 0.4, 0.3, 0.25, 0.2, 0.18])
    for run in (small_rise, both_rise, still_falling):
        assert overfitting(run) is None


def test_a_run_from_events_and_the_attention_playground_gets_diverged():
    config = ATTENTION_PRESETS["reverse"].config
    events = [EvalEnded(5, None, 1.0, 1.0, 0.1, 0.1), RunFailed("diverged", "The loss reached inf.", 6, 0.1)]
    run = RunHistory.from_events(config, events)
    assert run.status == "diverged" and np.isnan(run.epoch).all() and run.health == ()
    assert diagnose(run) == (diverged(run),) and isinstance(diagnose(run)[0], Diagnosis)
    done = RunHistory.from_events(config, [EvalEnded(5, None, 1.0, 1.0, 0.1, 0.1), RunFinished("completed", 5, 0.1)])
    assert diagnose(done) == ()
    assert diagnose(run)[0].to_json() == {"kind": "diverged", "message": "The loss reached inf."}
