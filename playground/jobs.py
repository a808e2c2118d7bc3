"""Training jobs: each run trains in its own background thread; the UI reads frozen snapshots.

A `Job` owns a thread, a `Control` (pause, resume, step, stop) and a lock-guarded log of the
trainer's events. The training thread only appends to the log; any other thread reads it through
`Job.snapshot()`, which returns an immutable copy. Jobs are started and owned through
`playground.registry`, which also caps how many train at once.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import itertools
import math
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch

from playground.control import Control
from playground.events import EvalEnded, Event, RunFailed, RunFinished, RunStarted, StepEnded
from playground.limits import Limits

MAX_STEP_POINTS = 20_000  # training-loss points kept; beyond this, neighbours are averaged in pairs (StepLog)
MAX_SNAPSHOTS = 120  # view snapshots kept for replay; beyond this, every other one is dropped
RATE_WINDOW_S = 2.0  # steps per second are measured over this trailing window
TERMINAL = ("completed", "stopped", "diverged", "failed")
_EVAL_FIELDS = ("step", "epoch", "train_loss", "test_loss", "train_metric", "test_metric")  # EvalEnded's numbers


@dataclass(frozen=True)
class Snapshot:
    """An immutable copy of a job's state for the UI. Arrays are copies; never written to."""

    status: str  # queued, starting, running, paused, waiting (for a place after a pause), completed, stopped,
    # diverged, failed
    message: str  # for diverged / failed: what went wrong, fit to show a user
    config: Any
    started: RunStarted | None
    step: int
    epoch: int
    elapsed_s: float  # wall seconds from RunStarted (after data and model are built; from the job's creation
    # when it never started) to now or the end, paused time included
    steps_per_second: float  # over the last RATE_WINDOW_S while active; once ended, the steps taken over
    # elapsed_s less the time spent paused (as a bare loop counts: training time only)
    eta_s: float | None
    step_x: np.ndarray  # (n,) optimizer step of each recorded training loss
    step_loss: np.ndarray  # (n,)
    evals: tuple[EvalEnded, ...]  # per evaluation, without views or weights
    views: dict[str, np.ndarray]  # the latest evaluation's views
    state: dict[str, np.ndarray] | None  # the latest copy of the weights
    history: tuple[tuple[int, dict[str, np.ndarray]], ...] = field(default=())  # (step, views) for replay
    queue_position: int = 0  # 1-based place in the queue while queued or waiting, else 0
    queue_wait_s: float | None = None  # while in the queue: roughly the seconds until a place (RunQueue.wait_s)
    limit_s_left: float | None = None  # while active under a server time limit: training seconds left
    run: int = 0  # this job's number, unique in the process: views of one run keep their zoom, a new run's not

    @property
    def active(self) -> bool:
        return self.status not in TERMINAL

    @property
    def total_steps(self) -> int:
        return self.started.total_steps if self.started else 0

    def eval_series(self, name: str) -> np.ndarray:
        """One EvalEnded field over time, e.g. "test_loss", as a read-only float array (n_evals,). Raises
        ValueError for a name that is not one of EvalEnded's numbers (_EVAL_FIELDS)."""
        if name not in _EVAL_FIELDS:
            raise ValueError(f"No evaluation series {name!r}; there are {', '.join(_EVAL_FIELDS)}.")
        return self._eval_table[:, _EVAL_FIELDS.index(name)]

    @functools.cached_property
    def _eval_table(self) -> np.ndarray:
        """(n_evals, len(_EVAL_FIELDS)) float array, built once per snapshot: a page reads five series each
        refresh, and one pass over the evaluations costs a fifth of five."""
        table = np.array([[getattr(e, name) for name in _EVAL_FIELDS] for e in self.evals],
                         dtype=float).reshape(-1, len(_EVAL_FIELDS))
        table.flags.writeable = False  # shared by every series of this snapshot
        return table


