"""A run's log, a pure fold of the events its trainer emits, and the frozen `Snapshot` of it the UI draws.

`RunLog.add(event, now)` is the only way in; it keeps the last step, a bounded history of the training loss
(`StepLog`), the evaluations, the latest views and weights, snapshots for replay (bounded in number and in
bytes), the step rate over a trailing window, and how the run ended. It knows nothing of threads, limits or
queues (playground.jobs holds one under a lock), so it is tested by feeding it events.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from playground.events import EvalEnded, Event, RunFailed, RunFinished, RunStarted, SettingChanged, StepEnded
from playground.turns import Share

MAX_STEP_POINTS = 20_000  # training-loss points kept; beyond this, neighbours are averaged in pairs (StepLog)
MAX_SNAPSHOTS = 120  # view snapshots kept for replay; beyond this, every other one is dropped
MAX_HISTORY_BYTES = 32 * 2**20  # and the arrays they hold: a Transformer's maps grow with n_layers * n_heads * T^2
RATE_WINDOW_S = 2.0  # steps per second are measured over this trailing window
CLOCK_EVERY_S = 0.1  # a (step, seconds) pair is kept at most this often: wall time for the charts' x axis
MAX_CLOCK_POINTS = 4000  # beyond this, every other pair is dropped (the clock stays as long as the run)


TERMINAL = ("completed", "stopped", "diverged", "failed")
_EVAL_FIELDS = ("step", "epoch", "train_loss", "test_loss", "train_metric", "test_metric", "val_loss",
                "val_metric")  # EvalEnded's numbers (NaN where there are none: no epoch, no validation split)


@dataclass(frozen=True)
class Snapshot:
    """An immutable copy of a job's state for the UI. Arrays are copies; never written to."""

    status: str  # queued, starting, running, paused, waiting (for a place after a pause), completed, stopped,
    # diverged, failed
    message: str  # for diverged / failed: what went wrong, fit to show a user
    config: Any
    started: RunStarted | None
    step: int
    epoch: int | None  # None for a run counted in steps only
    elapsed_s: float  # wall seconds from RunStarted (after data and model are built; from the job's creation
    # when it never started) to now or the end, paused time included
    steps_per_second: float  # over the last runlog.RATE_WINDOW_S while active; once ended, the steps taken over
    # elapsed_s less the time spent paused (as a bare loop counts: training time only)
    eta_s: float | None
    step_x: np.ndarray  # (n,) optimizer step of each recorded training loss
    step_loss: np.ndarray  # (n,)
    evals: tuple[EvalEnded, ...]  # per evaluation, without views or weights
    views: Any  # the latest evaluation's views (a playground's frozen views), None before any
    state: dict[str, np.ndarray] | None  # the latest copy of the weights
    history: tuple[tuple[int, Any], ...] = field(default=())  # (step, views) for replay
    queue_position: int = 0  # 1-based place in the queue while queued or waiting, else 0
    queue_wait_s: float | None = None  # while in the queue: roughly the seconds until a place (RunQueue.wait_s)
    limit_s_left: float | None = None  # while active under a server time limit: training seconds left
    run: int = 0  # this job's number, unique in the process: views of one run keep their zoom, a new run's not
    share: Share | None = None  # while active and runs take turns at the server's places: how this one shares them
    changes: tuple[SettingChanged, ...] = ()  # the settings changed while it trained, in the order applied
    end: RunFinished | RunFailed | None = None  # how it ended (early stopping's best evaluation), None while active
    clock: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # (k, 2) (step, seconds from RunStarted)
    # pairs, increasing, at most every CLOCK_EVERY_S: wall time at any step by interpolation (seconds_at)
    eval_s: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n_evals,) seconds from RunStarted to the end
    # of each evaluation

    def seconds_at(self, steps: np.ndarray) -> np.ndarray:
        """Wall seconds from RunStarted (pauses included) at each of `steps` ((n,) optimizer steps), interpolated
        linearly in the run's clock; (n,) float. Zeros when the run has no clock yet."""
        steps = np.asarray(steps, dtype=float)
        if len(self.clock) == 0:
            return np.zeros_like(steps)
        return np.interp(steps, self.clock[:, 0], self.clock[:, 1])

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


def array_bytes(obj: Any) -> int:
    """Bytes of the numpy arrays in `obj`: an array, or a dataclass, dict, tuple or list holding them, at any
    depth."""
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return sum(array_bytes(getattr(obj, f.name)) for f in dataclasses.fields(obj))
    if isinstance(obj, dict):
        obj = list(obj.values())
    if isinstance(obj, tuple | list):
        return sum(array_bytes(item) for item in obj)
    return 0


