"""Update: an optimizer's step with given gradients, through torch's fused kernels or foreach ops, against the
optimizer's own `step()`."""

import copy

import pytest
import torch

from playground.config import OPTIMIZERS
from playground.mlp.config import TrainConfig
from playground.torchkit import make_optimizer
from playground.updates import Update


def _params() -> list[torch.nn.Parameter]:
    g = torch.Generator().manual_seed(0)
    return [torch.nn.Parameter(torch.randn(shape, generator=g)) for shape in ((8, 2), (8,), (3, 8), (3,))]


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_update_equals_the_optimizers_own_step_and_follows_param_group_changes(name, weight_decay):
    cfg = TrainConfig(optimizer=name, learning_rate=0.01, weight_decay=weight_decay)
    ours, theirs = _params(), _params()
    update, reference = Update(make_optimizer(cfg, ours)), make_optimizer(cfg, theirs)
    g = torch.Generator().manual_seed(1)
    for step in range(6):
        if step == 3:  # a learning rate and weight decay changed between steps take effect at the next one
            for opt in (update.optimizer, reference):
                opt.param_groups[0]["lr"], opt.param_groups[0]["weight_decay"] = 0.05, 0.1
        grads = [torch.randn(p.shape, generator=g) for p in ours]
        update(grads)
        for p, grad in zip(theirs, grads, strict=True):
            p.grad = grad.clone()
        reference.step()
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
    state, expected = update.optimizer.state_dict()["state"], reference.state_dict()["state"]
    assert state.keys() == expected.keys()
    for key in expected:
        assert state[key].keys() == expected[key].keys()
        for k in expected[key]:
            got, want = torch.as_tensor(state[key][k]), torch.as_tensor(expected[key][k])
            torch.testing.assert_close(got.float(), want.float())


def test_settings_the_direct_path_does_not_cover_fall_back_to_step():
    params, reference = _params(), _params()
    optimizer = torch.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True)
    twin = torch.optim.SGD(reference, lr=0.1, momentum=0.9, nesterov=True)
    update = Update(copy.copy(optimizer))
    grads = [torch.ones_like(p) for p in params]
    update(grads)
    for p in reference:
        p.grad = torch.ones_like(p)
    twin.step()
    assert all(p.grad is g for p, g in zip(params, grads, strict=True))  # it went through .grad and step()
    for a, b in zip(params, reference, strict=True):
        torch.testing.assert_close(a, b)
