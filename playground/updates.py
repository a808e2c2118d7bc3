"""Optimizer updates without `Optimizer.step`'s per-call Python work: torch's fused kernels (or foreach ops) called
directly with the gradients a step computed.

For the playgrounds' tiny networks `Optimizer.step()` is mostly Python: measured here (torch 2.13, one CPU
thread, a 6x8 MLP) 25 µs for fused SGD and 74 µs for fused Adam per call, against 4 µs for the fused kernel
itself; a whole lean step of that net is about 150 µs. `Update` does what `step()` does for the optimizers
`playground.torchkit.OPTIMIZERS` builds, with the same kernels, so the numbers are the same:

- the `torch.optim.Optimizer` stays the one place for hyperparameters and state. Each call reads
  `optimizer.param_groups[0]`, so a learning rate or weight decay changed there between two steps applies from
  the next one, and keeps its buffers in `optimizer.state` under torch's own names (`momentum_buffer`, `step`,
  `exp_avg`, `exp_avg_sq`, `square_avg`), so `state_dict()` is what `step()` would have left;
- SGD (with or without momentum), Adam and AdamW built with `fused=True` call `torch._fused_sgd_`,
  `torch._fused_adam_` or `torch._fused_adamw_`, as `torch.optim`'s fused path does; RMSprop (no fused kernel)
  runs its update as foreach ops, the same arithmetic as `torch.optim.RMSprop`'s loop;
- anything else (several parameter groups, a setting these paths do not cover, a torch without the kernels)
  sets each parameter's `.grad` and calls `optimizer.step()`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor


class Update:
    """`update(grads)`: one optimizer step with `grads` (one per parameter, in `param_groups[0]["params"]` order,
    each shaped as its parameter, on its device). No host sync; never reads a tensor's value."""

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        self.optimizer = optimizer
        groups = optimizer.param_groups
        self.params: list[Tensor] = list(groups[0]["params"]) if len(groups) == 1 else \
            [p for g in groups for p in g["params"]]
        self._apply: Callable[[dict, list[Tensor]], None] = _kernel(optimizer) or self._step

    def __call__(self, grads: Sequence[Tensor]) -> None:
        with torch.no_grad():
            self._apply(self.optimizer.param_groups[0], list(grads))

    def _step(self, group: dict, grads: list[Tensor]) -> None:
        """The general path: `.grad` set, then the optimizer's own `step()`."""
        for p, g in zip(self.params, grads, strict=True):
            p.grad = g
        self.optimizer.step()


def _kernel(optimizer: torch.optim.Optimizer) -> Callable[[dict, list[Tensor]], None] | None:
    """The direct update for `optimizer`, or None where `Update` must call `step()`."""
    groups = optimizer.param_groups
    if len(groups) != 1 or None in (getattr(torch, k, None) for k in ("_fused_sgd_", "_fused_adam_", "_fused_adamw_")):
        return None
    group, params, state = groups[0], list(groups[0]["params"]), optimizer.state
    kind = type(optimizer)
    if kind is torch.optim.SGD and group.get("fused") and not group["nesterov"] and group["dampening"] == 0:
        return _sgd(params, state)
    if kind in (torch.optim.Adam, torch.optim.AdamW) and group.get("fused") and not group["amsgrad"] \
            and not isinstance(group["lr"], Tensor):
        return _adam(params, state, group)
    if kind is torch.optim.RMSprop and not group["centered"] and group["momentum"] == 0 \
            and not group.get("capturable") and not group.get("differentiable"):
        return _rmsprop(params, state)
    return None


def _sgd(params: list[Tensor], state: dict) -> Callable[[dict, list[Tensor]], None]:
    """torch.optim.SGD's fused path (`torch.optim.sgd._fused_sgd`): the momentum buffers start as the first
    gradients (`is_first_step`)."""
    buffers: list[Tensor] = []

    def apply(group: dict, grads: list[Tensor]) -> None:
        momentum = group["momentum"]
        first = momentum != 0 and not buffers
        if first:
            buffers.extend(torch.empty_like(g) for g in grads)
            for p, b in zip(params, buffers, strict=True):
                state[p]["momentum_buffer"] = b
        torch._fused_sgd_(params, grads, buffers if momentum != 0 else [], weight_decay=group["weight_decay"],
                          momentum=momentum, lr=group["lr"], dampening=group["dampening"],
                          nesterov=group["nesterov"], maximize=group["maximize"], is_first_step=first)

    return apply


def _adam(params: list[Tensor], state: dict, group: dict) -> Callable[[dict, list[Tensor]], None]:
    """torch.optim.Adam's and AdamW's fused path (`torch.optim.adam._fused_adam`): float32 step counters on the
    parameters' device, incremented before the kernel."""
    for p in params:
        s = state[p]
        if not s:
            s["step"] = torch.zeros((), dtype=torch.float32, device=p.device)
            s["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            s["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
    steps = [state[p]["step"] for p in params]
    exp_avgs, exp_avg_sqs = [state[p]["exp_avg"] for p in params], [state[p]["exp_avg_sq"] for p in params]
    kernel = torch._fused_adamw_ if group.get("decoupled_weight_decay") else torch._fused_adam_

    def apply(group: dict, grads: list[Tensor]) -> None:
        beta1, beta2 = group["betas"]
        torch._foreach_add_(steps, 1)
        kernel(params, grads, exp_avgs, exp_avg_sqs, [], steps, amsgrad=False, lr=group["lr"], beta1=beta1,
               beta2=beta2, weight_decay=group["weight_decay"], eps=group["eps"], maximize=group["maximize"])

    return apply


def _rmsprop(params: list[Tensor], state: dict) -> Callable[[dict, list[Tensor]], None]:
    """torch.optim.RMSprop without momentum or centring (`torch.optim.rmsprop._single_tensor_rmsprop`) as
    foreach ops: v = alpha v + (1 - alpha) g²; p -= lr g / (sqrt(v) + eps), with g += weight_decay p first."""
    for p in params:
        s = state[p]
        if not s:
            s["step"] = torch.zeros((), dtype=torch.float32)
            s["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
    steps, square_avgs = [state[p]["step"] for p in params], [state[p]["square_avg"] for p in params]

    def apply(group: dict, grads: list[Tensor]) -> None:
        alpha, decay = group["alpha"], group["weight_decay"]
        torch._foreach_add_(steps, 1)
        if group["maximize"]:
            grads = torch._foreach_neg(grads)
        if decay != 0:
            grads = torch._foreach_add(grads, params, alpha=decay)
        torch._foreach_mul_(square_avgs, alpha)
        torch._foreach_addcmul_(square_avgs, grads, grads, value=1 - alpha)
        avg = torch._foreach_sqrt(square_avgs)
        torch._foreach_add_(avg, group["eps"])
        torch._foreach_addcdiv_(params, grads, avg, value=-group["lr"])

    return apply
