"""The coach: rules that read a run's history and say, in plain words with the numbers, what went wrong and how
to fix it.

A rule is a pure function `RunHistory -> Diagnosis | None`. The rules both playgrounds share live here
(divergence, overfitting); a playground adds its own (the MLP's read its training health: mlp/coach.py) and
lists its rules in `playground.kinds` (`Kind.rules_path`). `diagnose(history)` runs the playground's rules in
order. A diagnosis may carry a fix: the run's config with the settings the message suggests, which a page loads
into its form.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.config import MAX_LEARNING_RATE, MIN_LEARNING_RATE
from playground.events import EvalEnded, Event, RunFailed, RunFinished

KINDS = ("diverged", "learning_rate_too_low", "overfitting", "dead_units", "vanishing_gradients",
         "exploding_gradients", "saturation")  # every diagnosis's kind, in the order the MLP's rules run

# Overfitting: the held-out loss ended at least OVERFIT_RISE times its best (and OVERFIT_MIN_RISE above it, so a
# loss that wobbles near zero is not called overfitting) while the training loss kept falling after that best.
OVERFIT_RISE = 2.0
OVERFIT_MIN_RISE = 0.1
MIN_EVALS = 5  # rules that read a trend need at least this many evaluations


@dataclass(frozen=True)
class Diagnosis:
    """One finding of the coach."""

    kind: str  # one of KINDS
    message: str  # plain language with the numbers that triggered it; user text in it is not escaped
    fix: Any = None  # the run's config with the suggested settings, or None where no setting fixes it
    fix_label: str = ""  # what applying the fix does, e.g. "Set the learning rate to 0.001"

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message}


@dataclass(frozen=True)
class RunHistory:
    """What the rules read: a run's config, how it ended, and its evaluations in order."""

    config: Any
    status: str  # a Snapshot's status: "completed", "diverged", "running", ...
    message: str  # a diverged or failed run's message
    step: np.ndarray  # (n,) the step of each evaluation
    epoch: np.ndarray  # (n,) its epoch, NaN for a run counted in steps
    train_loss: np.ndarray  # (n,)
    test_loss: np.ndarray  # (n,)
    health: tuple[Any, ...] = ()  # (n,) the playground's health at each evaluation, where it records one

    @classmethod
    def of(cls, config: Any, status: str, message: str, evals: Sequence[EvalEnded]) -> RunHistory:
        column = [[e.step, math.nan if e.epoch is None else e.epoch, e.train_loss, e.test_loss] for e in evals]
        table = np.array(column, dtype=float).reshape(-1, 4)
        health = tuple(e.health for e in evals) if evals and all(e.health is not None for e in evals) else ()
        return cls(config, status, message, *table.T, health=health)

    @classmethod
    def from_snapshot(cls, snap: Any) -> RunHistory:
        return cls.of(snap.config, snap.status, snap.message, snap.evals)

    @classmethod
    def from_events(cls, config: Any, events: Sequence[Event]) -> RunHistory:
        """From a trainer's events (a recording sink's), as a job's log would fold them."""
        ends = [e for e in events if isinstance(e, RunFinished | RunFailed)]
        status = ends[0].status if ends else "running"
        message = getattr(ends[0], "message", "") if ends else ""
        return cls.of(config, status, message, [e for e in events if isinstance(e, EvalEnded)])


Rule = Callable[[RunHistory], Diagnosis | None]


def with_training(config: Any, **changes: Any) -> Any:
    """`config` with its training part's fields changed."""
    return dataclasses.replace(config, training=dataclasses.replace(config.training, **changes))


def scaled_learning_rate(config: Any, factor: float) -> float:
    """The run's learning rate times `factor`, kept in the range the settings allow."""
    return min(max(config.training.learning_rate * factor, MIN_LEARNING_RATE), MAX_LEARNING_RATE)


def diverged(run: RunHistory) -> Diagnosis | None:
    """The run diverged (the loop's rule: a non-finite loss, or 100 times the first): its message, and a learning
    rate 10 times smaller."""
    if run.status != "diverged":
        return None
    rate = scaled_learning_rate(run.config, 0.1)
    return Diagnosis("diverged", run.message, with_training(run.config, learning_rate=rate),
                     f"Set the learning rate to {rate:g}")


def overfitting(run: RunHistory) -> Diagnosis | None:
    """The held-out loss rose to OVERFIT_RISE times its best while the training loss kept falling: the model
    learns the training points by heart. The fix stops training at the best evaluation's epoch (early stopping)."""
    if len(run.test_loss) < MIN_EVALS or not np.isfinite(run.test_loss).all():
        return None
    best = int(np.argmin(run.test_loss))
    low, last = run.test_loss[best], run.test_loss[-1]
    rose = last >= OVERFIT_RISE * low and last - low >= OVERFIT_MIN_RISE
    if not (rose and run.train_loss[-1] < run.train_loss[best]):
        return None
    when = f"epoch {run.epoch[best]:.0f}" if np.isfinite(run.epoch[best]) else f"step {run.step[best]:.0f}"
    message = (f"Overfitting: the test loss was lowest at {when} ({low:.3g}) and has risen since to {last:.3g}, "
               f"while the training loss kept falling ({run.train_loss[best]:.3g} to {run.train_loss[-1]:.3g}). "
               "The model is learning the training points by heart. Stop at the best epoch, or add weight decay, "
               "dropout or more data.")
    fix = fix_label = None
    if np.isfinite(run.epoch[best]):  # a run counted in epochs (its training part has `epochs`)
        epochs = int(run.epoch[best])
        fix, fix_label = with_training(run.config, epochs=epochs), f"Train for {epochs} epochs (early stopping)"
    return Diagnosis("overfitting", message, fix, fix_label or "")


COMMON_RULES: tuple[Rule, ...] = (diverged,)  # a playground without health rules (the attention playground)


def diagnose(run: RunHistory, rules: Sequence[Rule] | None = None) -> tuple[Diagnosis, ...]:
    """Every diagnosis the rules make of `run`, in the rules' order; `rules` defaults to the run's playground's
    (`kinds.Kind.rules`)."""
    if rules is None:
        from playground import kinds  # the table imports every playground's presets: only when used

        rules = kinds.kind_of(run.config).rules()
    return tuple(d for rule in rules if (d := rule(run)) is not None)
