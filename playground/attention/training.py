"""The Transformer trainer: builds task and model from a `AttentionRunConfig`, trains, emits plain events.

An `AttentionRunner` driven by the one training loop (playground.loop.fit): it runs in the caller's thread,
talks only through `emit` and a `Control`, never raises, and ends with exactly one RunFinished or RunFailed.
Generated data has no epochs, so runs are counted in steps (every event's `epoch` is None).
At each evaluation the trainer scores a fixed sample of the training stream and the held-out set in
eval mode without gradients, and sends the probe's attention and prediction as numpy arrays; the UI
never sees the live model. It does not set torch's thread count: the job runner does.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from playground import devices
from playground.attention import stages, tasks
from playground.attention.config import AttentionRunConfig
from playground.attention.model import Transformer
from playground.attention.views import AttentionRunInfo, AttentionViews
from playground.config import early_stopping_on
from playground.control import Control
from playground.events import ACCURACY, EvalEnded, Metric, RunStarted, SettingChanged
from playground.loop import Emit, fit
from playground.torchkit import make_optimizer, n_parameters, seeded_model, set_hyperparameter, weights_copy

N_TRAIN_EVAL = 256  # training-stream sequences scored at each evaluation (a fixed sample; at most the held-out count)
EVAL_CHUNK = 128  # sequences per forward pass at evaluation, to bound attention memory
MIN_EVAL_CHUNK = 16  # ... but no fewer than this, nor more than the batch: evaluating needs no more than a step
STATE_INTERVAL_S = 0.5  # weight copies at most this often (and after a single step, and at the end)
VALIDATION_SEED = 3  # the validation sample's generator: np.random.default_rng([seed, 3]) (training 0, held-out 1)
MIN_VALIDATION, MAX_VALIDATION = 32, 2048  # sequences in the validation sample


def validation_size(config: AttentionRunConfig) -> int:
    """Sequences in the validation sample early stopping watches: `validation_fraction` of the sequences trained on
    between two evaluations (batch_size x eval_every), within MIN_VALIDATION and MAX_VALIDATION. The training
    stream has no fixed set of rows to take a share of, so the share is of what one evaluation's block trains on."""
    t = config.training
    return min(MAX_VALIDATION, max(MIN_VALIDATION, round(t.validation_fraction * t.batch_size * t.eval_every)))


def build_model(config: AttentionRunConfig) -> Transformer:
    """The Transformer for a config's task: encoder or causal form, "tag" or "cls" head (not seeded)."""
    s = tasks.spec(config.task)
    head = "cls" if s.kind == "classify" else "tag"
    return Transformer(len(s.vocab), len(s.outputs), config.model, causal=s.kind == "lm", head=head,
                       pad_id=s.pad_id)


def eval_chunk(batch_size: int) -> int:
    """Sequences per forward pass at evaluation: the batch size, within MIN_EVAL_CHUNK and EVAL_CHUNK, so that a
    run whose training step fits the server's memory budget (playground.memory) also fits when it evaluates."""
    return min(EVAL_CHUNK, max(MIN_EVAL_CHUNK, batch_size))


