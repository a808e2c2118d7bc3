"""The MLP trainer: an `MLPRunner` (data, model, optimizer of one run) driven by the one training loop.

`train` runs `playground.loop.fit` in whatever thread calls it; it talks to the outside only through `emit`
and a `Control`, and never raises. The UI never sees the model:
what charts need (decision-boundary grid, confusion matrix, a copy of the weights) is computed here
at evaluation time in eval mode without gradients and sent as numpy arrays.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from playground import devices
from playground.config import early_stopping_on
from playground.control import Control
from playground.events import ACCURACY, R2, EvalEnded, Metric, RunStarted, SettingChanged
from playground.loop import Emit, fit
from playground.mlp import features
from playground.mlp.config import MLPRunConfig
from playground.mlp.data import Dataset, make_dataset, validation_split
from playground.mlp.health import Health, HealthProbe
from playground.mlp.layer_stats import layers_view
from playground.mlp.model import MLP
from playground.mlp.network import NetworkView, grid_forward, network_view, shown_units
from playground.mlp.views import BoundaryGrid, MLPRunInfo, MLPViews, Points
from playground.torchkit import make_optimizer, n_parameters, seeded_model, set_hyperparameter, weights_copy

GRID_SIZE = 60  # decision-boundary resolution per axis (60 x 60 = 3600 forward passes)
VIEW_INTERVAL_S = 0.4  # expensive views (grid, confusion, weights) at most this often, and at the end

def train(config: MLPRunConfig, emit: Emit, control: Control | None = None, *,
          table: pd.DataFrame | None = None) -> None:
    """Train an MLP as `config` says, reporting through `emit` (see playground.loop.fit).

    Emits RunStarted, then a StepEnded per optimizer step and an EvalEnded after every epoch (and
    after a single step), then exactly one RunFinished ("completed" / "stopped") or RunFailed
    ("diverged" / "failed"). `table` is the uploaded DataFrame when `config.data.dataset == "csv"`.
    Deterministic on CPU for a given config, except that dropout draws from torch's global RNG.
    """
    fit(MLPRunner(config, table), emit, control)


class MLPRunner:
    """The model, optimizer and device-resident data of one MLP run (a `playground.loop.Runner`)."""

    full_every_s = VIEW_INTERVAL_S
    evaluates_untrained = False
    epoch_settings = frozenset({"batch_size"})  # an epoch's batches are cut when it starts
    records_health = True  # read a Health at each evaluation (mlp/health.py); off only to measure its cost

    network_view = True  # the network view's pictures at each full evaluation (off: benchmarks/network_view.py)

    def __init__(self, config: MLPRunConfig, table: pd.DataFrame | None = None) -> None:
        self.config, self.table, self.training = config, table, config.training
        self.measure_update = False  # set by `batches` for the step an evaluation follows

    def start(self) -> RunStarted:
        config = self.config
        data, validation = make_dataset(config.data, self.table), None
        if early_stopping_on(config.training):  # a validation split of the training rows decides when to stop
            data, *validation = validation_split(data, config.training.validation_fraction, config.data.seed)
        self.data = data
        self.device = device = devices.resolve(config.training.device)
        self.classify = data.task == "classification"
        n_out = data.n_classes if self.classify else 1
        self.inputs = self._inputs_of(data)
        n_in = len(self.inputs[1])
        self.model = seeded_model(config.training.seed, lambda: MLP(n_in, n_out, config.model)).to(device)
        self.optimizer = make_optimizer(config.training, self.model.parameters())
        self.loss_fn = nn.CrossEntropyLoss() if self.classify else nn.MSELoss()
        self.example_loss_fn = type(self.loss_fn)(reduction="none")  # the same loss per example, for evaluation
        self.rng = torch.Generator().manual_seed(config.training.seed)
        self.batch_size = min(config.training.batch_size, len(data.x_train))
        y_dtype = torch.long if self.classify else torch.float32
        self.x = self.inputs[0](torch.as_tensor(data.x_train, device=device))
        self.y = torch.as_tensor(data.y_train, dtype=y_dtype, device=device)
        self.x_test = self.inputs[0](torch.as_tensor(data.x_test, device=device))
        self.y_test = torch.as_tensor(data.y_test, dtype=y_dtype, device=device)
        # Evaluation runs both splits in one forward pass and reads each split's sums of per-example losses
        # and hits in one transfer: a few tensor ops per epoch instead of a dozen, as an epoch of the moons
        # preset is only 25 steps.
        xs, ys = [self.x, self.x_test], [self.y, self.y_test]
        if validation is not None:  # a third split, scored in the same pass
            xs.append(self.inputs[0](torch.as_tensor(validation[0], device=device)))
            ys.append(torch.as_tensor(validation[1], dtype=y_dtype, device=device))
        self.x_both, self.y_both = torch.cat(xs), torch.cat(ys)
        self.split_sizes = tuple(len(x) for x in xs)
        # SS_tot of each split for R² (fixed: it depends on the targets only)
        self.ss_tot = [0.0 if self.classify or not len(t) else float(((t - t.mean()) ** 2).sum()) for t in ys]
        # Dropout is the MLP's only layer that behaves differently in eval mode; switching modes walks every
        # module, so an evaluation of a model without dropout skips it.
        self.has_modes = any(isinstance(m, nn.Dropout) for m in self.model.modules())
        self.grid = _grid(data) if data.n_features == 2 else None
        # the grid's inputs as the network gets them (derived features), on the device once, not per evaluation
        self.grid_inputs = self.inputs[0](self.grid[2].to(device)) if self.grid is not None else None
        self.probe = HealthProbe(self.model, config.model.activations) if self.records_health else None
        return self._started()

    def _inputs_of(self, data: Dataset) -> tuple:
        """(points -> the network's inputs, their names): a 2-D dataset's derived features (mlp/features.py)."""
        names = self.config.data.features
        if data.n_features != 2 or features.is_plain(names):
            return (lambda points: points), data.feature_names
        return (lambda points: features.derive(points, names)), tuple(features.LABELS[n] for n in names)

    def _started(self) -> RunStarted:
        d = self.data
        points = Points(d.x_train, d.y_train, d.x_test, d.y_test) if d.n_features == 2 else None
        info = MLPRunInfo(d.task, d.class_names, d.feature_names, d.notes, len(d.x_train), len(d.x_test), d.y_test,
                          points, tuple(self.inputs[1]), d.feature_mean, d.feature_std, d.target_mean, d.target_std)
        per_epoch = math.ceil(len(d.x_train) / self.batch_size)
        metric = Metric(ACCURACY, "accuracy") if self.classify else Metric(R2, "R²")
        epochs = self.config.training.epochs
        validation = ""
        if len(self.split_sizes) > 2:
            share = self.config.training.validation_fraction
            validation = f"{self.split_sizes[2]:,} of the training rows ({share:.0%}), held out of training"
        return RunStarted(devices.describe(self.device), n_parameters(self.model), per_epoch, per_epoch * epochs,
                          metric, info, epochs=epochs, validation=validation)

    def batches(self) -> Iterator[tuple[int, torch.Tensor, bool]]:
        """Each epoch's rows in a fresh random order (the run's own generator), `batch_size` at a time; an
        evaluation after each epoch's last batch."""
        n = len(self.x)
        for epoch in range(1, self.config.training.epochs + 1):
            size = self.batch_size  # read at each epoch's start: a change of batch size applies from the next epoch
            order = torch.randperm(n, generator=self.rng).to(self.device)
            for start in range(0, n, size):
                self.measure_update = self.probe is not None and start + size >= n  # the step an evaluation follows
                yield epoch, order[start : start + size], start + size >= n

    def apply(self, name: str, value: Any, step: int, epoch: int | None) -> SettingChanged:
        """Change a setting of the running job (see playground.loop.Runner.apply): the learning rate or weight
        decay in the optimizer's parameter groups, from the next step; the batch size (capped at the training
        rows) from the next epoch, as `batches` reads it when an epoch starts, with the run's new total steps."""
        old = getattr(self.training, name)
        self.training = dataclasses.replace(self.training, **{name: value})  # the divergence message names it
        if name != "batch_size":
            set_hyperparameter(self.optimizer, name, value)
            return SettingChanged(step, epoch or 0, name, old, value)
        self.batch_size = min(value, len(self.x))
        per_epoch = math.ceil(len(self.x) / self.batch_size)
        total = step + (self.config.training.epochs - (epoch or 0)) * per_epoch
        return SettingChanged(step, epoch or 0, name, old, value, total, per_epoch)

    def _outputs(self, x: torch.Tensor) -> torch.Tensor:
        out = self.model(x)
        return out if self.classify else out.squeeze(-1)

    def step(self, idx: torch.Tensor) -> float:
        """One optimizer step on the rows `idx`; returns the batch loss before the update."""
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss_fn(self._outputs(self.x[idx]), self.y[idx])
        value = loss.item()
        if math.isfinite(value):
            loss.backward()
            if self.measure_update:
                self.probe.keep_before()
            self.optimizer.step()
        return value

    @torch.no_grad()
    def evaluate(self, step: int, epoch: int | None, full: bool) -> EvalEnded:
        if not self.has_modes:
            return self._evaluate(step, epoch, full)
        self.model.eval()
        try:
            return self._evaluate(step, epoch, full)
        finally:
            self.model.train()  # back to training mode once here, not in every step (it walks every module)

    def _evaluate(self, step: int, epoch: int | None, views: bool) -> EvalEnded:
        out, health = self._outputs_and_health()
        (train_loss, test_loss, *val_loss), (train_metric, test_metric, *val_metric) = self._split_means(out)
        n_train, n_test = self.split_sizes[:2]
        shown = self._views(out[n_train : n_train + n_test]) if views else None
        state = weights_copy(self.model) if views else None
        return EvalEnded(step, epoch, train_loss, test_loss, train_metric, test_metric, shown, state, health,
                         *val_loss, *val_metric)

    def _outputs_and_health(self) -> tuple[torch.Tensor, Health | None]:
        """The outputs for `x_both`, and the run's health read from the same forward pass (None when off)."""
        if self.probe is None:
            return self._outputs(self.x_both), None
        out, pre, post = self.probe.forward(self.x_both)
        health = self.probe.read(pre, post, self.split_sizes[0])
        return (out if self.classify else out.squeeze(-1)), health

    def _views(self, out_test: torch.Tensor) -> MLPViews:
        """The confusion matrix or predictions from the test split's outputs, and the boundary grid."""
        confusion = y_test_pred = grid = None
        if self.classify:
            confusion = confusion_counts(self.data.y_test, out_test.argmax(-1).cpu().numpy(), self.data.n_classes)
        else:
            y_test_pred = out_test.cpu().numpy()
        network = layers = None
        if self.grid is None and self.network_view:  # a table: weights and outputs per layer instead of pictures
            layers = layers_view(self.model, self.x_test)
        if self.grid is not None:
            gx, gy, _ = self.grid
            out, network = self._grid_pass(self.grid_inputs)
            values = out.softmax(-1) if self.classify else out.squeeze(-1)
            grid = BoundaryGrid(gx, gy, values.cpu().numpy().reshape(len(gy), len(gx), *values.shape[1:]))
        return MLPViews(confusion, y_test_pred, grid, network, layers)

    def _grid_pass(self, inputs: torch.Tensor) -> tuple[torch.Tensor, NetworkView | None]:
        """The boundary grid's forward pass from its `inputs` (G*G, n_in), keeping the network view's pictures
        (None when turned off)."""
        if not self.network_view:
            return self.model(inputs), None
        d = self.data
        units, cut = shown_units(self.model, len(self.inputs[1]))
        out, images = grid_forward(self.model, inputs, GRID_SIZE, units)
        names = d.class_names if self.classify else ("prediction",)
        return out, network_view(self.model, units, images, self.grid[0], self.grid[1], self.inputs[1], names, cut)

    def _split_means(self, out: torch.Tensor) -> tuple[list[float], list[float]]:
        """([train loss, test loss(, validation loss)], [the same splits' metrics]) from the outputs for `x_both`.

        Losses are the mean per example of the run's loss (cross-entropy or MSE); the metric is accuracy
        for classes, R² = 1 - SS_res / SS_tot for regression (coefficient of determination; 0 when the
        targets are constant). A split with no rows gets NaN.
        """
        example_losses = self.example_loss_fn(out, self.y_both)  # for MSE, the squared errors: SS_res too
        hits = [(out.argmax(-1) == self.y_both).float()] if self.classify else []
        per_example = torch.stack([example_losses, *hits], 1)
        ends = np.cumsum(self.split_sizes).tolist()
        # (splits, 2 or 1 columns); by slices, as a product with 0/1 rows would spread 0 x inf = NaN
        sums = torch.stack([per_example[a:b].sum(0) for a, b in zip([0, *ends[:-1]], ends, strict=True)]).tolist()
        losses = [row[0] / n if n else math.nan for row, n in zip(sums, self.split_sizes, strict=True)]
        if self.classify:
            return losses, [row[1] / n if n else math.nan for row, n in zip(sums, self.split_sizes, strict=True)]
        return losses, [1.0 - row[0] / ss if ss > 0 else 0.0 for row, ss in zip(sums, self.ss_tot, strict=True)]


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """(C, C) counts, rows true class, columns predicted: sklearn.metrics.confusion_matrix's layout, by one
    bincount (sklearn's own call validates its arguments and took half of an evaluation's time here)."""
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def _grid(data: Dataset) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
    """Axis coordinates (G,), (G,) covering every point with a margin, and the (G*G, 2) grid points."""
    pts = np.concatenate([data.x_train, data.x_test])
    lo, hi = pts.min(0) - 0.5, pts.max(0) + 0.5
    gx = np.linspace(lo[0], hi[0], GRID_SIZE, dtype=np.float32)
    gy = np.linspace(lo[1], hi[1], GRID_SIZE, dtype=np.float32)
    xx, yy = np.meshgrid(gx, gy)  # (G, G): rows follow y, columns follow x
    return gx, gy, torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], 1))
