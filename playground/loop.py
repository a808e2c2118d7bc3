"""The one training loop, `fit`, over a small `Runner` protocol, and its rules: divergence, errors as data.

`fit` runs in whatever thread calls it (a job's background thread, or the command line) and talks to the
outside only through `emit` and a `Control`: it never raises, and it ends every run with exactly one
RunFinished ("completed" / "stopped") or RunFailed ("diverged" / "failed"). A playground supplies a Runner
(its model, optimizer and data) and a `train(config, emit, control, **inputs)` that calls `fit` with it.

The loop does per step only what every run needs: wait on the control, one optimizer step, one StepEnded,
the divergence test. Between steps it applies the setting changes the control holds (playground.steering) through
`Runner.apply`, each marked by a SettingChanged; after each evaluation, early stopping
(playground.early_stopping) may end the run. Evaluations come when the runner's batches say so (end of an epoch, every
`eval_every` steps), after a single step, and at the end; an evaluation is "full" (charts' views and a copy
of the weights, the costly part) at most every `Runner.full_every_s` seconds, and always after a single
step and at the end.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import torch

from playground.config import OPTIMIZER_LABELS
from playground.control import Command, Control
from playground.early_stopping import EarlyStopping
from playground.events import EvalEnded, Event, RunFailed, RunFinished, RunStarted, SettingChanged, StepEnded

Emit = Callable[[Event], None]


class Runner(Protocol):
    """One run's model, optimizer and data, as `fit` drives them. Built cheaply; `start` does the work."""

    training: Any  # the config's training part: its learning_rate and optimizer name a divergence's cause
    batch_size: int  # examples per step, once started (the divergence rule is laxer for small batches)
    full_every_s: float  # the least seconds between two full evaluations
    evaluates_untrained: bool  # evaluate once before the first step (a replay then starts from noise)
    epoch_settings: frozenset[str]  # settings a change of which waits for the end of an epoch (an evaluation step
    # of a run counted in epochs); the others apply at the next step
    model: torch.nn.Module  # once started: what early stopping keeps and restores the best weights of

    def start(self) -> RunStarted:
        """Build data, model and optimizer; the run's first event. May raise: the run fails with the message."""
        ...

    def batches(self) -> Iterator[tuple[int | None, Any, bool]]:
        """(epoch, batch, evaluate after this step) for every step of the run; epoch is None for a run counted
        in steps only."""
        ...

    def step(self, batch: Any) -> float:
        """One optimizer step on `batch`; the batch loss before the update (the update is skipped when the
        loss is not finite)."""
        ...

    def evaluate(self, step: int, epoch: int | None, full: bool) -> EvalEnded:
        """Score both splits in eval mode without gradients; `full` adds the charts' views and the weights. With
        early stopping on, the validation split too (EvalEnded.val_loss, val_metric)."""
        ...

    def apply(self, name: str, value: Any, step: int, epoch: int | None) -> SettingChanged:
        """Set `name` (one of playground.steering.STEERABLE) to `value` from the next step (or, for a name in
        `epoch_settings`, from the next epoch, as the loop calls it at an epoch's end); `step` steps are done, the
        last in `epoch`. The event that marks it."""
        ...


def fit(runner: Runner, emit: Emit, control: Control | None = None) -> None:
    """Train with `runner`, reporting through `emit`, as the module docstring says. Never raises."""
    control = control or Control()
    t0 = time.perf_counter()
    step, first_loss, last_full, last_epoch, epoch_end = 0, math.nan, -math.inf, None, True
    stopper = EarlyStopping.of(runner.training)
    try:
        total_steps = _start(runner, emit)
        batches = iter(runner.batches())
        while step < total_steps:  # wait before the next batch is cut, so that a change made meanwhile applies to it
            command = control.wait()
            if command is Command.STOP:
                emit(finished("stopped", step, t0, stopper))
                return
            if control.has_changes:
                total_steps = apply_changes(runner, control, emit, step, last_epoch, epoch_end, total_steps)
            if (item := next(batches, None)) is None:
                break
            epoch, batch, due = item
            loss = runner.step(batch)
            step, last_epoch, epoch_end = step + 1, epoch, due and epoch is not None
            first_loss = loss if step == 1 else first_loss
            if math.isfinite(loss):  # a blown-up loss is still drawn; NaN and infinity are not
                emit(StepEnded(step, epoch, loss))
            if step_diverged(loss, first_loss, runner.batch_size):
                emit(diverged_event(loss, step, runner.training, t0))
                return
            if command is Command.STEP or due:
                late = time.perf_counter() - last_full >= runner.full_every_s
                full = command is Command.STEP or step == total_steps or late
                evaluation = runner.evaluate(step, epoch, full)
                if full:
                    last_full = time.perf_counter()
                if not emit_evaluation(emit, evaluation, first_loss, runner.training, t0):
                    return
                # the scheduled evaluations count (epochs, eval_every), as in Keras; a single step's do not
                if stopper is not None and due and (why := stopper.update(evaluation, runner.model)):
                    stop_early(runner, emit, stopper, why, evaluation, t0)
                    return
        emit(finished("completed", step, t0, stopper))
    except Exception as e:  # errors are data: the page shows the message, never a traceback
        emit(failure_event(e, step, t0))


