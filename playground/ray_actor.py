"""The actor side of the Ray executor (playground.ray_executor): `TrainingActor`, which runs inside a Ray worker.

It runs the unchanged `trainer(config, emit, control, **inputs)` in a thread of its own and buffers the events until
the job's side drains them; its `Control` lends its place (`_Parking`) at a step boundary, and the job's side grants
it again once it holds the job's real place in the server's process. A new actor warms up first (`_warm_up`), so
that it waits in the pool having run once what a run needs.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import ray

from playground.control import Control
from playground.events import Event, RunFailed, StepEnded


class _Parking:
    """The actor-side `Control`'s place. The trainer lends it at a step boundary (paused, or its turn over) and then
    waits in `take` until the job's side, having waited for the job's real place in the server's process, `grant`s it
    again; `parks` counts the lends, so the job's side knows when to wait."""

    def __init__(self, changed: threading.Condition) -> None:
        self.parks = 0
        self.parked = False
        self._grants = 0
        self._cancelled = False
        self._changed = changed  # the actor's condition: wakes a waiting drain, and a waiting `take`

    def release(self) -> None:
        with self._changed:
            self.parks += 1
            self.parked = True
            self._changed.notify_all()

    def take(self) -> bool:
        """Block until granted (True) or cancelled by a stop (False)."""
        with self._changed:
            while self._grants < self.parks and not self._cancelled:
                self._changed.wait()
            self.parked = False
            return not self._cancelled

    def grant(self) -> None:
        with self._changed:
            self._grants += 1
            self._changed.notify_all()

    def cancel(self) -> None:
        with self._changed:
            self._cancelled = True
            self._changed.notify_all()


class TrainingActor:
    """Runs one trainer at a time in a thread and buffers its events until `drain`. Runs inside a Ray worker."""

    def __init__(self) -> None:
        import torch

        torch.set_num_threads(1)  # one CPU per actor; as for threads, the default intra-op pool ran slower
        _warm_up()
        self._lock = threading.Condition()  # notified when the trainer ends or parks
        self._events: list[Event] = []
        self._done = True
        self._step = 0
        self._control = Control()
        self._parking = _Parking(self._lock)

    def where(self) -> tuple[int, str]:
        """(process id, Ray node id) of this actor."""
        return os.getpid(), ray.get_runtime_context().get_node_id()

    def start(self, trainer: Callable[..., None], config: Any, inputs: dict[str, Any], paused: bool) -> None:
        self._events, self._done, self._step = [], False, 0
        self._parking = _Parking(self._lock)
        self._control = Control(paused=paused, place=self._parking)
        threading.Thread(target=self._train, args=(trainer, config, inputs), name="playground-job", daemon=True).start()

    def _train(self, trainer: Callable[..., None], config: Any, inputs: dict[str, Any]) -> None:
        import torch

        torch.set_num_threads(1)
        t0 = time.perf_counter()
        try:
            trainer(config, self._emit, self._control, **inputs)
        except BaseException as e:  # a trainer should never raise; if it does, the run fails with its message
            self._emit(RunFailed("failed", f"{type(e).__name__}: {e}", self._step, time.perf_counter() - t0))
        finally:
            with self._lock:
                self._done = True
                self._lock.notify_all()
            gc.collect()  # the run's model and data, before the actor waits idle in the pool

    def _emit(self, event: Event) -> None:
        with self._lock:
            self._events.append(event)
            if type(event) is StepEnded:
                self._step = event.step

    def drain(self, wait_s: float = 0.0, seen_parks: int = 0) -> tuple[list[Event], bool, int, bool]:
        """(the events since the last drain, whether the trainer has ended, times parked, parked now), after
        waiting up to `wait_s` seconds for the trainer to end or to park more than `seen_parks` times: the events
        of that time come in one batch, and an end or a pause is seen at once."""
        deadline = time.monotonic() + wait_s
        with self._lock:
            while not self._done and self._parking.parks <= seen_parks and (left := deadline - time.monotonic()) > 0:
                self._lock.wait(left)
            events, self._events = self._events, []
            return events, self._done, self._parking.parks, self._parking.parked

    def pause(self) -> None:
        self._control.pause()

    def resume(self) -> None:
        self._control.resume()

    def step(self) -> None:
        self._control.step()

    def stop(self) -> None:
        self._control.stop()
        self._parking.cancel()

    def grant(self) -> None:
        """The job's side holds a place again: the trainer waiting at a step boundary may go on."""
        self._parking.grant()

    def end_turn(self) -> None:
        """The job's turn is over (Control.end_turn): lend the place at the next step boundary, without pausing."""
        self._control.end_turn()

    def change(self, name: str, value: float, after_step: int | None) -> None:
        """A live setting change (Control.change, where the control has it), applied by the trainer as in a thread."""
        self._control.change(name, value, after_step)

    def watch(self, seconds: float) -> None:
        """A page reads the run (Control.watch): the trainer captures frames for `seconds` more."""
        self._control.watch(seconds)


def _warm_up() -> None:
    """Start each playground's default preset and stop it before its first step, so that an actor in the pool
    has imported and run once what a run needs (data makers, model code, evaluation): a new actor's first run
    took ~2.5 s longer than its next ones, every later run on it ~0.25 s."""
    from playground import kinds

    for kind in kinds.KINDS:
        control = Control()
        control.stop()  # the loop stops at its first step boundary, after building and evaluating
        try:
            kind.trainer()(kind.presets[kind.default_preset].config, lambda event: None, control)
        except Exception:  # a warm-up only: the real run reports its own errors
            pass
