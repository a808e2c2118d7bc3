"""What every playground's runnable script (mlp/script.py, attention/script.py) writes the same way: the optimizer.

A script is one self-contained file, so each template carries its own copy of this code; here it is written once
and filled in for a run's training settings.
"""

from __future__ import annotations

from string import Template
from typing import Any

from playground.torchkit import OPTIMIZERS

_MAKE_OPTIMIZER = Template('''def make_optimizer(params):
    """$optimizer, with PyTorch's fused kernel where it has one (the same updates, fewer calls)."""
    params = list(params)
    kwargs = dict(lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY, **$optimizer_extra)
    try:
        return $optimizer(params, fused=True, **kwargs)
    except (RuntimeError, TypeError, ValueError):  # no fused kernel here
        return $optimizer(params, **kwargs)''')


def optimizer_values(training: Any) -> dict[str, str]:
    """A template's values for `training`'s optimizer (torchkit.OPTIMIZERS, as torchkit.make_optimizer builds it):
    "make_optimizer" (the function's source), "learning_rate" and "weight_decay" (Python literals)."""
    cls, extra = OPTIMIZERS[training.optimizer]
    source = _MAKE_OPTIMIZER.substitute(optimizer=f"torch.optim.{cls.__name__}", optimizer_extra=repr(extra))
    return {"make_optimizer": source, "learning_rate": repr(training.learning_rate),
            "weight_decay": repr(training.weight_decay)}
