"""Training health: each number checked against a direct computation on a small model."""

import numpy as np
import pytest
import torch
from torch import nn

from playground.events import EvalEnded
from playground.mlp.config import MLPConfig
from playground.mlp.health import HISTOGRAM_BINS, OUTPUT, HealthProbe
from playground.mlp.model import MLP
from playground.mlp.training import MLPRunner, train
from tests.conftest import tiny_config


def _mlp(activation: str, dropout: float = 0.0) -> MLP:
    torch.manual_seed(0)
    return MLP(2, 2, MLPConfig(hidden_sizes=(4, 3), activations=(activation,) * 2, dropout=dropout))


def test_forward_matches_the_model_and_exposes_each_hidden_layer():
    model = _mlp("tanh", dropout=0.2).eval()
    x = torch.randn(10, 2)
    out, pre, post = HealthProbe(model, ("tanh", "tanh")).forward(x)
    torch.testing.assert_close(out, model(x))
    assert [p.shape for p in pre] == [(10, 4), (10, 3)] and len(post) == 2
    torch.testing.assert_close(post[0], torch.tanh(pre[0]))


def test_norms_update_ratio_and_histogram_of_one_sgd_step():
    """One SGD step at learning rate 0.1: the update is 0.1 x the gradient, so the ratio is 0.1 |g| / |W_after|."""
    model = _mlp("relu")
    probe = HealthProbe(model, ("relu", "relu"))
    x, y = torch.randn(16, 2), torch.randint(0, 2, (16,))
    nn.CrossEntropyLoss()(model(x), y).backward()
    probe.keep_before()
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    with torch.no_grad():
        _, pre, post = probe.forward(x)
        health = probe.read(pre, post, n_train=16)
    weights = [model.hidden[0].weight, model.hidden[2].weight, model.output.weight]
    assert health.activations == ("relu", "relu", OUTPUT) and health.hidden == 2
    np.testing.assert_allclose(health.weight_norm, [w.norm().item() for w in weights], rtol=1e-5)
    np.testing.assert_allclose(health.grad_norm, [w.grad.norm().item() for w in weights], rtol=1e-5)
    np.testing.assert_allclose(health.update_ratio, [0.1 * w.grad.norm().item() / w.norm().item() for w in weights],
                               rtol=1e-4)
    assert health.hist_counts.shape == (3, HISTOGRAM_BINS)
    np.testing.assert_array_equal(health.hist_counts.sum(1), [8, 12, 6])  # every weight in one bin
    np.testing.assert_allclose(health.hist_range, [[w.min().item(), w.max().item()] for w in weights], rtol=1e-6)
    with torch.no_grad():  # read again with no recorded step: the ratio is unknown, not stale
        assert np.isnan(probe.read(pre, post, 16).update_ratio).all()


def test_dead_units_are_those_with_no_positive_input_on_any_training_point():
    model = _mlp("relu")
    with torch.no_grad():
        model.hidden[0].bias[:2] = -100.0  # units 1 and 2 of layer 1 can never fire on these inputs
    x = torch.randn(50, 2)
    probe = HealthProbe(model, ("relu", "relu"))
    with torch.no_grad():
        _, pre, post = probe.forward(x)
        health = probe.read(pre, post, n_train=50)
    expected = [1 - (p > 0).any(0).float().mean().item() for p in pre]
    assert health.dead[0] >= 0.5 and health.dead[0] == pytest.approx(expected[0])
    assert health.dead[1] == pytest.approx(expected[1]) and np.isnan(health.dead[2])
    assert np.isnan(health.saturated).all()  # ReLU layers have no saturation


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_saturated_units_sit_beyond_097_on_most_points(activation):
    model = _mlp(activation)
    with torch.no_grad():
        model.hidden[0].weight[:3] *= 1000.0  # three of four units of layer 1 saturate on almost every point
    probe = HealthProbe(model, (activation, activation))
    with torch.no_grad():
        _, pre, post = probe.forward(torch.randn(200, 2))
        health = probe.read(pre, post, n_train=200)
    assert health.saturated[0] == 0.75 and np.isnan(health.dead).all()


def test_every_evaluation_of_a_run_carries_health_and_recording_can_be_turned_off(recorder, monkeypatch):
    train(tiny_config(), recorder)
    evals = recorder.of(EvalEnded)
    assert all(e.health is not None for e in evals)
    assert all(np.isfinite(e.health.update_ratio).all() and np.isfinite(e.health.grad_norm).all() for e in evals)
    monkeypatch.setattr(MLPRunner, "records_health", False)
    events: list = []
    train(tiny_config(), events.append)
    off = [e for e in events if isinstance(e, EvalEnded)]
    assert all(e.health is None for e in off)
    assert [e.train_loss for e in off] == [e.train_loss for e in evals]  # the same run, without the readings
