"""A multilayer perceptron with a width and an activation per hidden layer."""

from __future__ import annotations

import torch
from torch import nn

from playground.mlp.config import MLPConfig

# Config names -> modules. LeakyReLU uses PyTorch's default negative slope (0.01).
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "identity": nn.Identity,
}

# nn.init gain names for Xavier / Kaiming; activations without one use the linear gain.
_GAIN_NAME = {"relu": "relu", "leaky_relu": "leaky_relu", "tanh": "tanh", "sigmoid": "sigmoid"}


class MLP(nn.Module):
    """Linear -> activation -> dropout per hidden layer, then a linear output layer.

    Input (batch, n_inputs) float; output (batch, n_outputs) logits for classification (softmax is
    applied by the cross-entropy loss) or predictions for regression. With no hidden layers it is a
    linear (or logistic) model.
    """

    def __init__(self, n_inputs: int, n_outputs: int, cfg: MLPConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = n_inputs
        for size, act in zip(cfg.hidden_sizes, cfg.activations, strict=True):
            linear = nn.Linear(width, size)
            _initialise(linear, cfg.init, act)
            layers += [linear, ACTIVATIONS[act]()]
            if cfg.dropout > 0:
                layers.append(nn.Dropout(cfg.dropout))
            width = size
        self.output = nn.Linear(width, n_outputs)
        _initialise(self.output, cfg.init, "identity")
        self.hidden = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.hidden(x))  # (batch, n_inputs) -> (batch, n_outputs)


def _initialise(linear: nn.Linear, init: str, activation: str) -> None:
    """Xavier/Glorot (Glorot & Bengio, 2010) or Kaiming/He (He et al., 2015) with the gain for the
    activation that follows; "default" keeps PyTorch's own (Kaiming-uniform with a=sqrt(5))."""
    if init == "default":
        return
    gain_name = _GAIN_NAME.get(activation, "linear")
    if init == "xavier":
        nn.init.xavier_uniform_(linear.weight, gain=nn.init.calculate_gain(gain_name))
    else:
        nonlinearity = gain_name if gain_name in ("relu", "leaky_relu") else "linear"
        nn.init.kaiming_uniform_(linear.weight, nonlinearity=nonlinearity)
    nn.init.zeros_(linear.bias)
