"""The MLP coach's rules: worked examples (hand-made histories with known numbers, and real runs) that trigger
each rule, and ones that must not. That no preset triggers a rule is checked where the presets train
(test_training.py: test_every_preset_reaches_its_reference)."""

import numpy as np
import pytest

from playground.coach import RunHistory, diagnose
from playground.events import EvalEnded
from playground.mlp.coach import (
    RULES,
    dead_units,
    learning_rate_too_low,
    saturation,
    vanishing_or_exploding,
)
from playground.mlp.config import DataConfig, MLPConfig, MLPRunConfig, TrainConfig
from playground.mlp.health import HISTOGRAM_BINS, OUTPUT, Health
from playground.mlp.training import train

CONFIG = MLPRunConfig(model=MLPConfig(hidden_sizes=(16, 16), activations=("relu", "tanh")),
                      training=TrainConfig(learning_rate=1e-5))


def health(grad=(1.0, 1.0, 1.0), ratio=(1e-3, 1e-3, 1e-3), dead=(0.1, np.nan), saturated=(np.nan, 0.1)) -> Health:
    """A two-hidden-layer (ReLU, tanh) net's health with the given readings."""
    arr = lambda v: np.array(v, dtype=float)  # noqa: E731
    return Health(("relu", "tanh", OUTPUT), arr([1.0, 1.0, 1.0]), arr(grad), arr(ratio), arr([*dead, np.nan]),
                  arr([*saturated, np.nan]), np.zeros((3, HISTOGRAM_BINS)), np.zeros((3, 2)))


def history(train_loss, healths, config=CONFIG) -> RunHistory:
    evals = [EvalEnded(i + 1, i + 1, a, a, 0.0, 0.0, health=h) for i, (a, h) in enumerate(zip(train_loss, healths,
                                                                                               strict=True))]
    return RunHistory.of(config, "completed", "", evals)


FLAT = [0.70, 0.69, 0.68, 0.67, 0.66, 0.65]  # a 7.1% drop over six evaluations
FALLING = [0.70, 0.5, 0.3, 0.2, 0.15, 0.1]


def test_learning_rate_too_low_says_how_little_the_loss_moved_and_multiplies_the_rate_by_100():
    run = history(FLAT, [health(ratio=(2e-5, 4e-5, 5e-5))] * 6)
    found = learning_rate_too_low(run)
    assert found.kind == "learning_rate_too_low"
    assert "fell only 7.1% (0.7 to 0.65)" in found.message and "5.0e-05" in found.message
    assert found.fix.training.learning_rate == pytest.approx(1e-3)
    assert found.fix_label == "Set the learning rate to 0.001"


def test_learning_rate_is_not_too_low_when_the_loss_falls_or_the_updates_are_healthy_or_units_are_dead():
    assert learning_rate_too_low(history(FALLING, [health(ratio=(2e-5, 4e-5, 5e-5))] * 6)) is None
    assert learning_rate_too_low(history(FLAT, [health(ratio=(2e-5, 4e-5, 2e-3))] * 6)) is None
    dead = health(ratio=(0.0, 0.0, 0.0), dead=(1.0, np.nan))  # stuck because the ReLU layer died
    assert learning_rate_too_low(history(FLAT, [dead] * 6)) is None and dead_units(history(FLAT, [dead] * 6))


def test_dead_units_over_half_a_relu_layer_suggest_leaky_relu():
    found = dead_units(history(FALLING, [health()] * 5 + [health(dead=(0.5625, np.nan))]))
    assert found.kind == "dead_units" and "56% of the units of hidden layer 1 (ReLU)" in found.message
    assert found.fix.model.activations == ("leaky_relu", "tanh")
    assert dead_units(history(FALLING, [health(dead=(0.5, np.nan))] * 6)) is None  # half is not more than half


def test_vanishing_and_exploding_gradients_compare_the_first_layer_with_the_last():
    vanishing = vanishing_or_exploding(history(FALLING, [health(grad=(1e-4, 0.1, 0.2))] * 6))
    assert vanishing.kind == "vanishing_gradients" and "5.0e-04 times the output layer's" in vanishing.message
    assert vanishing.fix.model.activations == ("relu", "relu") and vanishing.fix.model.init == "kaiming"
    exploding = vanishing_or_exploding(history(FALLING, [health(grad=(50.0, 1.0, 0.2))] * 6))
    assert exploding.kind == "exploding_gradients" and "2.5e+02 times" in exploding.message
    assert exploding.fix.training.learning_rate == 1e-5  # 10x smaller, but no lower than the lowest allowed
    healthy = [health(grad=(0.3, 1.0, 0.2))] * 5 + [health(grad=(1e-6, 1.0, 0.2))]  # one odd batch: the median
    assert vanishing_or_exploding(history(FALLING, healthy)) is None


def test_saturation_needs_most_units_saturated_and_the_layer_stuck():
    stuck = health(ratio=(1e-3, 3e-6, 1e-2), saturated=(np.nan, 0.75))
    found = saturation(history(FLAT, [stuck] * 6))
    assert found.kind == "saturation" and "75% of the units of hidden layer 2 (tanh)" in found.message
    assert "3.0e-06" in found.message and found.fix.training.learning_rate == pytest.approx(1e-5)
    learning = health(ratio=(1e-3, 2e-3, 1e-2), saturated=(np.nan, 1.0))  # saturated yet learning: the xor preset
    assert saturation(history(FALLING, [learning] * 6)) is None


def _real(config: MLPRunConfig) -> list[str]:
    events: list = []
    train(config, events.append)
    return [d.kind for d in diagnose(RunHistory.from_events(config, events), RULES)]


def _moons(sizes, activation, **training) -> MLPRunConfig:
    return MLPRunConfig(DataConfig("moons"), MLPConfig(sizes, (activation,) * len(sizes)), TrainConfig(**training))


@pytest.mark.parametrize(("config", "kinds"), [
    (_moons((16, 16), "relu", learning_rate=1e-5, epochs=30), ["learning_rate_too_low"]),  # the run
    (MLPRunConfig(DataConfig("moons", n_samples=60, noise=0.35, test_fraction=0.5),
                  MLPConfig((256, 256), ("relu", "relu")), TrainConfig(epochs=150)), ["overfitting"]),
    (_moons((16, 16), "relu", learning_rate=0.3, epochs=20), ["dead_units"]),  # Adam at 0.3 kills ReLUs
    (_moons((32,) * 8, "sigmoid", optimizer="sgd", learning_rate=0.1, epochs=10), ["vanishing_gradients"]),
    (MLPRunConfig(DataConfig("circles", noise=0.1), MLPConfig((8, 8), ("tanh", "tanh")),
                  TrainConfig(learning_rate=1.0, epochs=30)), ["vanishing_gradients", "saturation"]),
])
def test_real_runs_get_their_diagnoses(config, kinds):
    assert _real(config) == kinds
