"""Cooperative run control: run, pause, single step and stop, checked by the trainer between steps.

The UI thread calls `pause`, `resume`, `step` and `stop`; the training thread calls `wait` before
every optimizer step. Nothing is interrupted inside torch: a stop takes effect at the next step
boundary. All methods are thread-safe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import Enum


class Go(Enum):
    """What `Control.wait` tells the trainer to do next."""

    RUN = "run"  # take the next step as usual
    STEP = "step"  # take exactly one step, then evaluate so the views show it
    STOP = "stop"  # end the run now


class Control:
    """A gate between optimizer steps."""

    def __init__(self, paused: bool = False) -> None:
        self._cond = threading.Condition()
        self._paused = paused
        self._stopped = False
        self._permits = 0
        self._on_stop: list[Callable[[], None]] = []
        self._waited_s = 0.0

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def stopped(self) -> bool:
        return self._stopped

    @property
    def waited_s(self) -> float:
        """Seconds the trainer has spent blocked in `wait` so far (paused, between single steps)."""
        return self._waited_s

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

    def wait(self) -> Go:
        """Block while paused with no step granted; return what to do next."""
        if not self._paused and not self._stopped:  # fast path: one attribute read per step
            return Go.RUN
        with self._cond:
            while True:
                if self._stopped:
                    return Go.STOP
                if not self._paused:
                    return Go.RUN
                if self._permits > 0:
                    self._permits -= 1
                    return Go.STEP
                t0 = time.perf_counter()
                self._cond.wait()
                self._waited_s += time.perf_counter() - t0
