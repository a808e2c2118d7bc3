"""Training jobs: each run trains in its own background thread; the UI reads frozen snapshots.

A `Job` owns a thread, a `Control` (pause, resume, step, stop) and a lock-guarded log of the
trainer's events. The training thread only appends to the log; any other thread reads it through
`Job.snapshot()`, which returns an immutable copy. Jobs are started and owned through
`playground.registry`, which also caps how many train at once.
"""

from __future__ import annotations

import atexit
import dataclasses
import itertools
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch

from playground import executors, steering
from playground.control import Control
from playground.events import Event, FrameCaptured, RunFailed, RunFinished, RunStarted, StepEnded
from playground.executors import Executor, Placement, ThreadExecutor
from playground.memory import estimate
from playground.runlog import RunLog, Snapshot
from playground.settings import Limits
from playground.turns import Share

Trainer = Callable[..., None]  # train(config, emit, control, **inputs): see playground.loop.fit
_RUN_NUMBERS = itertools.count(1)


class Admission(Protocol):
    """Decides when a job may start training (see playground.registry.RunQueue)."""

    def enter(self, job: Job, returning: bool = False) -> bool: ...  # block until admitted; False if stopped first
    def leave(self, job: Job, trained_s: float | None = None) -> None: ...  # it ended
    def lend(self, job: Job) -> None: ...  # it gives its place up for a while (paused, its turn over), state kept
    def share(self, job: Job) -> Share | None: ...  # how it shares the places while runs take turns, else None
    def position(self, job: Job) -> int: ...  # 1-based place in the queue, 0 when not waiting
    def wait_s(self, job: Job) -> float | None: ...  # roughly the seconds until it gets a place


@dataclass(frozen=True)
class _Place:
    """A job's training place (playground.control.Place) from its admission: lent while paused."""

    admission: Admission
    job: Job

    def release(self) -> None:
        self.admission.lend(self.job)

    def take(self) -> bool:
        return self.admission.enter(self.job, returning=True)


