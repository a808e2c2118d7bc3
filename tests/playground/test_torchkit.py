"""Tests for playground.torchkit: the optimizer registry."""

import pytest


@pytest.mark.parametrize("name, cls, fused", [("sgd", "SGD", True), ("momentum", "SGD", True), ("adam", "Adam", True),
                                              ("adamw", "AdamW", True), ("rmsprop", "RMSprop", False)])
def test_make_optimizer_builds_the_named_optimizer_fused_where_torch_can(name, cls, fused):
    import torch

    from playground.mlp.config import TrainConfig
    from playground.torchkit import make_optimizer

    params = [torch.nn.Parameter(torch.ones(3))]
    opt = make_optimizer(TrainConfig(optimizer=name, learning_rate=0.5, weight_decay=0.01), iter(params))
    assert type(opt).__name__ == cls
    group = opt.param_groups[0]
    assert group["lr"] == 0.5 and group["weight_decay"] == 0.01 and group["params"] == params
    assert group.get("momentum", 0.0) == (0.9 if name in ("momentum", "rmsprop") and cls == "SGD" else 0.0)
    assert bool(group.get("fused")) is fused
    params[0].grad = torch.ones(3)
    opt.step()
    assert params[0].detach().lt(1.0).all()  # it stepped against the gradient


def test_make_optimizer_falls_back_where_there_is_no_fused_kernel(monkeypatch):
    import torch

    from playground.mlp.config import TrainConfig
    from playground.torchkit import OPTIMIZERS, make_optimizer

    class OldAdam(torch.optim.Adam):  # a torch without a fused CPU kernel refuses fused=True when it is built
        def __init__(self, params, fused=None, **kwargs):
            if fused:
                raise RuntimeError("`fused=True` requires all the params to be floating point Tensors of "
                                   "supported devices")
            super().__init__(params, **kwargs)

    monkeypatch.setitem(OPTIMIZERS, "adam", (OldAdam, {}))
    opt = make_optimizer(TrainConfig(optimizer="adam"), [torch.nn.Parameter(torch.ones(2))])
    assert isinstance(opt, OldAdam) and not opt.param_groups[0]["fused"]
