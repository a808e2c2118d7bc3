"""torch.optim's update rules over K models' parameters stacked on a leading dimension.

A batched sweep (playground.sweep) trains K models as one: each parameter is a (K, ...) tensor whose slice k is
model k's. `StackedOptimizer` applies the rule of the optimizer named in playground.torchkit.OPTIMIZERS to all K
at once, with a learning rate and a weight decay per model ((K,) tensors, broadcast over each parameter's other
dimensions), so that model k follows exactly the update torch.optim would give it alone.

The formulas are torch.optim's single-tensor implementations (torch/optim/sgd.py, adam.py, rmsprop.py, torch
2.13) with the defaults `torchkit.make_optimizer` uses: SGD (momentum 0, or 0.9 for "momentum"; dampening 0, no
Nesterov), Adam and AdamW (betas (0.9, 0.999), eps 1e-8, no AMSGrad; AdamW's weight decay decoupled:
p <- p (1 - lr wd)), RMSprop (alpha 0.99, eps 1e-8, no momentum, not centered). Weight decay is L2 (added to the
gradient) for all but AdamW. Knows no playground.
"""

from __future__ import annotations

import math

import torch

MOMENTUM = {"sgd": 0.0, "momentum": 0.9}  # torchkit.OPTIMIZERS: "momentum" is SGD with momentum 0.9
ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults
RMSPROP_ALPHA, RMSPROP_EPS = 0.99, 1e-8  # torch.optim.RMSprop's defaults
NAMES = ("sgd", "momentum", "adam", "adamw", "rmsprop")


class StackedOptimizer:
    """One optimizer over stacked parameters, each (K, ...), with a learning rate and weight decay per model.

    `learning_rate` and `weight_decay` are (K,) tensors on the parameters' device. `step(grads)` updates the
    parameters in place (under no_grad) from `grads`, one (K, ...) gradient per parameter. `keep(index)` keeps
    only the models at `index` (a (K',) long tensor), e.g. to drop a diverged model from the batch. Raises
    ValueError for an unknown optimizer name. Not thread-safe.
    """

    def __init__(self, name: str, params: list[torch.Tensor], learning_rate: torch.Tensor,
                 weight_decay: torch.Tensor) -> None:
        if name not in NAMES:
            raise ValueError(f"Unknown optimizer {name!r}.")
        self.name, self.params = name, params
        self.t = 0  # steps taken (torch.optim's state["step"]; the same for every model of a batch)
        self._set_hyper(learning_rate, weight_decay)
        self.state: list[list[torch.Tensor]] = [[] for _ in params]  # per parameter: its state tensors

    def _set_hyper(self, learning_rate: torch.Tensor, weight_decay: torch.Tensor) -> None:
        self.lr, self.wd = learning_rate, weight_decay
        self.decays = bool((weight_decay != 0).any())
        # (K, 1, ..., 1) views, one per parameter rank, so they broadcast over each model's slice
        self._lr = {p.dim(): learning_rate.view(-1, *[1] * (p.dim() - 1)) for p in self.params}
        self._wd = {p.dim(): weight_decay.view(-1, *[1] * (p.dim() - 1)) for p in self.params}

    @torch.no_grad()
    def step(self, grads: list[torch.Tensor] | tuple[torch.Tensor, ...]) -> None:
        self.t += 1
        update = {"sgd": self._sgd, "momentum": self._sgd, "adam": self._adam, "adamw": self._adam,
                  "rmsprop": self._rmsprop}[self.name]
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            lr, wd = self._lr[p.dim()], self._wd[p.dim()]
            if self.decays and self.name != "adamw":
                g = g + wd * p  # L2: torch's grad.add(param, alpha=weight_decay)
            update(i, p, g, lr, wd)

    def _sgd(self, i: int, p: torch.Tensor, g: torch.Tensor, lr: torch.Tensor, wd: torch.Tensor) -> None:
        momentum = MOMENTUM[self.name]
        if momentum:
            if not self.state[i]:
                self.state[i] = [g.clone()]  # the first step's buffer is the gradient itself
            else:
                self.state[i][0].mul_(momentum).add_(g)  # dampening 0
            g = self.state[i][0]
        p.sub_(lr * g)

    def _adam(self, i: int, p: torch.Tensor, g: torch.Tensor, lr: torch.Tensor, wd: torch.Tensor) -> None:
        beta1, beta2 = ADAM_BETAS
        if not self.state[i]:
            self.state[i] = [torch.zeros_like(p), torch.zeros_like(p)]
        exp_avg, exp_avg_sq = self.state[i]
        if self.name == "adamw" and self.decays:
            p.mul_(1 - lr * wd)
        exp_avg.lerp_(g, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        step_size = lr / (1 - beta1**self.t)
        denom = (exp_avg_sq.sqrt() / math.sqrt(1 - beta2**self.t)).add_(ADAM_EPS)
        p.sub_(step_size * (exp_avg / denom))  # torch: addcdiv_(exp_avg, denom, value=-step_size)

    def _rmsprop(self, i: int, p: torch.Tensor, g: torch.Tensor, lr: torch.Tensor, wd: torch.Tensor) -> None:
        if not self.state[i]:
            self.state[i] = [torch.zeros_like(p)]
        square_avg = self.state[i][0]
        square_avg.mul_(RMSPROP_ALPHA).addcmul_(g, g, value=1 - RMSPROP_ALPHA)
        p.sub_(lr * g / square_avg.sqrt().add_(RMSPROP_EPS))

    def keep(self, index: torch.Tensor) -> None:
        """Keep the models at `index` only: the parameters (replaced in `params`), their state and hyperparameters."""
        self.params = [p.detach()[index].requires_grad_(p.requires_grad) for p in self.params]
        self.state = [[s[index] for s in states] for states in self.state]
        self._set_hyper(self.lr[index], self.wd[index])