def loss_and_accuracy(logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy (nats per scored token) and accuracy over targets that are not IGNORE.

    logits (B, T, C) with targets (B, T), or logits (B, C) with targets (B,).
    """
    flat, t = logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)
    scored = t != tasks.IGNORE
    loss = F.cross_entropy(flat, t, ignore_index=tasks.IGNORE)
    return loss, (flat.argmax(-1)[scored] == t[scored]).float().mean()


def train(config: AttentionRunConfig, emit: Emit, control: Control | None = None) -> None:
    """Train a tiny Transformer as `config` says, reporting through `emit` (see playground.loop.fit).

    Emits RunStarted (info: an AttentionRunInfo; the held-out split is "validation"), an EvalEnded of the
    untrained model, a StepEnded per step, an EvalEnded every `eval_every` steps, after a single step
    (Command.STEP) and at the end, then exactly one RunFinished ("completed" / "stopped") or RunFailed
    ("diverged" / "failed"). EvalEnded.views: the probe's AttentionViews. Deterministic on CPU for a given
    config, except that dropout draws from torch's global RNG.
    """
    fit(AttentionRunner(config), emit, control)


class AttentionRunner:
    """The model, optimizer, training stream and fixed evaluation data of one run (a `playground.loop.Runner`)."""

    full_every_s = STATE_INTERVAL_S  # the views (attention of one probe) are cheap: only the weights wait
    evaluates_untrained = True  # the replay starts from noise
    epoch_settings = frozenset()  # no epochs: every change applies at the next step

    def __init__(self, config: AttentionRunConfig) -> None:
        self.config, self.training = config, config.training
        self.batch_size = config.training.batch_size

    def start(self) -> RunStarted:
        config = self.config
        self.device = device = devices.resolve(config.training.device)
        self.spec = tasks.spec(config.task)
        self.model = seeded_model(config.training.seed, lambda: build_model(config)).to(device)
        self.optimizer = make_optimizer(config.training, self.model.parameters())
        self.rng = tasks.train_rng(config.task)
        self.held_out = [t.to(device) for t in tasks.held_out(config.task)]
        n_train = min(N_TRAIN_EVAL, len(self.held_out[0]))
        sample = tasks.make_batch(config.task, n_train, np.random.default_rng([config.task.seed, 2]))
        self.train_eval = [t.to(device) for t in sample]
        self.validation = None
        if early_stopping_on(config.training):  # drawn from the training examples' distribution, never held out
            rng = np.random.default_rng([config.task.seed, VALIDATION_SEED])
            self.validation = [t.to(device) for t in tasks.make_batch(config.task, validation_size(config), rng)]
        self.probe = tasks.probe(config.task)
        self.mirrored = tasks.task_of(config.task).mirrored
        return self._started()

    def _started(self) -> RunStarted:
        c, s, p = self.config, self.spec, self.probe
        outputs = [tasks.display(o) for o in s.outputs]
        info = AttentionRunInfo(c.task.task, s.kind, p.tokens, p.targets, c.model.n_layers, c.model.n_heads, outputs,
                                len(self.held_out[0]), tasks.task_of(c.task).note, c.model.d_model, s.vocab.tokens,
                                tuple(s.outputs))
        n, metric = c.training.steps, Metric(ACCURACY, s.metric_name)
        validation = "" if self.validation is None else (
            f"{len(self.validation[0]):,} sequences drawn from the training examples, apart from the held-out set")
        return RunStarted(devices.describe(self.device), n_parameters(self.model), None, n, metric, info,
                          held_out="validation", validation=validation)

    def batches(self) -> Iterator[tuple[None, tasks.Batch, bool]]:
        """A fresh batch of the training stream per step; an evaluation every `eval_every` steps and at the end."""
        t = self.config.training
        for step in range(1, t.steps + 1):  # batch_size read at each step: a change applies at the next one
            yield None, tasks.make_batch(self.config.task, self.batch_size, self.rng), step % t.eval_every == 0 or \
                step == t.steps

    def apply(self, name: str, value: Any, step: int, epoch: None) -> SettingChanged:
        """Change a setting of the running job from the next step (see playground.loop.Runner.apply): the learning
        rate or weight decay in the optimizer's parameter groups, or the sequences of the next batches."""
        old = getattr(self.training, name)
        self.training = dataclasses.replace(self.training, **{name: value})  # the divergence message names it
        if name == "batch_size":
            self.batch_size = value
        else:
            set_hyperparameter(self.optimizer, name, value)
        return SettingChanged(step, None, name, old, value)

    def step(self, batch: tasks.Batch) -> float:
        """One optimizer step on `batch`; returns the batch loss before the update."""
        x, y = batch.inputs.to(self.device), batch.targets.to(self.device)
        self.optimizer.zero_grad(set_to_none=True)
        loss, _ = loss_and_accuracy(self.model(x), y)
        value = loss.item()
        if math.isfinite(value):
            loss.backward()
            self.optimizer.step()
        return value

    def _score(self, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
        """Loss and accuracy over all scored targets, in chunks (weighted by scored count)."""
        sums = np.zeros(3)  # loss * n, correct, n
        chunk = eval_chunk(self.config.training.batch_size)
        for i in range(0, len(x), chunk):
            yc = y[i : i + chunk]
            n = (yc != tasks.IGNORE).sum().item()
            loss, acc = loss_and_accuracy(self.model(x[i : i + chunk]), yc)
            sums += (loss.item() * n, acc.item() * n, n)
        return sums[0] / sums[2], sums[1] / sums[2]

    @torch.no_grad()
    def evaluate(self, step: int, epoch: None, full: bool) -> EvalEnded:
        """Loss and accuracy on a fixed sample of the training stream and on the held-out set, and the probe's
        views; with the weights when `full`."""
        self.model.eval()
        train_loss, train_acc = self._score(*self.train_eval)
        test_loss, test_acc = self._score(*self.held_out)
        val = self._score(*self.validation) if self.validation is not None else (None, None)
        views = probe_views(self.model, self.spec, self.probe.inputs.to(self.device), self.mirrored)
        state = weights_copy(self.model) if full else None
        self.model.train()  # back to training mode once here, not in every step (it walks every module)
        return EvalEnded(step, epoch, train_loss, test_loss, train_acc, test_acc, views, state, None, *val)


@torch.no_grad()
def probe_views(
    model: Transformer, spec: tasks.TaskSpec, inputs: torch.Tensor, mirrored: bool = False
) -> AttentionViews:
    """The model on one (1, T) input: attention (n_layers, n_heads, T, T) float32, prediction, confidence, output
    distribution, the stages of attention (raw scores, head outputs, mask) and each head's statistics (with the
    "mirror" share when `mirrored`)."""
    model.eval()
    logits, layers = model(inputs, return_stages=True)
    probs = logits[0].float().softmax(-1)  # (T, C), or (C,) for a "cls" head
    top = probs.max(-1)
    labels = [tasks.display(spec.outputs[int(i)]) for i in top.indices.reshape(-1)]
    confidence = probs if spec.kind == "classify" else top.values
    attention = torch.stack([s.weights[0] for s in layers]).float().cpu().numpy()  # (L, H, T, T)
    mask = model.mask(inputs)
    names = stages.patterns(mirrored)
    return AttentionViews(
        attention, np.array(labels), confidence.cpu().numpy().astype(np.float32),
        scores=torch.stack([s.scores[0] for s in layers]).float().cpu().numpy(),  # (L, H, T, T)
        head_outputs=torch.stack([s.out[0] for s in layers]).float().cpu().numpy(),  # (L, H, T, d_k)
        mask=None if mask is None else mask[0, 0].cpu().numpy(),  # (T, T)
        distribution=probs.cpu().numpy().astype(np.float32),
        patterns=names, entropy=stages.entropy(attention).astype(np.float32),
        shares=stages.shares(attention, names).astype(np.float32),
    )