def apply_changes(runner: Runner, control: Control, emit: Emit, step: int, epoch: int | None, epoch_end: bool,
                  total_steps: int) -> int:
    """Apply the setting changes due once `step` steps are done (the last in `epoch`), each with its
    SettingChanged; those of `runner.epoch_settings` only at an epoch's end (`epoch_end`, also before the first
    step). The run's total steps after them (a batch size changes an epoch's steps)."""
    held = frozenset() if epoch_end else runner.epoch_settings
    for name, value in control.take_changes(step, held):
        change = runner.apply(name, value, step, epoch)
        emit(change)
        total_steps = change.total_steps if change.total_steps is not None else total_steps
    return total_steps


def finished(status: str, step: int, t0: float, stopper: EarlyStopping | None) -> RunFinished:
    """The normal end of a run (`status` "completed" or "stopped"), with its best evaluation where early stopping
    watched one."""
    best = (stopper.best_step, stopper.best_epoch) if stopper is not None else (None, None)
    return RunFinished(status, step, time.perf_counter() - t0, False, *best)


def stop_early(runner: Runner, emit: Emit, stopper: EarlyStopping, why: str, last: EvalEnded, t0: float) -> None:
    """End a run that early stopping stopped after evaluation `last`: with the best evaluation's weights where they
    are to be restored, evaluated again (a full evaluation, so the views, the weights and the final metrics are
    those the run ends with), then a "completed" RunFinished that says why."""
    if stopper.restore(runner.model):
        emit(runner.evaluate(last.step, last.epoch, full=True))
        why += f" Restored the weights of step {stopper.best_step}."
    elif last.state is None:  # the weights the run ends with, for the page's inference and downloads
        emit(runner.evaluate(last.step, last.epoch, full=True))
    emit(RunFinished("completed", last.step, time.perf_counter() - t0, True, stopper.best_step, stopper.best_epoch,
                     why))


def _start(runner: Runner, emit: Emit) -> int:
    """Start the run (and evaluate the untrained model where the runner asks); its total steps."""
    started = runner.start()
    emit(started)
    if runner.evaluates_untrained:
        emit(runner.evaluate(0, None, full=False))
    return started.total_steps


DIVERGENCE_FACTOR = 100.0  # a batch loss this many times the first one counts as divergence
RATIO_MIN_BATCH = 16  # smaller batches are judged by the ratio rule on the whole training set only


def is_diverged(loss: float, first_loss: float) -> bool:
    """True for a non-finite loss, or one DIVERGENCE_FACTOR times the first step's loss (floored at 0.01).

    The ratio test is the usual learning-rate-finder rule (stop once the loss blows up far above where it
    started); here it catches runs whose weights explode and then stall at a finite but useless loss.
    """
    return not math.isfinite(loss) or loss > DIVERGENCE_FACTOR * max(first_loss, 0.01)


def step_diverged(loss: float, first_loss: float, batch_size: int) -> bool:
    """`is_diverged` for one mini-batch's loss. A batch of a few examples can legitimately cost 100x the
    first one (one confidently misclassified example: a cross-entropy of 100 with batch size 1), so below
    RATIO_MIN_BATCH examples only a non-finite loss ends the run here; the ratio rule still applies to
    each evaluation's loss over the whole training set (`emit_evaluation`)."""
    if batch_size < RATIO_MIN_BATCH:
        return not math.isfinite(loss)
    return is_diverged(loss, first_loss)


def divergence_message(loss: float, step: int, cfg) -> str:
    """What to tell a user whose run diverged: the loss, the step, and a learning rate to try (`cfg` is the run's
    training part)."""
    return (
        f"The loss reached {loss:.4g} at step {step}: training diverged. The learning rate "
        f"({cfg.learning_rate:g}) is probably too high for {OPTIMIZER_LABELS.get(cfg.optimizer, cfg.optimizer)}; "
        "try one 10 times smaller."
    )


def diverged_event(loss: float, step: int, cfg, t0: float) -> RunFailed:
    """The "diverged" end of a run at `step` whose loss reached `loss`; `t0` is the run's perf_counter start."""
    return RunFailed("diverged", divergence_message(loss, step, cfg), step, time.perf_counter() - t0)


def emit_evaluation(emit: Emit, ev: EvalEnded, first_loss: float, cfg, t0: float) -> bool:
    """Emit `ev`, or the "diverged" end instead when its training loss blew up. False: the run must end."""
    if is_diverged(ev.train_loss, first_loss):
        emit(diverged_event(ev.train_loss, ev.step, cfg, t0))
        return False
    emit(ev)
    return True


def failure_event(error: BaseException, step: int, t0: float) -> RunFailed:
    """The "failed" end of a run that raised `error`. A CUDA out-of-memory error also frees the cached
    GPU memory, so other jobs on the same GPU are not starved by this one's leftovers."""
    if isinstance(error, torch.cuda.OutOfMemoryError):
        torch.cuda.empty_cache()
        message = ("The GPU ran out of memory. Try a smaller model or batch size, or wait for other runs "
                   "on this server to finish.")
    else:
        message = f"{type(error).__name__}: {error}"
    return RunFailed("failed", message, step, time.perf_counter() - t0)
