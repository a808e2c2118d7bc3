"""The training loop's shared rules: divergence, errors as data, and the end of a run.

Both playgrounds' trainers talk to the outside only through `emit` and a `Control`, never raise, and end with
exactly one RunFinished or RunFailed; the helpers here build those ends.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch

from playground.config import OPTIMIZER_LABELS
from playground.events import EvalEnded, Event, RunFailed

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


def emit_evaluation(emit: Callable[[Event], None], ev: EvalEnded, first_loss: float, cfg, t0: float) -> bool:
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
