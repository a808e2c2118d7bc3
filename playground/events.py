"""Plain events a trainer emits while it runs; a job appends them to its log.

Events are immutable and hold only Python numbers, strings and numpy arrays, so a UI thread can read
them while the training thread goes on. Losses are per example (mean over the batch); metrics are
accuracy in [0, 1] for classification and R² for regression.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class RunStarted:
    """Sent once, after the data and model are built and before the first step."""

    device: str  # e.g. "cpu" or "cuda:0 (NVIDIA H200)"
    n_params: int  # trainable parameters
    steps_per_epoch: int | None  # None for a run counted in steps only
    total_steps: int
    metric_name: str  # "accuracy" or "R²"
    info: dict[str, Any] = field(default_factory=dict)  # task-specific: data points, class names, notes


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
    views: dict[str, np.ndarray] = field(default_factory=dict)  # e.g. boundary grid, confusion matrix
    state: dict[str, np.ndarray] | None = None  # a CPU copy of the model's parameters, for inference and export


@dataclass(frozen=True)
class RunFinished:
    """The run ended normally: `status` is "completed" or "stopped" (by the user)."""

    status: str
    steps: int
    seconds: float


@dataclass(frozen=True)
class RunFailed:
    """The run ended early: `status` is "diverged" (non-finite loss) or "failed" (an error)."""

    status: str
    message: str  # one or two sentences fit to show a user, naming the likely cause
    steps: int
    seconds: float


Event = RunStarted | StepEnded | EvalEnded | RunFinished | RunFailed
