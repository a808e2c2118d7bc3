"""StackedOptimizer against torch.optim: K models stacked on a leading dimension, each with its own learning rate
and weight decay, must follow what torch.optim gives each model alone."""

from __future__ import annotations

import pytest
import torch

from playground.stacked_optim import StackedOptimizer
from playground.torchkit import OPTIMIZERS


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_each_stacked_model_follows_torch_optim_alone(name):
    gen = torch.Generator().manual_seed(0)
    k, rates, decays = 3, [0.1, 0.01, 0.001], [0.0, 0.01, 0.1]
    w0 = torch.randn(k, 4, 5, generator=gen)
    b0 = torch.randn(k, 1, 5, generator=gen)
    grads = [(torch.randn(k, 4, 5, generator=gen), torch.randn(k, 1, 5, generator=gen)) for _ in range(5)]
    stacked = [w0.clone(), b0.clone()]
    opt = StackedOptimizer(name, stacked, torch.tensor(rates), torch.tensor(decays))
    for gw, gb in grads:
        opt.step([gw, gb])
    for m in range(k):
        w, b = w0[m].clone().requires_grad_(), b0[m].clone().requires_grad_()
        cls, extra = OPTIMIZERS[name]
        alone = cls([w, b], lr=rates[m], weight_decay=decays[m], **extra)  # torch's default implementation
        for gw, gb in grads:
            w.grad, b.grad = gw[m].clone(), gb[m].clone()
            alone.step()
        torch.testing.assert_close(opt.params[0][m], w.detach(), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(opt.params[1][m], b.detach(), rtol=1e-5, atol=1e-6)


def test_keep_drops_models_with_their_state():
    params = [torch.arange(6.0).view(3, 1, 2)]
    opt = StackedOptimizer("adam", params, torch.tensor([0.1, 0.2, 0.3]), torch.zeros(3))
    opt.step([torch.ones(3, 1, 2)])
    opt.keep(torch.tensor([0, 2]))
    assert opt.params[0].shape == (2, 1, 2) and opt.state[0][0].shape == (2, 1, 2)
    assert opt.lr.tolist() == pytest.approx([0.1, 0.3])
    opt.step([torch.ones(2, 1, 2)])  # still steps, with the kept models' rates
    torch.testing.assert_close(opt.params[0][1], torch.tensor([[4.0 - 0.6, 5.0 - 0.6]]))


def test_an_unknown_optimizer_is_refused():
    with pytest.raises(ValueError, match="Unknown optimizer"):
        StackedOptimizer("lbfgs", [torch.zeros(1, 1, 1)], torch.ones(1), torch.zeros(1))
