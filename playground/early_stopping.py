"""Early stopping: end a run once its validation loss stops improving, or once its validation metric reaches a target.

The rule is Keras's EarlyStopping callback with monitor "val_loss", mode "min" and min_delta 0: an evaluation
improves when its validation loss is lower than the best so far; after `patience` evaluations in a row without
improvement the run stops, and with `restore_best_weights` it ends with the weights of its best evaluation (as in
Keras, only when patience stops it). `target_metric` stops the run at the first evaluation whose validation metric
(accuracy or R²) is at least the target. It reads the validation split that the runner carves from the training
examples when early stopping is on (EvalEnded.val_loss), never the test split: choosing when to stop by the test
split would leak it into the result it reports.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from playground.config import early_stopping_on
from playground.events import EvalEnded


class EarlyStopping:
    """The state of one run's early stopping: the best evaluation so far and how long ago it was. Used by the
    training thread only."""

    def __init__(self, patience: int, target_metric: float | None, restore_best_weights: bool) -> None:
        self.patience, self.target_metric, self.restore_best_weights = patience, target_metric, restore_best_weights
        self.best_loss = math.inf
        self.best_step: int | None = None
        self.best_epoch: int | None = None
        self.wait = 0  # evaluations since the best one
        self.exhausted = False  # patience ran out (the only stop after which the best weights are restored)
        self._best_state: dict[str, torch.Tensor] | None = None

    @classmethod
    def of(cls, training: Any) -> EarlyStopping | None:
        """The early stopping a config's training part asks for (playground.config.check_early_stopping), or None
        when it is off."""
        if not early_stopping_on(training):
            return None
        return cls(training.patience, training.target_metric, training.restore_best_weights)

    def update(self, ev: EvalEnded, model: nn.Module) -> str | None:
        """Fold evaluation `ev` of `model` (whose weights are those evaluated); why the run must stop now, in words,
        or None. The untrained model's evaluation (step 0) and one without a validation split do not count."""
        if ev.val_loss is None or ev.step == 0:
            return None
        if ev.val_loss < self.best_loss:
            self.best_loss, self.best_step, self.best_epoch, self.wait = ev.val_loss, ev.step, ev.epoch, 0
            if self.restore_best_weights:
                self._best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            self.wait += 1
        if self.target_metric is not None and ev.val_metric is not None and ev.val_metric >= self.target_metric:
            return f"Stopped early at step {ev.step}: the validation metric reached {ev.val_metric:.4g} (target " \
                   f"{self.target_metric:g})."
        if self.patience and self.wait >= self.patience:
            self.exhausted = True
            return f"Stopped early at step {ev.step}: the validation loss has not improved for {self.patience} " \
                   f"evaluation{'s' * (self.patience != 1)} (best {self.best_loss:.4g} at step {self.best_step})."
        return None

    def restore(self, model: nn.Module) -> bool:
        """Load the best evaluation's weights into `model` when patience ran out and `restore_best_weights` kept
        them; whether it did."""
        if self._best_state is None or not self.exhausted:
            return False
        model.load_state_dict(self._best_state)
        return True
