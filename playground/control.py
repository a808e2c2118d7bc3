"""Cooperative run control: run, pause, single step, stop and setting changes, checked by the trainer between steps.

The UI thread calls `pause`, `resume`, `step`, `stop` and `change`; the training thread calls `wait` before
every optimizer step, and takes the changes due (`take_changes`) between steps (playground.loop). Nothing is
interrupted inside torch: a stop takes effect at the next step boundary. While paused, a trainer with a `Place`
(a place among the jobs the server trains at once) lends it to the queue and takes one again before its next
step; at the end of its turn (`end_turn`, when runs take turns at the server's places: playground.turns) it lends
it and waits for it again without pausing. All methods are thread-safe.
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
        self._turn_over = False  # the queue asked the trainer to lend its place at the next step boundary
        self._fresh = True  # no step yet since the trainer took its place: a turn lets at least one through
        self._changes: list[tuple[str, float, int | None]] = []  # (setting, value, after step) not yet applied
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
    def turn_over(self) -> bool:
        """Whether the queue has ended the trainer's turn and it has not lent its place yet (`end_turn`)."""
        return self._turn_over

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

    def end_turn(self) -> None:
        """End the trainer's turn: at the next step boundary it lends its place and waits for one again, without
        pausing (the user's `paused` stays as it is), after at least one step in this turn. Called by a queue
        whose runs take turns (playground.turns.TurnQueue) for a trainer that holds a place; ignored by one that
        holds none."""
        with self._cond:
            self._turn_over = self.place is not None

    def stop(self) -> None:
        with self._cond:
            first = not self._stopped
            self._stopped = True
            self._cond.notify_all()
            callbacks = self._on_stop if first else []
        for callback in callbacks:  # outside the lock: a callback may take locks of its own
            callback()

    def change(self, name: str, value: float, after_step: int | None = None) -> None:
        """Queue a change of setting `name` (playground.steering.STEERABLE) to `value`, applied by the trainer
        between steps: once `after_step` steps are done, or at the next step boundary when None. Checked by the
        caller (playground.jobs.Job.set_setting), not here."""
        with self._cond:
            self._changes.append((name, value, after_step))

    @property
    def has_changes(self) -> bool:
        """Whether any change waits (one attribute read: the loop asks it every step)."""
        return bool(self._changes)

    def take_changes(self, step: int, held: frozenset[str] = frozenset()) -> list[tuple[str, float]]:
        """Remove and return, in the order queued, the (setting, value) changes due once `step` steps are done,
        except those of the settings in `held` (they wait for a later call, e.g. the end of an epoch)."""
        with self._cond:
            due = [c for c in self._changes if c[0] not in held and (c[2] is None or c[2] <= step)]
            self._changes = [c for c in self._changes if c not in due]
        return [(name, value) for name, value, _ in due]

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
        if not self._paused and not self._stopped and not self._turn_over:  # fast path: attribute reads only
            return Command.RUN
        with self._cond:
            self._blocked_since = time.perf_counter()
        try:
            while True:
                command = self._next()
                if command is None:  # paused with no step granted, or its turn is over: lend the place
                    self.place.release()
                    with self._cond:
                        self._holding = self._turn_over = False
                elif command is Command.STOP or self._holding:
                    return command
                elif not self._take(command):
                    return Command.STOP
                else:
                    with self._cond:
                        self._holding = self._fresh = True
                        self._turn_over = False  # a new turn
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
                if self._turn_over and self._holding and self.place is not None:
                    if not self._fresh:
                        return None
                    self._fresh = False  # a turn takes at least one step; the next `wait` lends the place
                if not self._paused:
                    return Command.RUN
                if self._permits > 0:
                    self._permits -= 1
                    return Command.STEP
                if self._holding and self.place is not None:
                    return None
                self._cond.wait()
