"""The MLP's written-out step against autograd: the same loss and gradients for every activation, both losses
and with dropout."""

import pytest
import torch
from torch import nn

from playground.mlp.config import ACTIVATIONS, MLPConfig
from playground.mlp.lean import LeanStep
from playground.mlp.model import MLP
from playground.updates import Update


def _pair(activation: str, dropout: float, classify: bool):
    cfg = MLPConfig(hidden_sizes=(6, 5), activations=(activation, activation), dropout=dropout, init="xavier")
    torch.manual_seed(3)
    model = MLP(3, 4 if classify else 1, cfg)
    # lr 0: the update leaves the weights as they were, so autograd can be asked about the same ones afterwards
    update = Update(torch.optim.SGD(model.parameters(), lr=0.0, fused=True))
    return model, LeanStep(model, cfg.activations, dropout, classify, update, torch.Generator().manual_seed(5))


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("classify", [True, False])
def test_loss_and_gradients_match_autograd(activation, classify):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 3, generator=g) * 2
    y = torch.randint(0, 4, (16,), generator=g) if classify else torch.randn(16, generator=g)
    model, lean = _pair(activation, 0.0, classify)
    loss = lean.step(x, y)
    out = model(x)
    expected = nn.functional.cross_entropy(out, y) if classify else nn.functional.mse_loss(out.squeeze(-1), y)
    expected.backward()
    assert loss.shape == () and torch.equal(loss, expected.detach())
    for p, grad in zip(model.parameters(), lean.last_grads, strict=True):
        torch.testing.assert_close(grad, p.grad, rtol=1e-6, atol=1e-7)


def test_dropout_drops_and_scales_as_nn_dropout_with_the_same_draws():
    x, y = torch.randn(32, 3), torch.randint(0, 4, (32,))
    model, lean = _pair("relu", 0.4, True)
    loss = lean.step(x, y)
    torch.manual_seed(torch.Generator().manual_seed(5).initial_seed())  # nn.Dropout draws from the global generator
    expected = nn.functional.cross_entropy(model.train()(x), y)
    expected.backward()
    assert torch.equal(loss, expected.detach())
    for p, grad in zip(model.parameters(), lean.last_grads, strict=True):
        torch.testing.assert_close(grad, p.grad, rtol=1e-6, atol=1e-7)
    noise = lean._dropout_noise(torch.ones(100, 100))
    assert torch.equal(noise.unique(), torch.tensor([0.0, 1 / 0.6])) and 0.37 < (noise == 0).float().mean() < 0.43


def test_keep_grads_puts_the_last_gradients_where_the_health_probe_reads_them():
    model, lean = _pair("tanh", 0.0, True)
    assert all(p.grad is None for p in model.parameters())
    lean.keep_grads()  # before any step: nothing to keep
    lean.step(torch.randn(8, 3), torch.randint(0, 4, (8,)))
    lean.keep_grads()
    assert [p.grad for p in model.parameters()] == lean.last_grads
