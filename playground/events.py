"""Plain events a trainer emits while it runs; a job appends them to its log.

Events are immutable and hold only Python numbers, strings, numpy arrays and frozen dataclasses of them, so a
UI thread can read them while the training thread goes on. What is particular to a playground (a run's info,
the views an evaluation sends for the charts) is a frozen dataclass that playground owns. Losses are per
example (mean over the batch); metrics are accuracy in [0, 1] for classification and R² for regression.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

ACCURACY, R2 = "accuracy", "r2"  # metric kinds: a share in [0, 1]; the coefficient of determination (<= 1)


@dataclass(frozen=True)
class Metric:
    """What a run's metric is: its kind decides how it is drawn, its label how it is named."""

    kind: str  # ACCURACY or R2
    label: str  # e.g. "accuracy", "R²", "token accuracy", "next-char accuracy"


@dataclass(frozen=True)
class RunStarted:
    """Sent once, after the data and model are built and before the first step."""

    device: str  # e.g. "cpu" or "cuda:0 (NVIDIA H200)"
    n_params: int  # trainable parameters
    steps_per_epoch: int | None  # None for a run counted in steps only
    total_steps: int
    metric: Metric
    info: Any = None  # the playground's frozen run info: data points, class names, the probe, notes
    held_out: str = "test"  # the held-out split's name: "test", or "validation" where it picks settings
    epochs: int | None = None  # epochs of a run counted in epochs (None: steps only)
    validation: str = ""  # where early stopping's validation split comes from, in words ("" when it is off)


@dataclass(frozen=True)
class StepEnded:
    """One optimizer step. `loss` is the mini-batch training loss before the update."""

    step: int  # 1-based count of optimizer steps
    epoch: int | None  # 1-based epoch this step belongs to; None for a run counted in steps only
    loss: float


@dataclass(frozen=True)
class EvalEnded:
    """Evaluation on the full train and test splits, in eval mode without gradients."""

    step: int
    epoch: int | None
    train_loss: float
    test_loss: float
    train_metric: float
    test_metric: float
    views: Any = None  # the playground's frozen views for the charts (a boundary grid, attention), if any
    state: dict[str, np.ndarray] | None = None  # a CPU copy of the model's parameters, for inference and export
    health: Any = None  # the playground's frozen training health (norms, dead units), if it records one
    val_loss: float | None = None  # on the validation split early stopping watches (None when it is off)
    val_metric: float | None = None


@dataclass(frozen=True)
class SettingChanged:
    """A setting of the running job changed (playground.steering): it applies from step `step` + 1 on.

    A change of batch size in a run counted in epochs changes its steps per epoch and total steps, given here.
    """

    step: int  # optimizer steps taken before the change applied
    epoch: int | None  # epochs completed by then (None for a run counted in steps only)
    name: str  # "learning_rate", "weight_decay" or "batch_size"
    old: float
    new: float
    total_steps: int | None = None  # the run's new total steps, where the change moved it
    steps_per_epoch: int | None = None


@dataclass(frozen=True)
class RunFinished:
    """The run ended normally: `status` is "completed" or "stopped" (by the user).

    A run that early stopping ended (playground.early_stopping) is "completed" with `stopped_early` set and a
    `message` saying why; `best_step` and `best_epoch` name its best evaluation on the validation split.
    """

    status: str
    steps: int
    seconds: float
    stopped_early: bool = False
    best_step: int | None = None  # the evaluation with the lowest validation loss (None when early stopping is off)
    best_epoch: int | None = None  # its epoch (None for a run counted in steps only)
    message: str = ""


@dataclass(frozen=True)
class RunFailed:
    """The run ended early: `status` is "diverged" (non-finite loss) or "failed" (an error)."""

    status: str
    message: str  # one or two sentences fit to show a user, naming the likely cause
    steps: int
    seconds: float


Event = RunStarted | StepEnded | EvalEnded | SettingChanged | RunFinished | RunFailed
