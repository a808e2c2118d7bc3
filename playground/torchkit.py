"""Torch pieces both playgrounds' trainers share: the optimizer registry, seeded construction, weight copies.

Nothing here knows a playground: each takes a training config's optimisation settings (playground.config)
or a plain `nn.Module`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import torch
import torch._dynamo  # noqa: F401  (optimizers import it on first use, ~1 s; pay that at import, not on Train)
from torch import nn

# Model construction seeds torch's global RNG; this lock keeps two jobs from interleaving there.
_INIT_LOCK = threading.Lock()


# name -> (class, extra arguments). "momentum" is SGD with momentum 0.9 (the usual default, e.g. Goodfellow
# et al., Deep Learning, 8.3.2). Weight decay is L2 for all but AdamW (decoupled).
OPTIMIZERS: dict[str, tuple[type[torch.optim.Optimizer], dict]] = {
    "sgd": (torch.optim.SGD, {}), "momentum": (torch.optim.SGD, {"momentum": 0.9}), "adam": (torch.optim.Adam, {}),
    "adamw": (torch.optim.AdamW, {}), "rmsprop": (torch.optim.RMSprop, {}),
}


def make_optimizer(cfg, params) -> torch.optim.Optimizer:
    """The optimizer named by `cfg.optimizer` (see OPTIMIZERS), fused where torch has a fused kernel.

    The fused kernel updates every parameter in one call instead of a Python loop over them: 1.4x the
    steps/s of the moons preset's Adam on one CPU thread here (torch 2.13). Torch builds without it for
    these parameters (CPU before torch 2.4, RMSprop) get the default implementation. Raises ValueError for
    an unknown name.
    """
    if cfg.optimizer not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {cfg.optimizer!r}.")
    cls, extra = OPTIMIZERS[cfg.optimizer]
    params = list(params)
    kwargs = {"lr": cfg.learning_rate, "weight_decay": cfg.weight_decay, **extra}
    try:
        return cls(params, fused=True, **kwargs)
    except (RuntimeError, TypeError, ValueError):  # no fused kernel for this optimizer, device or torch version
        return cls(params, **kwargs)


OPTIMIZER_KEYS = {"learning_rate": "lr", "weight_decay": "weight_decay"}  # a config's names -> param_groups' keys


def set_hyperparameter(optimizer: torch.optim.Optimizer, name: str, value: float) -> None:
    """Set the learning rate or weight decay (a config's `name`, see OPTIMIZER_KEYS) of every parameter group, from
    the optimizer's next step: the way torch's own learning-rate schedulers change it (fused kernels included, as
    they read the groups at each step). Raises KeyError for another name."""
    key = OPTIMIZER_KEYS[name]
    for group in optimizer.param_groups:
        group[key] = value


def seeded_model(seed: int, build: Callable[[], nn.Module]) -> nn.Module:
    """Call `build` with torch's global RNG seeded, without disturbing other threads' draws."""
    with _INIT_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def weights_copy(model: nn.Module) -> dict[str, np.ndarray]:
    """A CPU numpy copy of the model's parameters and buffers."""
    return {k: v.detach().to("cpu", copy=True).numpy() for k, v in model.state_dict().items()}


def n_parameters(model: nn.Module) -> int:
    """Trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
