"""Cooperative run control: run, pause, single step and stop, checked by the trainer between steps.

The UI thread calls `pause`, `resume`, `step` and `stop`; the training thread calls `wait` before
every optimizer step. Nothing is interrupted inside torch: a stop takes effect at the next step
boundary. While paused, a trainer with a `Place` (a place among the jobs the server trains at once)
lends it to the queue and takes one again before its next step. All methods are thread-safe.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from enum import Enum
from typing import Protocol

WATCH_S = 2.0  # after someone looked at a run, its trainer captures frames this long (longer than a live refresh's gap)


class Command(Enum):
    """What `Control.wait` tells the trainer to do next."""

    RUN = "run"  # take the next step as usual
    STEP = "step"  # take exactly one step, then evaluate so the views show it
    STOP = "stop"  # end the run now


class Place(Protocol):
    """A training place held by the trainer (see playground.registry.RunQueue), called from its thread."""

    def release(self) -> None: ...  # lend it to the next job in line
    def take(self) -> bool: ...  # block until a place is free again; False if the run was stopped first


class Control:
    """A gate between optimizer steps.

    `place`, when given, is held from the start: `wait` releases it before it blocks paused and takes one again
    before it lets the next step (or single step) through, outside its own lock, so `stop` and the queue's
    callbacks never wait on a trainer that waits in the queue.
    """

    def __init__(self, paused: bool = False, place: Place | None = None) -> None:
        self._cond = threading.Condition()
        self._paused = paused
        self._stopped = False
        self._permits = 0
        self._on_stop: list[Callable[[], None]] = []
        self._waited_s = 0.0
        self._blocked_since: float | None = None  # while the trainer is inside the slow path of `wait`
        self.place = place
        self._holding = True  # whether the trainer holds its place (always, without one)
        self._taking_step = False  # whether the trainer waits in the queue for a place to take a single step
        # perf_counter time until which someone watches the run, so its trainer captures frames (loop.FrameClock);
        # a float written and read whole (atomic in CPython), so no lock: a read a moment stale costs one frame
        self.watched_until = -math.inf

    def watch(self, seconds: float = WATCH_S) -> None:
        """Someone looks at the run now: the trainer captures frames for `seconds` more (math.inf: always)."""
        self.watched_until = time.perf_counter() + seconds

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def stopped(self) -> bool:
        return self._stopped

    @property
    def waited_s(self) -> float:
        """Seconds the trainer has spent blocked in `wait` so far (paused, between single steps, waiting for a
        place after Resume), the wait in progress included."""
        with self._cond:
            since = self._blocked_since
            return self._waited_s + (time.perf_counter() - since if since is not None else 0.0)

    @property
    def lent(self) -> bool:
        """Whether the trainer has given its place up (paused, or waiting for one again)."""
        return not self._holding

    @property
    def step_waits(self) -> bool:
        """Whether a single step granted while paused waits for a place (the trainer has lent its own)."""
        with self._cond:
            return not self._holding and (self._permits > 0 or self._taking_step)

    def pause(self) -> None:
        with self._cond:
            self._paused = True

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._permits = 0
            self._cond.notify_all()

    def step(self) -> None:
        """Grant one step while paused (pauses first if running)."""
        with self._cond:
            self._paused = True
            self._permits += 1
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            first = not self._stopped
            self._stopped = True
            self._cond.notify_all()
            callbacks = self._on_stop if first else []
        for callback in callbacks:  # outside the lock: a callback may take locks of its own
            callback()

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Call `callback()` once, in the thread that stops this control, when it is first stopped; at once
        (in this thread) if it already is. Lets something that sleeps on its own condition, such as a job
        waiting in the queue (playground.registry.RunQueue), wake when its job is stopped."""
        with self._cond:
            if not self._stopped:
                self._on_stop.append(callback)
                return
        callback()

    def wait(self) -> Command:
        """Block while paused with no step granted; return what to do next. With a `place`, release it before
        blocking and take one again (blocking in the queue) before returning RUN or STEP."""
        if not self._paused and not self._stopped:  # fast path: one attribute read per step
            return Command.RUN
        with self._cond:
            self._blocked_since = time.perf_counter()
        try:
            while True:
                command = self._next()
                if command is None:  # paused with no step granted: lend the place, then block
                    self.place.release()
                    self._holding = False
                elif command is Command.STOP or self._holding:
                    return command
                elif not self._take(command):
                    return Command.STOP
                else:
                    self._holding = True
                    if command is Command.STEP:  # its permit is spent; a RUN looks again (it may be paused by now)
                        return command
        finally:
            with self._cond:
                self._waited_s += time.perf_counter() - self._blocked_since
                self._blocked_since = None

    def _take(self, command: Command) -> bool:
        """`place.take()` for `command`, the step it is taken for noted meanwhile (see `step_waits`)."""
        with self._cond:
            self._taking_step = command is Command.STEP
        try:
            return self.place.take()
        finally:
            with self._cond:
                self._taking_step = False

    def _next(self) -> Command | None:
        """What `wait` does next; None: release the place first. Blocks while paused unless a place is to go."""
        with self._cond:
            while True:
                if self._stopped:
                    return Command.STOP
                if not self._paused:
                    return Command.RUN
                if self._permits > 0:
                    self._permits -= 1
                    return Command.STEP
                if self._holding and self.place is not None:
                    return None
                self._cond.wait()
