"""Sweeps: one setting of a run's config, 2 to 8 values, every variant trained in one job.

A `Sweep` is the base config, the setting's name and its values; each value gives a variant (a complete run
config, checked by the config itself). A playground offers sweeps by naming a module in playground.kinds
(`Kind.sweep_path`) with `SETTINGS` (name -> `Setting`) and `train_sweep(sweep, emit, control, **inputs)`.
Variants of a setting that keeps the model's shapes (`Setting.batched`: learning rate, weight decay, seed,
initialisation) train together as one batched model; the others train one after another, in the same job.

The job folds the sweep's events into a `SweepRunLog`: the usual RunStarted (its info a `SweepInfo`), StepEnded
per batched step (for progress, rate and the server's time limit) and one RunFinished or RunFailed for the
whole sweep, plus per variant `VariantSteps`, `VariantEvaluated` and `VariantEnded`. Its snapshot's `views` is
a frozen `SweepState`: every variant's curves, latest views and end. Knows no playground.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from playground.control import Control
from playground.events import EvalEnded, Event, RunStarted
from playground.runlog import RunLog, StepLog

MIN_VALUES, MAX_VALUES = 2, 8  # values of one sweep: a comparison needs two; eight curves stay readable
MAX_VARIANT_POINTS = 5_000  # training-loss points kept per variant (runlog.StepLog)


@dataclass(frozen=True)
class Setting:
    """One setting a playground lets a sweep vary."""

    name: str  # as the command line names it, e.g. "learning_rate"
    label: str  # as a page names it, e.g. "learning rate"
    parse: Callable[[str], Any]  # one value from its text; ValueError naming what is wrong
    apply: Callable[[Any, Any], Any]  # (run config, value) -> the variant's config; ValueError from the config
    batched: bool  # variants differing only in this setting keep the model's shapes: trained as one batch
    choices: tuple = ()  # the values a page offers (bounded), in order
    default: tuple = ()  # a page's first pick
    log_scale: bool = False  # the summary chart's value axis
    show: Callable[[Any], str] = lambda v: f"{v:g}" if isinstance(v, float) else str(v)  # a legend's label


def settings_for(config: Any) -> dict[str, Setting]:
    """The settings a sweep of `config` may vary. ValueError for a playground that offers no sweeps."""
    from playground import kinds  # the table of playgrounds imports this module's users

    kind = kinds.kind_of(config)
    module = kind.sweeps()
    if module is None:
        offered = " and ".join(k.title for k in kinds.KINDS if k.sweep_path)
        raise ValueError(f"Sweeps are offered in the {offered} only, not in the {kind.title}.")
    return module.SETTINGS


@dataclass(frozen=True)
class Sweep:
    """A base run config, the setting to vary and its values. Raises ValueError when the setting is unknown, the
    values are fewer than MIN_VALUES, more than MAX_VALUES or repeated, or a value is out of the config's bounds
    (the config's own message, naming the value)."""

    base: Any
    setting: str
    values: tuple

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))
        known = settings_for(self.base)
        if self.setting not in known:
            raise ValueError(f"Unknown sweep setting {self.setting!r}; choose from {', '.join(known)}.")
        n = len(self.values)
        if not MIN_VALUES <= n <= MAX_VALUES:
            raise ValueError(f"A sweep takes {MIN_VALUES} to {MAX_VALUES} values of {self.setting}; got {n}.")
        if len(set(self.values)) != n:
            raise ValueError(f"Each value of {self.setting} can be swept once.")
        _ = self.variants  # each variant's config checks its own bounds now

    @property
    def spec(self) -> Setting:
        return settings_for(self.base)[self.setting]

    @cached_property
    def variants(self) -> tuple[Any, ...]:
        """Each value's run config, in the values' order."""
        spec = settings_for(self.base)[self.setting]
        out = []
        for value in self.values:
            try:
                out.append(spec.apply(self.base, value))
            except ValueError as e:
                raise ValueError(f"{self.setting}={spec.show(value)}: {e}") from None
        return tuple(out)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.spec.show(v) for v in self.values)

    @property
    def groups(self) -> tuple[tuple[int, ...], ...]:
        """Variant indices trained together: all of them when the setting keeps the shapes, else one by one."""
        n = len(self.values)
        return (tuple(range(n)),) if self.spec.batched else tuple((i,) for i in range(n))


