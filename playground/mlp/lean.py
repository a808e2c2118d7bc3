"""The MLP's training step written out: forward pass, loss, backward pass and update as a fixed list of tensor
ops on the model's own parameters, without autograd's graph, modules or a host sync.

For the playground's networks (a few layers of 2 to 64 units, batches of 10 to 32) a step costs what its ops cost
to dispatch (a few µs each), not their arithmetic. The straightforward step (autograd, `nn.Module` calls,
`Optimizer.step()`, a `.item()` per step) took 3.4 times as long here: 583 against 171 µs for 6 tanh layers of 8
at batch 10 (torch 2.13, one CPU thread). `LeanStep` computes the same numbers with the kernels autograd itself
would call (`torch.ops.aten.*_backward`, `mm`, `sum`), so a run's curve is the one the autograd step gives, and
applies the update through `playground.updates.Update`.

Every configuration the MLP form allows: each activation of `model.ACTIVATIONS`, dropout (drawn from the run's
own generator, so a run is reproducible from its seed), cross-entropy for classes and mean squared error for
regression, any optimizer `torchkit.OPTIMIZERS` builds.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from playground.mlp import model as mlp_model
from playground.updates import Update

_aten = torch.ops.aten
_nn = torch._C._nn
_linear = torch._C._nn.linear  # at::linear: addmm(bias, input, weight.t()) for 2-D input, as nn.Linear calls it

Backward = Callable[[Tensor, Tensor, Tensor], Tensor]  # (grad of the output, input z, output a) -> grad of z
# name -> (a = f(z), the derivative autograd takes for it: torch's derivatives.yaml names these kernels).
# LeakyReLU's slope and ELU's alpha are the nn defaults that mlp/model.py uses (0.01, 1.0).
ACTIVATIONS: dict[str, tuple[Callable[[Tensor], Tensor], Backward] | None] = {
    "relu": (torch.relu, lambda g, z, a: _aten.threshold_backward.default(g, a, 0)),
    "leaky_relu": (lambda z: _nn.leaky_relu(z, 0.01),
                   lambda g, z, a: _aten.leaky_relu_backward.default(g, z, 0.01, False)),
    "elu": (_nn.elu, lambda g, z, a: _aten.elu_backward.default(g, 1.0, 1, 1, False, z)),
    "gelu": (_nn.gelu, lambda g, z, a: _aten.gelu_backward.default(g, z)),
    "silu": (_nn.silu, lambda g, z, a: _aten.silu_backward.default(g, z)),
    "tanh": (torch.tanh, lambda g, z, a: _aten.tanh_backward.default(g, a)),
    "sigmoid": (torch.sigmoid, lambda g, z, a: _aten.sigmoid_backward.default(g, a)),
    "identity": None,
}
assert set(ACTIVATIONS) == set(mlp_model.ACTIVATIONS)


class LeanStep:
    """One optimizer step of an `MLP` on a batch: `step(x, y)` -> the batch loss before the update, a 0-d tensor on
    the model's device (read it when convenient: reading syncs with the device).

    x (B, n_in) float32; y (B,) int64 class ids (`classify`) or float32 targets. The loss is the mean
    cross-entropy of the logits or the mean squared error of the predictions, as `nn.CrossEntropyLoss` and
    `nn.MSELoss`. `dropout` > 0 drops each hidden unit's output with that probability and scales the rest by
    1 / (1 - dropout) (inverted dropout, as `nn.Dropout`), drawing from `generator` (on the model's device).
    `last_grads` holds the last step's gradients in the optimizer's parameter order (see `keep_grads`).
    """

    def __init__(self, model: mlp_model.MLP, activations: tuple[str, ...], dropout: float, classify: bool,
                 update: Update, generator: torch.Generator) -> None:
        linears = [m for m in model.hidden if isinstance(m, nn.Linear)] + [model.output]
        self.layers = [(lin.weight, lin.bias) for lin in linears]
        self.acts = [ACTIVATIONS[a] for a in activations]
        self.keep, self.generator, self.classify, self.update = 1.0 - dropout, generator, classify, update
        where = {id(p): i for i, p in enumerate(update.params)}
        self.slots = [(where[id(w)], where[id(b)]) for w, b in self.layers]  # each layer's place in the update
        self.one = torch.ones((), device=linears[0].weight.device)  # d(loss)/d(loss), as `loss.backward()` seeds
        self.last_grads: list[Tensor] = []

    def step(self, x: Tensor, y: Tensor) -> Tensor:
        """Forward, backward and update on one batch; the loss before the update (0-d, on the device)."""
        with torch.no_grad():
            inputs, saved, out = self._forward(x)
            loss, g = self._loss(out, y)
            grads: list[Tensor] = [self.one] * len(self.update.params)
            for i in range(len(self.layers) - 1, -1, -1):
                w_slot, b_slot = self.slots[i]
                grads[w_slot], grads[b_slot] = torch.mm(g.t(), inputs[i]), g.sum(0)
                if i:
                    g = self._through_hidden(torch.mm(g, self.layers[i][0]), *saved[i - 1])
            self.update(grads)
        self.last_grads = grads
        return loss

    def keep_grads(self) -> None:
        """Put the last step's gradients in each parameter's `.grad`, where the health probe reads them."""
        for p, g in zip(self.update.params, self.last_grads, strict=False):  # none before the first step
            p.grad = g

    def _forward(self, x: Tensor) -> tuple[list[Tensor], list[tuple], Tensor]:
        """Each layer's input, each hidden layer's (z, a, dropout noise), and the output (B, n_out)."""
        inputs, saved, h = [x], [], x
        for (w, b), act in zip(self.layers, self.acts, strict=False):  # hidden layers
            z = _linear(h, w, b)
            a = act[0](z) if act is not None else z
            noise = self._dropout_noise(a) if self.keep < 1.0 else None
            h = a * noise if noise is not None else a
            saved.append((z, a, noise, act))
            inputs.append(h)
        w, b = self.layers[-1]
        return inputs, saved, _linear(h, w, b)

    def _dropout_noise(self, a: Tensor) -> Tensor:
        """Inverted dropout's factor for each entry of `a`: 0 with probability 1 - keep, else 1 / keep; nn.Dropout's
        arithmetic on CPU (a Bernoulli mask divided by keep), from the run's generator."""
        return torch.empty_like(a).bernoulli_(self.keep, generator=self.generator).div_(self.keep)

    def _loss(self, out: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """The mean loss (0-d) and its gradient with respect to `out`, by the kernels autograd uses for
        `F.cross_entropy` (log-softmax then negative log-likelihood) or `F.mse_loss`."""
        if self.classify:
            logp = torch.log_softmax(out, 1)
            loss, total = _aten.nll_loss_forward.default(logp, y, None, 1, -100)
            g = _aten.nll_loss_backward.default(self.one, logp, y, None, 1, -100, total)
            return loss, _aten._log_softmax_backward_data.default(g, logp, 1, out.dtype)
        pred = out.squeeze(-1)
        loss = _aten.mse_loss.default(pred, y, 1)
        return loss, _aten.mse_loss_backward.default(self.one, pred, y, 1).unsqueeze(-1)

    def _through_hidden(self, g: Tensor, z: Tensor, a: Tensor, noise: Tensor | None, act) -> Tensor:
        """The gradient with respect to a hidden layer's z from the one with respect to its output."""
        if noise is not None:
            g = g * noise
        return act[1](g, z, a) if act is not None else g
