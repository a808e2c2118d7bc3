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


@dataclass(frozen=True)
class FrameCaptured:
    """A small picture of the model taken between evaluations, at a steady wall-time cadence
    (`Runner.frame_every_s`), so a page can animate what the model computes more often than it evaluates."""

    index: int  # 1-based count of frames in this run
    step: int  # optimizer steps taken when the frame was captured
    seconds: float  # since the run started (after set-up), when it was captured
    frame: Any  # the playground's frozen frame: small uint8 grids (e.g. mlp/frames.Frame)


Event = RunStarted | StepEnded | EvalEnded | FrameCaptured | RunFinished | RunFailed
