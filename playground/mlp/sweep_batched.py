"""The MLP sweep's trainer (playground.mlp.sweep's `train_sweep` runs it): K MLPs trained as one batched model.

Variants whose shapes match (a sweep of the learning rate, weight decay, seed or initialisation) train as ONE
model: each layer's K weight matrices stacked into a (K, in, out) tensor and biases into (K, 1, out), one
forward (`torch.baddbmm`) and one backward pass for all K, and one `StackedOptimizer` step with a learning rate
and weight decay per model. Each model starts from the weights `torchkit.seeded_model` gives a single run with
its seed, sees the batches a single run with its seed would see (a learning-rate sweep shares one order; a seed
sweep draws each model's order from its own generator, as `MLPRunner.batches` does), and gets torch.optim's
update, so its curve is the one `playground.mlp.training.train` draws for its config alone, to float rounding
(tests/playground/mlp/test_sweep.py states the tolerance). Dropout masks are drawn for each model apart, as in
a single run, but from one stream: a variant with dropout matches a single run in distribution only (a single
run's masks come from torch's global generator and are not reproducible either).

Variants whose shapes differ (width, depth, activation, optimizer, batch size) train one after another, each as
a batch of one, in the same job. Step losses are read once per epoch (or every `BLOCK_STEPS` steps), not after
each step, so the K models' steps run without waiting on the device.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from playground import devices
from playground.control import Command, Control
from playground.events import ACCURACY, R2, EvalEnded, Metric, RunFinished, RunStarted, StepEnded
from playground.loop import Emit, divergence_message, is_diverged, step_diverged
from playground.mlp import features
from playground.mlp.config import MLPRunConfig
from playground.mlp.data import Dataset, make_dataset
from playground.mlp.model import ACTIVATIONS as ACTIVATION_MODULES
from playground.mlp.model import MLP
from playground.mlp.training import GRID_SIZE, VIEW_INTERVAL_S
from playground.mlp.views import BoundaryGrid, MLPRunInfo, MLPViews, Points
from playground.stacked_optim import StackedOptimizer
from playground.sweep import Sweep, SweepInfo, VariantEnded, VariantEvaluated, VariantSteps
from playground.torchkit import n_parameters, seeded_model

BLOCK_STEPS = 256  # step losses are read at least this often within a long epoch (the progress bar's pace)


class _Data:
    """The dataset every variant shares, on the device, with the inputs as the network gets them (derived
    features of a 2-D dataset: playground.mlp.features), both splits joined for evaluation, and the boundary's
    grid (2-D datasets)."""

    def __init__(self, config: MLPRunConfig, table: pd.DataFrame | None, device: torch.device) -> None:
        self.data = d = make_dataset(config.data, table)
        self.classify = d.task == "classification"
        self.n_out = d.n_classes if self.classify else 1
        names = config.data.features
        plain = d.n_features != 2 or features.is_plain(names)
        self.inputs = (lambda p: p) if plain else (lambda p: features.derive(p, names))
        y_dtype = torch.long if self.classify else torch.float32
        self.x = self.inputs(torch.as_tensor(d.x_train, device=device))
        self.y = torch.as_tensor(d.y_train, dtype=y_dtype, device=device)
        x_test = self.inputs(torch.as_tensor(d.x_test, device=device))
        self.x_both = torch.cat([self.x, x_test])
        self.y_both = torch.cat([self.y, torch.as_tensor(d.y_test, dtype=y_dtype, device=device)])
        self.n_train, self.n_in = len(self.x), self.x.shape[1]
        self.split_sizes = (len(self.x), len(x_test))
        self.ss_tot = [0.0 if self.classify or not len(t) else float(((t - t.mean()) ** 2).sum())
                       for t in (self.y, self.y_both[self.n_train:])]
        self.grid = _grid(d) if d.n_features == 2 else None
        self.grid_inputs = self.inputs(self.grid[2].to(device)) if self.grid is not None else None

    def info(self) -> MLPRunInfo:
        d = self.data
        points = Points(d.x_train, d.y_train, d.x_test, d.y_test) if d.n_features == 2 else None
        return MLPRunInfo(d.task, d.class_names, d.feature_names, d.notes, len(d.x_train), len(d.x_test), d.y_test,
                          points)

    def steps_per_epoch(self, config: MLPRunConfig) -> int:
        return math.ceil(self.n_train / min(config.training.batch_size, self.n_train))


def _grid(data: Dataset) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
    """The boundary's grid as playground.mlp.training draws it: axes (G,), (G,) and the (G*G, 2) points."""
    pts = np.concatenate([data.x_train, data.x_test])
    lo, hi = pts.min(0) - 0.5, pts.max(0) + 0.5
    gx = np.linspace(lo[0], hi[0], GRID_SIZE, dtype=np.float32)
    gy = np.linspace(lo[1], hi[1], GRID_SIZE, dtype=np.float32)
    xx, yy = np.meshgrid(gx, gy)
    return gx, gy, torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], 1))