class RunLog:
    """The fold of one run's events. Not thread-safe: its owner serialises `add` and reads."""

    def __init__(self, t0: float) -> None:
        self.t0 = t0  # when the run counts from: creation, then RunStarted (perf_counter seconds)
        self.t_end: float | None = None
        self.started: RunStarted | None = None
        self.end: RunFinished | RunFailed | None = None
        self.step = 0
        self.epoch: int | None = None  # None for a run counted in steps only (and before RunStarted)
        self.steps = StepLog(MAX_STEP_POINTS)
        self.evals: list[EvalEnded] = []  # without views or weights (health kept: small, and the coach reads it)
        self.views: Any = None  # the latest evaluation's views (a playground's frozen views), if any
        self.state: dict[str, np.ndarray] | None = None  # the latest copy of the weights
        self.history: list[tuple[int, Any]] = []  # (step, views) for replay
        self._history_bytes: list[int] = []  # the array bytes each snapshot in `history` holds
        self._rate: deque[tuple[float, int]] = deque()
        self.changes: list[SettingChanged] = []  # settings changed while it trained (playground.steering)
        self.clock: list[tuple[int, float]] = []  # (step, seconds from t0), see Snapshot.clock
        self.eval_s: list[float] = []  # seconds from t0 to each evaluation

    def add(self, event: Event, now: float) -> None:
        """Fold `event`, which arrived at `now` (perf_counter seconds)."""
        match event:
            case StepEnded():
                self.add_step(event, now)
            case EvalEnded():
                self._evaluated(event)
                self.eval_s.append(now - self.t0)
            case RunStarted():
                self.started, self.t0 = event, now
                self.epoch = 0 if event.steps_per_epoch else None  # a run counted in epochs: none done yet
                self.clock = [(0, 0.0)]  # the clock counts from here, as elapsed_s does
            case SettingChanged():
                self.changes.append(event)
                if event.total_steps is not None and self.started is not None:  # a new batch size: new totals
                    self.started = dataclasses.replace(self.started, total_steps=event.total_steps,
                                                       steps_per_epoch=event.steps_per_epoch)
            case RunFinished() | RunFailed() if self.end is None:  # only the first end counts
                self._ended(event, now)

    def add_step(self, event: StepEnded, now: float) -> None:
        """Fold a StepEnded (the hot path: once per optimizer step)."""
        self.step, self.epoch = event.step, event.epoch
        self.steps.add(event.step, event.loss)
        self._rate.append((now, event.step))
        while now - self._rate[0][0] > RATE_WINDOW_S:
            self._rate.popleft()
        if not self.clock or now - self.t0 - self.clock[-1][1] >= CLOCK_EVERY_S:
            self.tick(event.step, now)

    def tick(self, step: int, now: float) -> None:
        """Keep (step, seconds) in the clock (a later step only), halving it past MAX_CLOCK_POINTS."""
        if self.clock and step <= self.clock[-1][0]:
            return
        self.clock.append((step, now - self.t0))
        if len(self.clock) > MAX_CLOCK_POINTS:
            self.clock = self.clock[::-2][::-1]  # every other one, newest kept

    def clock_array(self) -> np.ndarray:
        """The clock as a (k, 2) float array (Snapshot.clock)."""
        return np.array(self.clock, dtype=float).reshape(-1, 2)

    def _evaluated(self, event: EvalEnded) -> None:
        self.evals.append(EvalEnded(event.step, event.epoch, event.train_loss, event.test_loss,
                                    event.train_metric, event.test_metric, health=event.health,
                                    val_loss=event.val_loss, val_metric=event.val_metric))
        if event.views is not None:
            self.views = event.views
            self.history.append((event.step, event.views))
            self._history_bytes.append(array_bytes(event.views))
            while len(self.history) > 1 and (len(self.history) > MAX_SNAPSHOTS
                                             or sum(self._history_bytes) > MAX_HISTORY_BYTES):
                self.history = self.history[::-2][::-1]  # every other one, newest kept
                self._history_bytes = self._history_bytes[::-2][::-1]
        if event.state is not None:
            self.state = event.state

    def _ended(self, event: RunFinished | RunFailed, now: float) -> None:
        if self.started and event.steps > self.step:  # a diverging step's non-finite loss is not logged
            per_epoch = self.started.steps_per_epoch
            self.step = event.steps
            if per_epoch:
                self.epoch = max(self.epoch or 0, math.ceil(event.steps / per_epoch))
        self.end, self.t_end = event, now
        self.tick(self.step, now)

    def elapsed(self, now: float) -> float:
        """Seconds from `t0` to the end, or to `now` while the run goes on."""
        return (self.t_end or now) - self.t0

    def rate_now(self) -> float:
        """Steps per second over the trailing RATE_WINDOW_S; 0.0 when unknown."""
        if len(self._rate) < 2:
            return 0.0
        (t0, s0), (t1, s1) = self._rate[0], self._rate[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0

    def steps_per_second(self, waited_s: float, now: float) -> float:
        """Over the last RATE_WINDOW_S while the run goes on; once ended, the steps taken over the run's time less
        `waited_s` (paused: a bare loop counts training time only)."""
        if self.end is None:
            return self.rate_now()
        if self.started is None:
            return 0.0
        training_s = self.elapsed(now) - waited_s  # set-up and pauses are not training
        return self.end.steps / training_s if training_s > 0 else 0.0


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