def parse(config: Any, text: str) -> Sweep:
    """A sweep of `config` from "KEY=V1,V2,..." (the command line's --sweep). ValueError naming what is wrong."""
    key, sep, raw = text.partition("=")
    if not sep or not raw.strip():
        raise ValueError(f"--sweep needs KEY=V1,V2,...; got {text!r}.")
    known = settings_for(config)
    key = key.strip()
    if key not in known:
        raise ValueError(f"Unknown sweep setting {key!r}; choose from {', '.join(known)}.")
    values = tuple(known[key].parse(v.strip()) for v in raw.split(","))
    return Sweep(config, key, values)


def memory_problem(sweep: Sweep, budget_mb: float, table: Any = None) -> str | None:
    """A message when the sweep's estimated peak memory is above `budget_mb`, else None.

    Each group of variants trained together holds all its models at once: its need is the sum of their
    estimates (playground.memory), the data counted once per model as an upper bound; the sweep's need is its
    largest group's.
    """
    from playground import memory

    needs = [sum(memory.estimate(sweep.variants[i], table).mb for i in group) for group in sweep.groups]
    need = max(needs)
    if need <= budget_mb:
        return None
    k = max(len(g) for g in sweep.groups)
    together = f"{k} models trained together" if k > 1 else "its largest model"
    return (f"This sweep would need about {need:,.0f} MB (estimated, {together}); this server's memory budget is "
            f"{budget_mb:,.0f} MB per run. Sweep fewer values or make the model smaller.")


def train(sweep: Sweep, emit: Callable[[Event], None], control: Control | None = None, **inputs: Any) -> None:
    """Train every variant of `sweep` with its playground's sweep trainer (a playground.jobs trainer)."""
    from playground import kinds

    kinds.kind_of(sweep.base).sweeps().train_sweep(sweep, emit, control or Control(), **inputs)


# --- events -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepInfo:
    """A sweep's RunStarted info: what each variant is."""

    setting: str  # the setting's name
    label: str  # the setting's label
    labels: tuple[str, ...]  # each variant's value, as shown
    values: tuple  # each variant's value
    groups: tuple[tuple[int, ...], ...]  # variants trained together
    n_params: tuple[int, ...]  # each variant's trainable parameters
    log_scale: bool  # the value axis of a summary chart
    run_info: Any = None  # the playground's run info (data points, class names), shared by every variant


@dataclass(frozen=True)
class VariantSteps:
    """Training losses of consecutive steps of one variant: its own steps `first_step` .. first_step + n - 1."""

    variant: int
    first_step: int
    epoch: int | None
    losses: np.ndarray  # (n,) mini-batch losses before each update


@dataclass(frozen=True)
class VariantEvaluated:
    variant: int
    evaluation: EvalEnded  # at the variant's own step; views are the playground's (e.g. a boundary grid)


@dataclass(frozen=True)
class VariantEnded:
    variant: int
    status: str  # completed, stopped, diverged, failed
    message: str
    steps: int


# --- the log and its snapshot -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VariantState:
    """One variant as a snapshot shows it. Arrays are copies."""

    label: str
    status: str  # waiting (its turn has not come), running, or how it ended
    message: str
    steps: int
    step_x: np.ndarray  # (n,) the variant's own optimizer steps
    step_loss: np.ndarray  # (n,)
    evals: tuple[EvalEnded, ...]  # without views
    views: Any  # its latest views, None before any

    @property
    def last(self) -> EvalEnded | None:
        return self.evals[-1] if self.evals else None

    def eval_series(self, name: str) -> np.ndarray:
        """One EvalEnded number over the evaluations, e.g. "test_metric": (n_evals,) float."""
        return np.array([getattr(e, name) for e in self.evals], dtype=float)


