"""Fair turns: with more runs than training places, the runs in memory take turns of a few seconds each.

First come, first served lets one long run hold a place for the whole time limit while everyone else watches
"queued". `TurnQueue` admits jobs as playground.registry.RunQueue does (a `Job` waits in `enter` for a place, gives
it up for a while in `lend` and for good in `leave`), and ends a run's turn once it has held a place for its turn
while another run waits for one: `Control.end_turn` makes the trainer lend its place at the next step boundary and
wait for it again at the back of the line, without pausing. The time it waits is not training time
(`Control.waited_s`), so it does not use up the time limit. This is round-robin time sharing among the runs in
memory; as in CTSS's multilevel queue (Corbató, Merwin-Daggett and Daley, "An experimental time-sharing system",
1962), a new run comes first, with a shorter first turn (`FIRST_TURN_S`), so that its curves start moving within
seconds of Train.

A run that has trained keeps its model, optimizer and data in memory while it waits for its turn (a paused run
too). The runs in memory, each counted at its estimated peak (playground.memory), must fit `memory_mb`; a run
beyond it waits without state ("queued": nothing built), first come first served, until a run in memory ends.
One run alone is always let in, whatever its estimate: the per-run limit (settings.Limits.max_memory_mb) refuses
the ones too large for the server.

Thread-safety: every method takes the queue's lock; the only lock taken inside it is a trainer's Control's
(`end_turn`), and nothing takes the queue's lock inside a Control's or a Job's.
"""

from __future__ import annotations

import statistics
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playground.jobs import Job

FIRST_TURN_S = 0.25  # a new run's first turn (at most `turn_s`): at 30 new runs, the last one's first point in ~8 s
RECENT_RUNS = 20  # runs whose training time stands for the length of a run that has not started (`wait_s`)


@dataclass(frozen=True)
class Share:
    """How one run shares the server's training places while runs take turns (`TurnQueue.share`)."""

    runs: int  # runs taking turns (in memory, not paused), this one included when it is in memory
    places: int  # runs that train at once
    turn_s: float  # seconds of a turn
    in_memory: bool = True  # False: this run waits without state until a run in memory ends
    waiting: int = 0  # runs waiting without state for memory, this one included when it does

    @property
    def slowdown(self) -> float:
        """Wall seconds per second of training, `runs / places` (at least 1): what a run's training-time ETA is
        multiplied by while it shares."""
        return max(1.0, self.runs / max(1, self.places))

    def describe(self) -> str:
        """What is happening, for the page: e.g. "Sharing the server with 29 other runs: your run trains 1 second
        in 30 (turns of 2 s)." """
        if not self.in_memory:
            runs = f"{self.runs} run{'s' * (self.runs != 1)}"
            return (f"The server's memory for runs is full: {runs} take turns in it. Yours starts, without losing "
                    f"its place in line, when one of them ends.")
        others = self.runs - 1
        ratio = f"{self.slowdown:,.1f}".rstrip("0").rstrip(".")
        return (f"Sharing the server with {others} other run{'s' * (others != 1)}: your run trains 1 second in "
                f"{ratio} (turns of {self.turn_s:g} s).")