class Job:
    """One training run in a background thread, over a `RunLog` of its events. Public methods are thread-safe.

    The thread runs the trainer (by default the one playground.kinds names for the config's type) with
    `_record` as its emit callback, through `executor` (playground.executors: in this thread by default, or in a
    Ray actor whose events the thread delivers); the server's limits stop the run from there. Any other thread
    reads a frozen `Snapshot`. `placement` says where it trained (None until it starts training).
    """

    def __init__(self, config: Any, trainer: Trainer | None = None, paused: bool = False,
                 admission: Admission | None = None, limits: Limits | None = None,
                 log_type: Callable[[float], RunLog] = RunLog, executor: Executor | None = None,
                 **inputs: Any) -> None:
        self.config = config  # the settings it started with
        self.settings = config  # ... with the changes asked for since (set_setting): what it trains with now
        self.run = next(_RUN_NUMBERS)
        self._admission = admission
        self.limits = limits
        self._note = ""  # why the job stopped itself at a limit
        self.control = Control(paused=paused, place=_Place(admission, self) if admission is not None else None)
        self._trainer = trainer or _trainer_for(config)
        self._inputs = inputs
        self.executor = executor or _THREADS
        self.placement: Placement | None = None
        self._lock = threading.Lock()
        self._evaluated = threading.Condition(self._lock)  # notified at each evaluation and at the end
        self._log = log_type(time.perf_counter())  # a sweep's job folds its variants too (playground.sweep)
        self.thread = threading.Thread(target=self._train, name="playground-job", daemon=True)

    def start(self) -> Job:
        _LIVE.add(self)
        self.thread.start()
        return self

    def _train(self) -> None:
        """The thread's body: wait for a place, run the trainer, and make sure the log ends."""
        torch.set_num_threads(1)  # measured: default intra-op threads in a non-main thread ran 2.6x slower
        refused = self.limits.memory_problem(self.config, self._inputs.get("table")) if self.limits else None
        if refused:  # the pages and the command line refuse it first; this is the last line, before any memory
            self._record(RunFailed("failed", refused, 0, 0.0))
            return
        if self._admission is not None and not self._admission.enter(self):
            self._record(RunFinished("stopped", 0, 0.0))  # stopped while still queued
            return
        try:
            self.executor.run(self._trainer, self.config, self._record, self.control, self._inputs, self._placed)
        except BaseException as e:  # a trainer should never raise; if it does, keep the app alive
            self._record(RunFailed("failed", f"{type(e).__name__}: {e}", self._log.step, self._elapsed()))
        finally:
            if self._admission is not None:
                self._admission.leave(self, self._elapsed() - self.control.waited_s if self._log.started else None)
        if self._log.end is None:
            self._record(RunFailed("failed", "The trainer ended without a result.", self._log.step, self._elapsed()))

    def _placed(self, placement: Placement) -> None:
        self.placement = placement

    def trains(self, config: Any, **inputs: Any) -> bool:
        """Whether this job trains `config` on `inputs` (the trainer's other arguments, e.g. an uploaded table:
        the same objects, not equal ones)."""
        return config == self.settings and inputs.keys() == self._inputs.keys() and all(
            inputs[k] is self._inputs[k] for k in inputs)

    def memory_mb(self) -> float:
        """The run's estimated peak memory in MB (playground.memory), 0.0 for a config no playground owns (a test's
        stand-in trainer). Arithmetic on the config: no model built."""
        try:
            return estimate(self.config, self._inputs.get("table")).mb
        except TypeError:
            return 0.0

    def _elapsed(self) -> float:
        return self._log.elapsed(time.perf_counter())

    def _training_s(self, now: float) -> float:
        """Seconds trained by `now`: from RunStarted, less the time the trainer waited paused (or between
        single steps). The server's time limit counts these, so a pause does not use it up."""
        return now - self._log.t0 - self.control.waited_s

    def time_left_s(self, typical_s: float | None = None) -> float | None:
        """Roughly the training seconds this job still needs: 0 once ended; its ETA while it trains, at most the
        time limit's seconds left; `typical_s` (at most the limit) or the limit when it has not trained yet or
        its rate is unknown; None when neither is known (no limit). Cheap: the queue asks it of every job."""
        with self._lock:
            if self._log.end is not None:
                return 0.0
            started, step, rate = self._log.started, self._log.step, self._log.rate_now()
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

    def _record(self, event: Event) -> None:
        """The emit callback: runs in the training thread."""
        now = time.perf_counter()
        with self._lock:
            if type(event) is StepEnded:  # once per optimizer step: the least work
                self._log.add_step(event, now)
                if self.limits is not None and not self._note and self._training_s(now) > self.limits.max_seconds:
                    self._note = f"Stopped at this server's limit of {self.limits.duration()} of training per run."
                    self.control.stop()
                return
            if type(event) is FrameCaptured:  # a few times a second: kept, and nobody waits for one
                self._log.frames.append(event)
                return
            if self.limits is not None:
                event = self._within_limits(event, now)
            self._log.add(event, now)
            self._evaluated.notify_all()  # an evaluation or the end: wake wait_first_evaluation

    def _within_limits(self, event: Event, now: float) -> Event:
        """Stop a run whose model is over the server's size limit (a note says so); a run refused before its
        first step ends failed with that note. (The time limit is checked at each step, in `_record`.)"""
        limits = self.limits
        match event:
            case RunStarted() if event.n_params > limits.max_params:
                self._note = (f"This model has {event.n_params:,} parameters; this server trains at most "
                              f"{limits.max_params:,}. Make it smaller (fewer or narrower layers).")
                self.control.stop()
            case RunFinished() | RunFailed() if self._note and self._log.step == 0 and self._log.end is None:
                return RunFailed("failed", self._note, 0, 0.0)
        return event

    def snapshot(self) -> Snapshot:
        """A frozen copy of the run now. Reading it marks the run watched (Control.watch): its trainer captures
        frames for the page while someone reads it."""
        self.control.watch()
        position = self._queue_position()  # before the lock: the queue's lock is never taken inside a job's
        share = self._admission.share(self) if self._admission is not None else None
        now = time.perf_counter()
        with self._lock:
            log = self._log
            status, message = self._status(position, share)
            rate = log.steps_per_second(self.control.waited_s, now)
            total = log.started.total_steps if log.started else 0
            eta = (total - log.step) / rate if rate > 0 and log.end is None and status == "running" else None
            limit_left = None
            if self.limits and log.started is not None and log.end is None:
                limit_left = max(0.0, self.limits.max_seconds - self._training_s(now))
            step_x, step_loss = log.steps.arrays()
            snap = Snapshot(
                status=status, message=message, config=self.config, started=log.started,
                step=log.step, epoch=log.epoch, elapsed_s=log.elapsed(now),
                steps_per_second=rate, eta_s=eta, limit_s_left=limit_left,
                step_x=step_x, step_loss=step_loss,
                evals=tuple(log.evals), views=log.views, state=log.state, history=tuple(log.history),
                queue_position=position if log.end is None else 0, run=self.run, changes=tuple(log.changes),
                share=share if log.end is None else None,
                end=log.end,
                clock=log.clock_array(), eval_s=np.array(log.eval_s),
                frames=tuple(log.frames),
            )
        if snap.queue_position:  # outside the lock: it asks the jobs ahead and training
            snap = dataclasses.replace(snap, queue_wait_s=self._admission.wait_s(self))
        return snap

    def _status(self, position: int, share: Share | None = None) -> tuple[str, str]:
        """(status, message) now, given the job's place in the queue and how it shares the server's places (a run
        that waits for its next turn is running, not waiting); the caller holds the lock."""
        end = self._log.end
        if end is not None:
            return end.status, getattr(end, "message", "") or self._note
        if self._log.started is None:
            return ("queued" if position else "starting"), ""
        if self.control.paused and not self.control.step_waits:  # a Step that waits for a place: waiting
            return "paused", ""
        return ("waiting" if self.control.lent and share is None else "running"), ""

    def _queue_position(self) -> int:
        return self._admission.position(self) if self._admission is not None else 0

    def wait_first_evaluation(self, timeout: float) -> bool:
        """Block up to `timeout` seconds until the run has a first evaluation or has ended; False on timeout
        or at once while the job waits in the queue. Lets a page that has just pressed Train draw the first
        points in the same script run instead of one refresh later."""
        deadline = time.perf_counter() + timeout
        with self._evaluated:
            while not self._log.evals and self._log.end is None:
                left = deadline - time.perf_counter()
                if left <= 0 or (self._log.started is None and self._queue_position()):
                    return False
                self._evaluated.wait(min(left, 0.05))  # wakes to notice a queue place
        return True

    def stop(self, join_timeout: float | None = None) -> bool:
        """Ask the run to stop at the next step boundary; optionally wait. True if the thread ended."""
        self.control.stop()
        if join_timeout is not None and self.thread.is_alive():
            self.thread.join(join_timeout)
        return not self.thread.is_alive()

    def set_setting(self, name: str, value: Any, after_step: int | None = None) -> None:
        """Change setting `name` (playground.steering.STEERABLE: learning_rate, weight_decay, batch_size) of this
        running job to `value`: from the next step, or the next epoch for a batch size in a run counted in epochs
        (the loop applies it; a SettingChanged marks it), or once `after_step` steps are done (a schedule). Checked
        as a new run's settings are (the config's bounds, the server's memory budget). Thread-safe.

        Raises ValueError, fit to show, for another setting, a value out of bounds, a run over the memory budget,
        or a run that has ended."""
        with self._lock:
            ended = self._log.end is not None
        if ended:
            raise ValueError("This run has ended; its settings apply when you press Train.")
        new = steering.changed_config(self.settings, name, value, self.limits, self._inputs.get("table"))
        self.settings = new
        self.control.change(name, getattr(new.training, name), after_step)

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
_THREADS = ThreadExecutor()


def stop_and_join(jobs: list[Job], timeout: float) -> None:
    """Ask every job to stop first, so they wind down together, then join them (`timeout` seconds in all)."""
    for job in jobs:
        job.control.stop()
    deadline = time.monotonic() + timeout
    for job in jobs:
        job.thread.join(max(0.0, deadline - time.monotonic()))


@atexit.register
def stop_all(timeout: float = 10.0) -> None:
    """Stop and join every started job. Runs at interpreter exit: a daemon thread still inside torch
    when the interpreter finalises aborts the process ("terminate called without an active exception").
    Then every worker of the shared executors (Ray actors) is stopped."""
    stop_and_join(list(_LIVE), timeout)
    executors.shutdown()


def _trainer_for(config: Any) -> Trainer:
    """The trainer of `config`'s playground, from the one table of playgrounds (imported here, on first use, so
    that this module stays free of any playground)."""
    from playground import kinds

    return kinds.trainer_for(config)
