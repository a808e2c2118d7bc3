"""The Transformer trainer: builds task and model from a `SequenceRunConfig`, trains, emits plain events.

Same contract as `training.train`: runs in the caller's thread, talks only through `emit` and a
`Control`, never raises, and ends with exactly one RunFinished or RunFailed. Generated data has no
epochs, so runs are counted in steps (every event's `epoch` is 1 and `steps_per_epoch` is the total).
At each evaluation the trainer scores a fixed sample of the training stream and the held-out set in
eval mode without gradients, and sends the probe's attention and prediction as numpy arrays; the UI
never sees the live model. It does not set torch's thread count: the job runner does.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from playground import devices, tasks
from playground.config import SequenceRunConfig
from playground.control import Control, Go
from playground.events import EvalEnded, Event, RunFinished, RunStarted, StepEnded
from playground.models.mlp import n_parameters
from playground.models.transformer import Transformer
from playground.training import (
    diverged_event,
    emit_evaluation,
    failure_event,
    make_optimizer,
    seeded_model,
    step_diverged,
    weights_copy,
)

N_TRAIN_EVAL = 256  # training-stream sequences scored at each evaluation (a fixed sample; at most the held-out count)
EVAL_CHUNK = 128  # sequences per forward pass at evaluation, to bound attention memory
MIN_EVAL_CHUNK = 16  # ... but no fewer than this, nor more than the batch: evaluating needs no more than a step
STATE_INTERVAL_S = 0.5  # weight copies at most this often (and after a single step, and at the end)


def build_model(config: SequenceRunConfig) -> Transformer:
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


def train_sequence(config: SequenceRunConfig, emit: Callable[[Event], None], control: Control | None = None) -> None:
    """Train a tiny Transformer as `config` says, reporting through `emit`.

    Emits RunStarted (info: task, probe_tokens, probe_targets, n_layers, n_heads, outputs, notes),
    a StepEnded per step, an EvalEnded every `eval_every` steps, after a single step (Go.STEP) and at
    the end, then exactly one RunFinished ("completed" / "stopped") or RunFailed ("diverged" /
    "failed"). EvalEnded.views: "attention" (n_layers, n_heads, T, T) float32 for the probe,
    "probe_prediction" (T,) str per position (one label for sentiment) and "probe_probabilities"
    (T,) float32 confidence per position (class probabilities for sentiment). Deterministic on CPU
    for a given config, except that dropout draws from torch's global RNG.
    """
    control = control or Control()
    t0 = time.perf_counter()
    step = 0
    cfg = config.training
    try:
        runner = _Runner(config, devices.resolve(cfg.device))
        emit(runner.started())
        emit(runner.evaluate(0, False))  # the untrained model: the replay starts from noise
        last_state = -math.inf
        first_loss = math.nan
        for step in range(1, cfg.steps + 1):
            go = control.wait()
            if go is Go.STOP:
                emit(RunFinished("stopped", step - 1, time.perf_counter() - t0))
                return
            loss = runner.step()
            first_loss = loss if step == 1 else first_loss
            if math.isfinite(loss):  # a blown-up loss is still drawn; NaN and infinity are not
                emit(StepEnded(step, 1, loss))
            if step_diverged(loss, first_loss, cfg.batch_size):
                emit(diverged_event(loss, step, cfg, t0))
                return
            final = step == cfg.steps
            if go is Go.STEP or final or step % cfg.eval_every == 0:
                with_state = go is Go.STEP or final or time.perf_counter() - last_state >= STATE_INTERVAL_S
                ev = runner.evaluate(step, with_state)
                if with_state:
                    last_state = time.perf_counter()
                if not emit_evaluation(emit, ev, first_loss, cfg, t0):
                    return
        emit(RunFinished("completed", step, time.perf_counter() - t0))
    except Exception as e:  # errors are data: the page shows the message, never a traceback
        emit(failure_event(e, step, t0))


class _Runner:
    """The model, optimizer, training stream and fixed evaluation data of one run."""

    def __init__(self, config: SequenceRunConfig, device: torch.device) -> None:
        self.config, self.device = config, device
        self.spec = tasks.spec(config.task)
        self.model = seeded_model(config.training.seed, lambda: build_model(config)).to(device)
        self.optimizer = make_optimizer(config.training, self.model.parameters())
        self.rng = tasks.train_rng(config.task)
        self.held_out = [t.to(device) for t in tasks.held_out(config.task)]
        n_train = min(N_TRAIN_EVAL, len(self.held_out[0]))
        sample = tasks.make_batch(config.task, n_train, np.random.default_rng([config.task.seed, 2]))
        self.train_eval = [t.to(device) for t in sample]
        self.probe = tasks.probe(config.task)

    def started(self) -> RunStarted:
        c, s, p = self.config, self.spec, self.probe
        info = {
            "task": c.task.task, "kind": s.kind, "probe_tokens": p.tokens, "probe_targets": p.targets,
            "n_layers": c.model.n_layers, "n_heads": c.model.n_heads, "outputs": [tasks.display(o) for o in s.outputs],
            "n_held_out": len(self.held_out[0]),
            "notes": "Token accuracy counts every scored position; key_value scores only the answer."
            if s.kind == "tag" else "",
        }
        n = c.training.steps
        return RunStarted(devices.describe(self.device), n_parameters(self.model), n, n, s.metric_name, info)

    def step(self) -> float:
        """One optimizer step on a fresh batch; returns the batch loss before the update."""
        batch = tasks.make_batch(self.config.task, self.config.training.batch_size, self.rng)
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
    def evaluate(self, step: int, with_state: bool) -> EvalEnded:
        self.model.eval()
        train_loss, train_acc = self._score(*self.train_eval)
        test_loss, test_acc = self._score(*self.held_out)
        views = probe_views(self.model, self.spec, self.probe.inputs.to(self.device))
        state = weights_copy(self.model) if with_state else None
        self.model.train()  # back to training mode once here, not in every step (it walks every module)
        return EvalEnded(step, 1, train_loss, test_loss, train_acc, test_acc, views, state)


@torch.no_grad()
def probe_views(model: Transformer, spec: tasks.TaskSpec, inputs: torch.Tensor) -> dict[str, np.ndarray]:
    """Attention (n_layers, n_heads, T, T) float32, prediction and confidence for one (1, T) input."""
    model.eval()
    logits, attention = model(inputs, return_attention=True)
    probs = logits[0].float().softmax(-1)  # (T, C), or (C,) for a "cls" head
    top = probs.max(-1)
    labels = [tasks.display(spec.outputs[int(i)]) for i in top.indices.reshape(-1)]
    confidence = probs if spec.kind == "classify" else top.values
    return {
        "attention": torch.stack([w[0] for w in attention]).float().cpu().numpy(),  # (L, H, T, T)
        "probe_prediction": np.array(labels),
        "probe_probabilities": confidence.cpu().numpy().astype(np.float32),
    }