class _Batch:
    """K MLPs of one shape trained as one model (see the module docstring); `ids` are their variant numbers."""

    def __init__(self, configs: list[MLPRunConfig], ids: list[int], data: _Data, device: torch.device) -> None:
        self.ids, self.configs, self.data = list(ids), {i: c for i, c in zip(ids, configs, strict=True)}, data
        first = configs[0]
        models = [seeded_model(c.training.seed, lambda c=c: MLP(data.n_in, data.n_out, c.model)) for c in configs]
        self.n_params = [n_parameters(m) for m in models]
        layers = [[*(m for m in model.hidden if isinstance(m, nn.Linear)), model.output] for model in models]
        params = []
        for depth in range(len(layers[0])):  # weights (K, in, out) for baddbmm, biases (K, 1, out)
            params.append(torch.stack([ls[depth].weight.detach().T for ls in layers]))
            params.append(torch.stack([ls[depth].bias.detach()[None] for ls in layers]))
        params = [p.to(device).contiguous().requires_grad_() for p in params]
        rate = torch.tensor([c.training.learning_rate for c in configs], device=device)
        decay = torch.tensor([c.training.weight_decay for c in configs], device=device)
        self.opt = StackedOptimizer(first.training.optimizer, params, rate, decay)
        self.acts = [ACTIVATION_MODULES[a]() for a in first.model.activations]
        self.dropout = first.model.dropout
        seeds = [c.training.seed for c in configs]
        # a single run draws each epoch's order from torch.Generator(seed): one order for one seed, else K
        self.rngs = [torch.Generator().manual_seed(s) for s in (seeds[:1] if len(set(seeds)) == 1 else seeds)]
        self.size = min(first.training.batch_size, data.n_train)
        self.epochs, self.t, self.device = first.training.epochs, 0, device

    def new_order(self) -> None:
        """This epoch's order of the training rows: (1, n) shared or (K, n), one per model."""
        self.order = torch.stack([torch.randperm(self.data.n_train, generator=g) for g in self.rngs]).to(self.device)

    def forward(self, x: torch.Tensor, training: bool = True) -> torch.Tensor:
        """(K, B, n_in) or (1, B, n_in) -> (K, B, n_out)."""
        p = self.opt.params
        h = x.expand(len(self.ids), -1, -1)
        for layer, act in enumerate(self.acts):
            h = act(torch.baddbmm(p[2 * layer + 1], h, p[2 * layer]))
            if self.dropout and training:
                h = F.dropout(h, self.dropout)
        return torch.baddbmm(p[-1], h, p[-2])

    def example_losses(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """(K, B) per-example loss: cross-entropy of the logits, or the squared error (MSE's terms)."""
        y = y.expand(out.shape[0], -1)
        if self.data.classify:
            return F.cross_entropy(out.flatten(0, 1), y.flatten(), reduction="none").view(y.shape)
        return (out.squeeze(-1) - y).square()

    def step(self, start: int) -> torch.Tensor:
        """One optimizer step of every model on its rows `start`..`start + size` of this epoch's order; the (K,)
        mini-batch losses before the update, left on the device."""
        idx = self.order[:, start : start + self.size]  # (1 or K, B)
        losses = self.example_losses(self.forward(self.data.x[idx]), self.data.y[idx]).mean(1)
        grads = torch.autograd.grad(losses.sum(), self.opt.params)  # the sum's gradient is each model's own
        self.opt.step(grads)
        self.t += 1
        return losses.detach()

    @torch.no_grad()
    def evaluate(self, views: bool) -> list[tuple[float, float, float, float, MLPViews | None]]:
        """Per model, in `ids` order: (train loss, test loss, train metric, test metric, views or None), as
        playground.mlp.training's `_split_means` computes them for one run (accuracy, or R²); `views` adds the
        boundary grid of a 2-D dataset."""
        d = self.data
        out = self.forward(d.x_both[None], training=False)
        cols = [self.example_losses(out, d.y_both[None])]
        if d.classify:
            cols.append((out.argmax(-1) == d.y_both).float())
        per = torch.stack(cols, -1)  # (K, N, 1 or 2)
        n = d.n_train
        sums = torch.stack([per[:, :n].sum(1), per[:, n:].sum(1)], 1).tolist()  # (K, 2 splits, columns)
        grids = self._grids() if views and d.grid is not None else [None] * len(self.ids)
        results = []
        for split_sums, grid in zip(sums, grids, strict=True):
            losses = [row[0] / size if size else math.nan for row, size in zip(split_sums, d.split_sizes, strict=True)]
            if d.classify:
                metrics = [row[1] / size if size else math.nan for row, size in zip(split_sums, d.split_sizes,
                                                                                      strict=True)]
            else:
                metrics = [1.0 - row[0] / ss if ss > 0 else 0.0 for row, ss in zip(split_sums, d.ss_tot, strict=True)]
            results.append((*losses, *metrics, MLPViews(grid=grid) if views else None))
        return results

    def _grids(self) -> list[BoundaryGrid]:
        gx, gy, _ = self.data.grid
        out = self.forward(self.data.grid_inputs[None], training=False)  # (K, G*G, C)
        values = (out.softmax(-1) if self.data.classify else out.squeeze(-1)).cpu().numpy()
        return [BoundaryGrid(gx, gy, v.reshape(len(gy), len(gx), *v.shape[1:])) for v in values]

    def drop(self, positions: list[int]) -> None:
        """Stop training the models at `positions` (of `ids`): the others go on as a smaller batch."""
        if not positions:
            return
        keep = [j for j in range(len(self.ids)) if j not in positions]
        index = torch.tensor(keep, dtype=torch.long, device=self.device)
        self.opt.keep(index)
        self.ids = [self.ids[j] for j in keep]
        if len(self.rngs) > 1:  # one order per model: the dropped models' orders go too
            self.rngs = [self.rngs[j] for j in keep]
            self.order = self.order[index]


class SweepRun:
    """One sweep's training: its groups of variants in turn, and the events of each variant."""

    def __init__(self, sweep: Sweep, emit: Emit, control: Control, t0: float) -> None:
        self.sweep, self.emit, self.control, self.t0 = sweep, emit, control, t0
        self.step = 0  # the sweep's batched steps, every group's together
        self.first: dict[int, float] = {}  # each variant's first step's loss (divergence is judged against it)
        self.ended: set[int] = set()
        self.batch: _Batch | None = None

    def run(self, table: pd.DataFrame | None) -> None:
        sweep = self.sweep
        self.device = devices.resolve(sweep.base.training.device)
        data = _Data(sweep.base, table, self.device)
        groups = sweep.groups
        batch = self._batch(groups[0], data)
        total = sum(sweep.base.training.epochs * data.steps_per_epoch(sweep.variants[g[0]]) for g in groups)
        metric = Metric(ACCURACY, "accuracy") if data.classify else Metric(R2, "R²")
        spec = sweep.spec
        n_params = tuple(n_parameters(MLP(data.n_in, data.n_out, v.model)) for v in sweep.variants)
        info = SweepInfo(sweep.setting, spec.label, sweep.labels, sweep.values, groups, n_params, spec.log_scale,
                         data.info())
        self.emit(RunStarted(devices.describe(self.device), max(n_params), None, total, metric, info))
        for number, group in enumerate(groups):
            batch = batch if number == 0 else self._batch(group, data)
            if not self._train(batch):
                self.end_all("stopped", "The sweep was stopped before this variant's turn.")
                self.emit(RunFinished("stopped", self.step, time.perf_counter() - self.t0))
                return
        self.emit(RunFinished("completed", self.step, time.perf_counter() - self.t0))

    def _batch(self, group: tuple[int, ...], data: _Data) -> _Batch:
        self.batch = _Batch([self.sweep.variants[i] for i in group], list(group), data, self.device)
        return self.batch

    def _train(self, batch: _Batch) -> bool:
        """Train one group of variants to its end; False when the sweep was stopped."""
        last_full = -math.inf
        for epoch in range(1, batch.epochs + 1):
            batch.new_order()
            block: list[torch.Tensor] = []
            for start in range(0, batch.data.n_train, batch.size):
                command = self.control.wait()
                if command is Command.STOP:
                    self._flush(batch, block, epoch)
                    self._end(batch, "stopped")
                    return False
                block.append(batch.step(start))
                self.step += 1
                last = start + batch.size >= batch.data.n_train
                if last or command is Command.STEP or len(block) >= BLOCK_STEPS:
                    self._flush(batch, block, epoch)
                    block = []
                if batch.ids and (last or command is Command.STEP):
                    full = (command is Command.STEP or (last and epoch == batch.epochs)
                            or time.perf_counter() - last_full >= VIEW_INTERVAL_S)
                    self._evaluate(batch, epoch, full)
                    last_full = time.perf_counter() if full else last_full
                if not batch.ids:
                    return True  # every model of the group diverged
        self._end(batch, "completed")
        return True

    def _flush(self, batch: _Batch, block: list[torch.Tensor], epoch: int) -> None:
        """Read a block of steps' losses (one transfer), send them, and end the variants that diverged."""
        if not block:
            return
        rows = torch.stack(block).tolist()  # (n steps, K)
        n, first = len(rows), batch.t - len(rows) + 1
        for i, row in enumerate(rows):  # the sweep's own steps: progress, rate, the server's time limit
            finite = [loss for loss in row if math.isfinite(loss)]
            if finite:
                self.emit(StepEnded(self.step - n + 1 + i, None, sum(finite) / len(finite)))
        diverged = []
        for j, vid in enumerate(batch.ids):
            kept, end = [], None
            for i, loss in enumerate(row[j] for row in rows):
                self.first.setdefault(vid, loss)
                if math.isfinite(loss):
                    kept.append(loss)
                if step_diverged(loss, self.first[vid], batch.size):  # the rule of playground.loop.fit
                    end = (loss, first + i)
                    break
            if kept:
                self.emit(VariantSteps(vid, first, epoch, np.array(kept)))
            if end is not None:
                self._diverged(batch, vid, *end)
                diverged.append(j)
        batch.drop(diverged)

    def _diverged(self, batch: _Batch, vid: int, loss: float, step: int) -> None:
        message = divergence_message(loss, step, batch.configs[vid].training)
        self.emit(VariantEnded(vid, "diverged", message, step))
        self.ended.add(vid)

    def _evaluate(self, batch: _Batch, epoch: int, full: bool) -> None:
        diverged = []
        for j, (vid, r) in enumerate(zip(batch.ids, batch.evaluate(full), strict=True)):
            ev = EvalEnded(batch.t, epoch, *r[:4], views=r[4])
            if is_diverged(ev.train_loss, self.first[vid]):  # as playground.loop.emit_evaluation
                self._diverged(batch, vid, ev.train_loss, ev.step)
                diverged.append(j)
            else:
                self.emit(VariantEvaluated(vid, ev))
        batch.drop(diverged)

    def _end(self, batch: _Batch, status: str) -> None:
        for vid in batch.ids:
            self.emit(VariantEnded(vid, status, "", batch.t))
            self.ended.add(vid)

    def end_all(self, status: str, message: str) -> None:
        """End every variant not ended yet (a stopped or failed sweep)."""
        for vid in range(len(self.sweep.values)):
            if vid not in self.ended:
                steps = self.batch.t if self.batch is not None and vid in self.batch.ids else 0
                self.emit(VariantEnded(vid, status, message, steps))
                self.ended.add(vid)