class TurnQueue:
    """Admission with turns (see the module docstring): at most `max_running` jobs hold a place at once; a job that
    has held one for `turn_s` seconds (its first: `min(FIRST_TURN_S, turn_s)`) while another waits is asked to end
    its turn. `memory_mb`: the runs in memory at their estimated peaks, in MB (2^20 bytes). `clock`: seconds.

    Waiting threads sleep on a condition; only the first in line wakes on a timer, when the next turn ends.
    """

    def __init__(self, max_running: int, turn_s: float, memory_mb: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if turn_s <= 0:
            raise ValueError(f"turn_s must be more than 0 seconds; got {turn_s}.")
        self.max_running = max_running
        self.turn_s = turn_s
        self.memory_mb = memory_mb
        self._clock = clock
        self._cond = threading.Condition()  # over an RLock: `on_stop` may call back at once, inside `enter`
        self._running: dict[Job, float] = {}  # holding a place -> when its turn ends (clock)
        self._ending: set[Job] = set()  # asked to end their turn, not yet lent
        self._mb: dict[Job, float] = {}  # estimated peak MB of every job the queue knows
        self._resident: set[Job] = set()  # in memory: admitted once and not yet ended
        self._new: list[Job] = []  # in memory, never trained: first in line
        self._turns: list[Job] = []  # back for another turn, in the order their turns ended (round robin)
        self._waiting: list[Job] = []  # without state, first come first served, until memory frees up
        self._watched: weakref.WeakSet[Job] = weakref.WeakSet()  # jobs whose stop wakes the line
        self._recent: deque[float] = deque(maxlen=RECENT_RUNS)  # training seconds of the last runs that ended

    def enter(self, job: Job, returning: bool = False) -> bool:
        """Block until `job` may train (True), or until it is stopped while it waits (False). `returning`: it
        trained before and lent its place (its turn ended, or it was paused): it goes to the back of the line."""
        mb = 0.0 if returning else job.memory_mb()  # arithmetic on the config, outside the lock
        admitted = False
        with self._cond:
            if returning:
                self._turns.append(job)
            else:
                self._mb[job] = mb
                self._waiting.append(job)
                self._let_in()
            self._cond.notify_all()  # the first in line may now have a turn to end
            if job not in self._watched:
                self._watched.add(job)
                job.control.on_stop(lambda: self._wake_if_waiting(job))
            try:
                while True:
                    if job.control.stopped:
                        return False
                    head = self._head()
                    if head is job and len(self._running) < self.max_running:
                        self._running[job] = self._clock() + self._turn_of(job)
                        admitted = True
                        return True
                    self._cond.wait(self._end_turns() if head is job else None)
            finally:
                self._drop_from_lines(job)
                if not admitted and not returning:  # stopped before it ever trained: nothing of it is in memory
                    self._forget(job)
                self._cond.notify_all()  # a new head of the line, and maybe a free place

    def lend(self, job: Job) -> None:
        """`job` gives its place up for a while (its turn ended, or it was paused), keeping its memory."""
        with self._cond:
            self._running.pop(job, None)
            self._ending.discard(job)
            self._cond.notify_all()

    def leave(self, job: Job, trained_s: float | None = None) -> None:
        """`job` ended (after `trained_s` seconds of training, when known): its place and memory go to others."""
        with self._cond:
            self._running.pop(job, None)
            self._ending.discard(job)
            self._drop_from_lines(job)
            self._forget(job)
            if trained_s is not None:
                self._recent.append(trained_s)
            self._cond.notify_all()

    def position(self, job: Job) -> int:
        """1-based place in the line for a place, or among the runs waiting for memory; 0 when holding a place,
        paused or unknown."""
        with self._cond:
            for line in (self._new + self._turns, self._waiting):
                if job in line:
                    return line.index(job) + 1
            return 0

    def counts(self) -> tuple[int, int]:
        """(training, waiting): jobs holding a place, and jobs waiting for one or for memory."""
        with self._cond:
            return len(self._running), len(self._new) + len(self._turns) + len(self._waiting)

    def share(self, job: Job) -> Share | None:
        """How `job` shares the places: None when it is paused, ended or unknown, or when every run taking turns
        has a place (no one waits for a turn)."""
        with self._cond:
            if job.control.paused:
                return None
            runs = len(self._running) + len(self._new) + len(self._turns)
            if job in self._waiting:
                return Share(runs, self.max_running, self.turn_s, in_memory=False, waiting=len(self._waiting))
            if job not in self._running and job not in self._new and job not in self._turns:
                return None
            return Share(runs, self.max_running, self.turn_s, waiting=len(self._waiting)) \
                if runs > self.max_running else None

    def wait_s(self, job: Job) -> float | None:
        """Roughly the seconds until `job` gets a place: in line, the turns ahead of it (`queue_wait_s` over the
        turns' ends); waiting for memory, until enough runs in memory end, each training at `runs / places` of its
        speed (processor sharing). None when it is not waiting or a run's time is unknown (see Job.time_left_s)."""
        from playground.registry import queue_wait_s  # here: the registry builds this queue

        with self._cond:
            line = self._new + self._turns
            if job in line:
                now = self._clock()
                left = [0.0 if j in self._ending else max(0.0, until - now) for j, until in self._running.items()]
                ahead = [self._turn_of(j) for j in line[: line.index(job)]]
                return queue_wait_s(left, ahead, self.max_running)
            if job not in self._waiting:
                return None
            sharing, ahead = [*self._running, *line], self._waiting[: self._waiting.index(job)]
            typical = statistics.median(self._recent) if self._recent else None
        left = [j.time_left_s(typical) for j in sharing]  # outside the lock: each takes its job's
        needs = [j.time_left_s(typical) for j in ahead]
        if None in left or None in needs:
            return None
        slots = max(1, len(sharing))
        slowdown = max(1.0, slots / max(1, self.max_running))
        return queue_wait_s([s * slowdown for s in left], [s * slowdown for s in needs], slots)

    def _head(self) -> Job | None:
        return self._new[0] if self._new else self._turns[0] if self._turns else None

    def _turn_of(self, job: Job) -> float:
        return min(FIRST_TURN_S, self.turn_s) if job in self._new else self.turn_s

    def _end_turns(self) -> float | None:
        """Ask the runs whose turn is over to end it, as many as wait in line (the caller, first in line, holds
        the lock); the seconds until the next turn ends, None when no turn will end by itself."""
        now, wanted = self._clock(), len(self._new) + len(self._turns) - len(self._ending)
        next_end = None
        for job, until in sorted(self._running.items(), key=lambda item: item[1]):
            if job in self._ending:
                continue
            if until <= now and wanted > 0:
                self._ending.add(job)
                job.control.end_turn()
                wanted -= 1
            elif until > now:
                next_end = until - now if next_end is None else min(next_end, until - now)
        return next_end

    def _let_in(self) -> None:
        """Move the jobs waiting without state into memory, first come first served, while they fit."""
        while self._waiting:
            job = self._waiting[0]
            used = sum(self._mb[j] for j in self._resident)
            if self._resident and used + self._mb[job] > self.memory_mb:
                return
            self._waiting.pop(0)
            self._resident.add(job)
            self._new.append(job)

    def _forget(self, job: Job) -> None:
        """`job` is no longer in memory: let the next ones in."""
        self._resident.discard(job)
        self._mb.pop(job, None)
        self._let_in()

    def _drop_from_lines(self, job: Job) -> None:
        for line in (self._new, self._turns, self._waiting):
            if job in line:
                line.remove(job)

    def _wake_if_waiting(self, job: Job) -> None:
        with self._cond:
            if job in self._new or job in self._turns or job in self._waiting:
                self._cond.notify_all()