class StepLog:
    """The training loss of every step, kept in at most `max_points` + 1 points. Not thread-safe.

    Each point is the mean step and mean loss of `stride` consecutive steps; when the points pass
    `max_points`, neighbours are averaged in pairs and the stride doubles, so every point stands for as
    many steps. Points live in preallocated float arrays, so adding a step allocates nothing and a copy
    for the UI is one memcpy (not a list of Python floats converted per refresh).
    """

    def __init__(self, max_points: int) -> None:
        if max_points < 1:
            raise ValueError(f"max_points must be at least 1; got {max_points}.")
        self._x, self._y = np.empty(max_points + 1), np.empty(max_points + 1)
        self._n = 0  # points in use
        self._stride = 1
        self._sum_x = self._sum_y = 0.0  # steps not yet averaged into a point
        self._pending = 0

    def add(self, step: int, loss: float) -> None:
        self._sum_x += step
        self._sum_y += loss
        self._pending += 1
        if self._pending < self._stride:
            return
        self._x[self._n], self._y[self._n] = self._sum_x / self._pending, self._sum_y / self._pending
        self._n += 1
        self._sum_x = self._sum_y = 0.0
        self._pending = 0
        if self._n == len(self._x):
            self._halve()

    def _halve(self) -> None:
        n, even = self._n, self._n // 2 * 2
        for a in (self._x, self._y):
            a[: even // 2] = (a[:even:2] + a[1:even:2]) / 2
            a[even // 2 : even // 2 + n - even] = a[even:n]  # an odd last point stays as it is
        self._n = even // 2 + n - even
        self._stride *= 2

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies (steps, losses), shape (n,) each, with the steps not yet averaged as a last point."""
        x, y = self._x[: self._n], self._y[: self._n]
        if not self._pending:
            return x.copy(), y.copy()
        return np.append(x, self._sum_x / self._pending), np.append(y, self._sum_y / self._pending)


Trainer = Callable[..., None]  # train(config, emit, control, **kwargs)
_RUN_NUMBERS = itertools.count(1)


class Admission(Protocol):
    """Decides when a job may start training (see playground.registry.RunQueue)."""

    def enter(self, job: Job, returning: bool = False) -> bool: ...  # block until admitted; False if stopped first
    def leave(self, job: Job, trained_s: float | None = None) -> None: ...
    def position(self, job: Job) -> int: ...  # 1-based place in the queue, 0 when not waiting
    def wait_s(self, job: Job) -> float | None: ...  # roughly the seconds until it gets a place


@dataclass(frozen=True)
class _Place:
    """A job's training place (playground.control.Place) from its admission: lent while paused."""

    admission: Admission
    job: Job

    def release(self) -> None:
        self.admission.leave(self.job)

    def take(self) -> bool:
        return self.admission.enter(self.job, returning=True)


def trainer_for(config: Any) -> Trainer:
    """The training function for a config type (imported lazily so the registry stays light)."""
    from playground.config import RunConfig

    if isinstance(config, RunConfig):
        from playground.training import train

        return train
    from playground.sequence_training import train_sequence

    return train_sequence


class Job:
    """One training run in a background thread. Public methods are thread-safe."""

    def __init__(self, config: Any, trainer: Trainer | None = None, paused: bool = False,
                 admission: Admission | None = None, limits: Limits | None = None, **kwargs: Any) -> None:
        self.config = config
        self.run = next(_RUN_NUMBERS)
        self._admission = admission
        self.limits = limits
        self._note = ""  # why the job stopped itself at a limit
        self.control = Control(paused=paused, place=_Place(admission, self) if admission is not None else None)
        self._trainer = trainer or trainer_for(config)
        self._kwargs = kwargs
        self._lock = threading.Lock()
        self._evaluated = threading.Condition(self._lock)  # notified at each evaluation and at the end
        self._t0 = time.perf_counter()
        self._t_end: float | None = None
        self._started: RunStarted | None = None
        self._end: RunFinished | RunFailed | None = None
        self._step = self._epoch = 0
        self._steps = StepLog(MAX_STEP_POINTS)
        self._evals: list[EvalEnded] = []
        self._views: dict[str, np.ndarray] = {}
        self._state: dict[str, np.ndarray] | None = None
        self._history: list[tuple[int, dict[str, np.ndarray]]] = []
        self._rate: deque[tuple[float, int]] = deque()
        self.thread = threading.Thread(target=self._run, name="playground-job", daemon=True)

    def start(self) -> Job:
        _LIVE.add(self)
        self.thread.start()
        return self

    def _run(self) -> None:
        torch.set_num_threads(1)  # measured: default intra-op threads in a non-main thread ran 2.6x slower
        refused = self.limits.memory_problem(self.config, self._kwargs.get("table")) if self.limits else None
        if refused:  # the pages and the command line refuse it first; this is the last line, before any memory
            self._append(RunFailed("failed", refused, 0, 0.0))
            return
        if self._admission is not None and not self._admission.enter(self):
            self._append(RunFinished("stopped", 0, 0.0))  # stopped while still queued
            return
        try:
            self._trainer(self.config, self._append, self.control, **self._kwargs)
        except BaseException as e:  # a trainer should never raise; if it does, keep the app alive
            self._append(RunFailed("failed", f"{type(e).__name__}: {e}", self._step, self._elapsed()))
        finally:
            if self._admission is not None:
                self._admission.leave(self, self._elapsed() - self.control.waited_s if self._started else None)
        if self._end is None:
            self._append(RunFailed("failed", "The trainer ended without a result.", self._step, self._elapsed()))

    def trains(self, config: Any, **inputs: Any) -> bool:
        """Whether this job trains `config` on `inputs` (the trainer's other arguments, e.g. an uploaded table:
        the same objects, not equal ones)."""
        return config == self.config and inputs.keys() == self._kwargs.keys() and all(
            inputs[k] is self._kwargs[k] for k in inputs)

    def _elapsed(self) -> float:
        return (self._t_end or time.perf_counter()) - self._t0

    def _training_s(self, now: float) -> float:
        """Seconds trained by `now`: from RunStarted, less the time the trainer waited paused (or between
        single steps). The server's time limit counts these, so a pause does not use it up."""
        return now - self._t0 - self.control.waited_s

    def _rate_now(self) -> float:
        """Steps per second over the trailing window; 0.0 when unknown. Under the lock."""
        if len(self._rate) < 2:
            return 0.0
        (t0, s0), (t1, s1) = self._rate[0], self._rate[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0

    def time_left_s(self, typical_s: float | None = None) -> float | None:
        """Roughly the training seconds this job still needs: 0 once ended; its ETA while it trains, at most the
        time limit's seconds left; `typical_s` (at most the limit) or the limit when it has not trained yet or
        its rate is unknown; None when neither is known (no limit). Cheap: the queue asks it of every job."""
        with self._lock:
            if self._end is not None:
                return 0.0
            started, step, rate = self._started, self._step, self._rate_now()
        if self.limits is None:
            limit = None
        elif started is None:
            limit = self.limits.max_seconds
        else:
            limit = max(0.0, self.limits.max_seconds - self._training_s(time.perf_counter()))
        guess = typical_s if started is None or rate <= 0 else (started.total_steps - step) / rate
        if guess is None or limit is None:
            return guess if guess is not None else limit
        return min(guess, limit)

    def _append(self, event: Event) -> None:
        """The emit callback: runs in the training thread."""
        now = time.perf_counter()
        with self._lock:
            if isinstance(event, StepEnded):
                self._step, self._epoch = event.step, event.epoch
                self._steps.add(event.step, event.loss)
                self._rate.append((now, event.step))
                while now - self._rate[0][0] > RATE_WINDOW_S:
                    self._rate.popleft()
                if self.limits and self._training_s(now) > self.limits.max_seconds and not self._note:
                    self._note = f"Stopped at this server's limit of {self.limits.duration()} of training per run."
                    self.control.stop()
            elif isinstance(event, EvalEnded):
                self._evals.append(EvalEnded(event.step, event.epoch, event.train_loss, event.test_loss,
                                             event.train_metric, event.test_metric))
                self._evaluated.notify_all()
                if event.views:
                    self._views = event.views
                    self._history.append((event.step, event.views))
                    if len(self._history) > MAX_SNAPSHOTS:
                        self._history = self._history[::-2][::-1]  # every other one, newest kept
                if event.state is not None:
                    self._state = event.state
            elif isinstance(event, RunStarted):
                self._started = event
                self._t0 = now
                if self.limits and event.n_params > self.limits.max_params:
                    self._note = (f"This model has {event.n_params:,} parameters; this server trains at most "
                                  f"{self.limits.max_params:,}. Make it smaller (fewer or narrower layers).")
                    self.control.stop()
            elif self._end is None:  # RunFinished / RunFailed: only the first one counts
                if self._note and self._step == 0:  # refused before its first step
                    event = RunFailed("failed", self._note, 0, 0.0)
                if self._started and event.steps > self._step:  # a diverging step's non-finite loss is not logged
                    per_epoch = max(self._started.steps_per_epoch, 1)
                    self._step, self._epoch = event.steps, max(self._epoch, math.ceil(event.steps / per_epoch))
                self._end = event
                self._t_end = now
                self._evaluated.notify_all()

    def snapshot(self) -> Snapshot:
        position = self._admission.position(self) if self._admission is not None else 0
        with self._lock:
            end, started = self._end, self._started
            if end is not None:
                status, message = end.status, getattr(end, "message", "") or self._note
            elif started is None:
                status, message = ("queued" if position else "starting"), ""
            elif self.control.paused and not self.control.step_waits:  # a Step that waits for a place: waiting
                status, message = "paused", ""
            else:
                status, message = ("waiting" if self.control.lent else "running"), ""
            rate = 0.0
            if end is None:
                rate = self._rate_now()
            elif started is not None:
                training_s = self._elapsed() - self.control.waited_s  # set-up and pauses are not training
                rate = end.steps / training_s if training_s > 0 else 0.0
            total = started.total_steps if started else 0
            eta = (total - self._step) / rate if rate > 0 and end is None and status == "running" else None
            limit_left = None
            if self.limits and started is not None and end is None:
                limit_left = max(0.0, self.limits.max_seconds - self._training_s(time.perf_counter()))
            step_x, step_loss = self._steps.arrays()
            snap = Snapshot(
                status=status, message=message, config=self.config, started=started,
                step=self._step, epoch=self._epoch, elapsed_s=self._elapsed(),
                steps_per_second=rate, eta_s=eta, limit_s_left=limit_left,
                step_x=step_x, step_loss=step_loss,
                evals=tuple(self._evals), views=self._views, state=self._state, history=tuple(self._history),
                queue_position=position if end is None else 0, run=self.run,
            )
        if snap.queue_position:  # outside the lock: it asks the jobs ahead and training
            snap = dataclasses.replace(snap, queue_wait_s=self._admission.wait_s(self))
        return snap

    def wait_first_evaluation(self, timeout: float) -> bool:
        """Block up to `timeout` seconds until the run has a first evaluation or has ended; False on timeout
        or at once while the job waits in the queue. Lets a page that has just pressed Train draw the first
        points in the same script run instead of one refresh later."""
        deadline = time.perf_counter() + timeout
        with self._evaluated:
            while not self._evals and self._end is None:
                left = deadline - time.perf_counter()
                queued = self._started is None and self._admission is not None and self._admission.position(self)
                if left <= 0 or queued:
                    return False
                self._evaluated.wait(min(left, 0.05))  # wakes to notice a queue place
        return True

    def stop(self, join_timeout: float | None = None) -> bool:
        """Ask the run to stop at the next step boundary; optionally wait. True if the thread ended."""
        self.control.stop()
        if join_timeout is not None and self.thread.is_alive():
            self.thread.join(join_timeout)
        return not self.thread.is_alive()

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def step(self) -> None:
        self.control.step()

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()


_LIVE: weakref.WeakSet[Job] = weakref.WeakSet()


@atexit.register
def stop_all(timeout: float = 10.0) -> None:
    """Stop and join every started job. Runs at interpreter exit: a daemon thread still inside torch
    when the interpreter finalises aborts the process ("terminate called without an active exception")."""
    jobs = list(_LIVE)
    for job in jobs:
        job.control.stop()
    deadline = time.monotonic() + timeout
    for job in jobs:
        job.thread.join(max(0.0, deadline - time.monotonic()))