@dataclass(frozen=True)
class SweepState:
    """A sweep's snapshot `views`: every variant, in the values' order."""

    variants: tuple[VariantState, ...] = field(default=())


@dataclass
class _Variant:
    label: str
    steps: StepLog
    evals: list[EvalEnded] = field(default_factory=list)
    views: Any = None
    status: str = "waiting"
    message: str = ""
    n_steps: int = 0


class SweepRunLog(RunLog):
    """A RunLog that also folds a sweep's per-variant events. Its `views` is a frozen `SweepState`, rebuilt on
    read after a change. Not thread-safe (playground.jobs holds it under the job's lock)."""

    def __init__(self, t0: float) -> None:
        self._variants: list[_Variant] = []
        self._state: SweepState | None = SweepState()
        super().__init__(t0)

    @property
    def views(self) -> SweepState:
        if self._state is None:
            self._state = SweepState(tuple(_frozen(v) for v in self._variants))
        return self._state

    @views.setter
    def views(self, value: Any) -> None:  # RunLog sets it for plain evaluations, which a sweep does not send
        pass

    def add(self, event: Any, now: float) -> None:
        match event:
            case VariantSteps():
                v = self._variants[event.variant]
                for i, loss in enumerate(event.losses.tolist()):
                    v.steps.add(event.first_step + i, loss)
                v.n_steps, v.status = event.first_step + len(event.losses) - 1, "running"
            case VariantEvaluated():
                v = self._variants[event.variant]
                e = event.evaluation
                v.evals.append(EvalEnded(e.step, e.epoch, e.train_loss, e.test_loss, e.train_metric, e.test_metric))
                v.views, v.status = e.views if e.views is not None else v.views, "running"
            case VariantEnded():
                v = self._variants[event.variant]
                v.status, v.message, v.n_steps = event.status, event.message, event.steps
            case RunStarted(info=SweepInfo() as info):
                self._variants = [_Variant(label, StepLog(MAX_VARIANT_POINTS)) for label in info.labels]
                super().add(event, now)
            case _:
                super().add(event, now)
        self._state = None


def _frozen(v: _Variant) -> VariantState:
    x, y = v.steps.arrays()
    return VariantState(v.label, v.status, v.message, v.n_steps, x, y, tuple(v.evals), v.views)


# --- results ----------------------------------------------------------------------------------------------


def results(snap: Any) -> list[dict[str, Any]]:
    """Per variant of a sweep job's snapshot: its value, status, message, final metrics and steps (JSON-ready).
    Metric keys follow the run's metric kind: train_accuracy / test_accuracy, or train_r2 / test_r2."""
    info: SweepInfo = snap.started.info
    key = snap.started.metric.kind
    out = []
    for value, v in zip(info.values, snap.views.variants, strict=True):
        last = v.last
        out.append({"setting": info.setting, "value": value, "status": v.status, "message": v.message,
                    "train_loss": _number(last.train_loss) if last else None,
                    "test_loss": _number(last.test_loss) if last else None,
                    f"train_{key}": _number(last.train_metric) if last else None,
                    f"test_{key}": _number(last.test_metric) if last else None, "steps": v.steps})
    return out


def _number(x: float) -> float | None:
    return x if math.isfinite(x) else None


def run(sweep: Sweep, table: Any = None, progress: Callable[[Any], None] | None = None) -> Any:
    """Train `sweep` in a job (a background thread, as the app does) and return its final snapshot. `progress` is
    called with a snapshot about ten times a second. Stops the job on KeyboardInterrupt."""
    from playground.jobs import Job

    inputs = {"table": table} if table is not None else {}
    job = Job(sweep, trainer=train, log_type=SweepRunLog, **inputs).start()
    try:
        while job.alive:
            job.thread.join(0.1)
            if progress is not None:
                progress(job.snapshot())
    except KeyboardInterrupt:
        job.stop(join_timeout=10)
    return job.snapshot()
