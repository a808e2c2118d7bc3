"""The process-wide job registry: one job per owner, a cap on jobs training at once, clean shutdown.

An owner is a string such as "<browser session id>:<page>"; only code that knows the owner reaches
its job. `RunQueue` admits at most `max_running` jobs to train at once and queues the rest in start
order. `JobRegistry.reap` stops jobs whose owner has been gone for longer than a grace period; every job
is stopped and joined at interpreter exit (playground.jobs.stop_all) so no thread is killed inside torch.
`shared()` is the process-wide registry; its cap, grace period and per-job limits come from
playground.settings (environment, then file, then defaults), read when it is first used.
"""

from __future__ import annotations

import ctypes
import dataclasses
import gc
import heapq
import os
import statistics
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from playground import executors
from playground.executors import Executor
from playground.jobs import Job, Snapshot, stop_and_join
from playground.settings import Limits, Settings, load
from playground.turns import TurnQueue

KEPT_RUNS = 50  # reaped runs whose final curves are kept for an owner who may come back (oldest dropped first)
KEPT_S = 300.0  # for this long: Streamlit itself forgets a disconnected session after 2 minutes
KEPT_POINTS = 2_000  # training-loss points kept per reaped run (a page draws a few hundred)
RECENT_RUNS = 20  # runs whose training time estimates the length of a run that has not started (RunQueue.wait_s)


def default_max_running(settings: Settings | None = None, executor: Executor | None = None) -> int:
    """`max_jobs` from the settings ($PLAYGROUND_MAX_JOBS, then the settings file), else the executor's slots
    (Ray: one per CPU of the cluster, playground.ray_executor), else, for threads, one job per GPU, else one per
    two CPU cores (at least one).

    Why not one per core: a small model's training step is mostly Python, and every job's thread holds the
    same GIL for it. With 30 sessions training the moons preset on 2 cores (benchmarks/load.py), a cap of 1
    gave 1,414 steps/s in all and 1,537 per job, against 1,133 and 584 with a cap of 2, and shorter queue
    waits (median 8.0 s against 9.6 s). The other core serves the pages.
    """
    settings = settings or load()
    if settings.max_jobs is not None:
        return settings.max_jobs
    if executor is not None:
        return executor.slots()
    import torch

    return torch.cuda.device_count() or max(1, (os.cpu_count() or 1) // 2)


def release_memory() -> None:
    """Collect garbage, return the GPU memory torch keeps cached, then hand freed heap pages back to the OS
    (glibc's malloc_trim; elsewhere a no-op).

    Without the trim, the memory of a reaped job stays in the allocator's free lists and the server's
    resident size never comes back down after a workshop's sessions leave; without `empty_cache`, torch's
    caching allocator keeps a finished job's GPU memory reserved for this process.
    """
    gc.collect()
    import torch

    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()
    if torch.backends.mps.is_available():
        torch.mps.empty_cache()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class RunQueue:
    """Admission control: at most `max_running` jobs train at once; the rest wait first-come first-served.

    A paused job lends its place (playground.control.Place): it leaves, and on Resume (or Step) it waits for a
    place again at the front of the line, behind other jobs coming back from a pause but before the jobs that
    never trained. It arrived before them and pausing must not cost a whole queue's wait; nor does it jump
    anyone: it takes the next place that frees up, and every job training holds one for at most the time limit.

    A waiting thread sleeps on a condition until something that could admit or release it happens: a
    job leaves (training or the line), or the waiting job itself is stopped (`Control.on_stop`). It
    never wakes on a timer: between those events a long queue takes no CPU from the training threads
    (each leave wakes every waiter once to see whether it is next). Thread-safe.
    """

    def __init__(self, max_running: int) -> None:
        self.max_running = max_running
        self._cond = threading.Condition()  # over an RLock: `on_stop` may call back at once, inside `enter`
        self._running: set[Job] = set()
        self._returning: list[Job] = []  # back from a pause: ahead of `_waiting`
        self._waiting: list[Job] = []
        self._watched: weakref.WeakSet[Job] = weakref.WeakSet()  # jobs whose stop wakes the line
        self._recent: deque[float] = deque(maxlen=RECENT_RUNS)  # training seconds of the last runs that ended

    def enter(self, job: Job, returning: bool = False) -> bool:
        """Block until `job` may train (True), or until it is stopped while still waiting (False).
        `returning`: it trained before and lent its place while paused (see the class doc)."""
        with self._cond:
            line = self._returning if returning else self._waiting
            line.append(job)
            if job not in self._watched:
                self._watched.add(job)
                job.control.on_stop(lambda: self._stopped_while_waiting(job))
            try:
                while True:
                    if job.control.stopped:
                        return False
                    if (self._returning or self._waiting)[0] is job and len(self._running) < self.max_running:
                        self._running.add(job)
                        return True
                    self._cond.wait()
            finally:
                line.remove(job)
                self._cond.notify_all()  # a new head of the queue, and maybe a free place

    def _stopped_while_waiting(self, job: Job) -> None:
        with self._cond:
            if job in self._waiting or job in self._returning:
                self._cond.notify_all()

    def leave(self, job: Job, trained_s: float | None = None) -> None:
        """`job` gives its place up: it ended (after `trained_s` seconds of training, when known) or paused."""
        with self._cond:
            self._running.discard(job)
            if trained_s is not None:
                self._recent.append(trained_s)
            self._cond.notify_all()

    def lend(self, job: Job) -> None:
        """`job` gives its place up while paused; it comes back through `enter(job, returning=True)`."""
        self.leave(job)

    def share(self, job: Job) -> None:
        """None: here no run shares a place by turns (see playground.turns.TurnQueue)."""
        return None

    def position(self, job: Job) -> int:
        """1-based place in line (jobs coming back from a pause first), 0 when not waiting."""
        with self._cond:
            line = self._returning + self._waiting
            return line.index(job) + 1 if job in line else 0

    def counts(self) -> tuple[int, int]:
        """(training, waiting)."""
        with self._cond:
            return len(self._running), len(self._returning) + len(self._waiting)

    def wait_s(self, job: Job) -> float | None:
        """Roughly how many seconds `job` will wait for a place (see `queue_wait_s`); None when it is not in
        line or a job's time is unknown. Jobs that never trained count the median training time of the last
        runs (`RECENT_RUNS`), else the time limit. Asks the other jobs outside the queue's lock."""
        with self._cond:
            line = self._returning + self._waiting
            if job not in line:
                return None
            running, ahead = list(self._running), line[: line.index(job)]
            typical = statistics.median(self._recent) if self._recent else None
        left = [j.time_left_s(typical) for j in running]
        needs = [j.time_left_s(typical) for j in ahead]
        if None in left or None in needs:
            return None
        return queue_wait_s(left, needs, self.max_running)


def queue_wait_s(left_s: Sequence[float], ahead_s: Sequence[float], places: int) -> float:
    """Seconds until a job behind `ahead_s` gets one of `places` places: the jobs training now free theirs after
    `left_s` seconds each, and each job ahead, in order, takes the first place to free up and holds it for its
    seconds. Greedy list scheduling on the estimates; as exact as they are. 0.0 when a place is free.
    """
    places = max(1, places)
    busy = sorted(left_s)
    free = busy[max(0, len(busy) - places):] + [0.0] * max(0, places - len(busy))  # each place's free time
    heapq.heapify(free)
    for need in ahead_s:
        heapq.heappush(free, heapq.heappop(free) + need)
    return free[0]


class JobRegistry:
    """One job per owner; reaped when the owner is gone; all stopped and joined at exit. Thread-safe.

    `grace_s`, `max_running`, `limits`, `turn_s` and `executor` default to the server settings
    (playground.settings.load(), or `settings` when given; the executor is the process-wide one of its kind,
    playground.executors.shared). `clock` gives the seconds that `reap` measures absence in. The queue is a
    playground.turns.TurnQueue (runs take turns of `turn_s` seconds) when `turn_s` > 0, else a `RunQueue`.
    """

    def __init__(self, grace_s: float | None = None, max_running: int | None = None,
                 limits: Limits | None = None, settings: Settings | None = None,
                 clock: Callable[[], float] = time.monotonic, turn_s: float | None = None,
                 executor: Executor | None = None) -> None:
        settings = settings or load()
        self.executor = executor or executors.shared(settings.executor)
        # How long a disconnected owner may take to come back (a dropped connection; a reload is a new owner).
        self.grace_s = settings.session_grace_s if grace_s is None else grace_s
        self.limits = limits or Limits.from_settings(settings)
        if turn_s is None and self.executor.name == executors.RAY:
            # A run waiting for its turn keeps its model in its Ray worker, a process holding a CPU: with more runs
            # in memory than CPUs the next run's worker could never start. First come, first served, then.
            turn_s = 0.0
        self.queue = _queue(max_running or default_max_running(settings, self.executor), settings, turn_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._last_seen: dict[str, float] = {}  # owner -> when it was last known to be alive
        self._kept: dict[str, tuple[float, Snapshot]] = {}  # owner -> (when reaped, its run's end), oldest first

    def start(self, owner: str, config: Any, **kwargs: Any) -> Job:
        """Stop the owner's previous job, if any, and start a new one (queued if the cap is reached)."""
        job = Job(config, admission=self.queue, limits=self.limits, executor=self.executor, **kwargs)
        with self._lock:
            old = self._jobs.get(owner)
            self._jobs[owner] = job
            self._last_seen[owner] = self._clock()  # the owner is alive: it is starting a job
            self._kept.pop(owner, None)
        if old is not None:
            old.stop(join_timeout=5.0)
        return job.start()

    def get(self, owner: str) -> Job | None:
        with self._lock:
            return self._jobs.get(owner)

    def reaped(self, owner: str) -> Snapshot | None:
        """The end of the owner's run that `reap` stopped (or dropped once ended) while the owner was away: status,
        a message saying so, and its curves without weights, views or replay; None when there is none (kept
        KEPT_S seconds, KEPT_RUNS at most, until the owner starts a job or discards)."""
        with self._lock:
            kept = self._kept.get(owner)
            return kept[1] if kept else None

    def discard(self, owner: str) -> None:
        """Stop and forget the owner's job (Reset), and the end of a reaped one."""
        with self._lock:
            job = self._jobs.pop(owner, None)
            self._last_seen.pop(owner, None)
            self._kept.pop(owner, None)
        if job is not None:
            job.stop(join_timeout=5.0)

    def counts(self) -> dict[str, int]:
        """Server-wide: jobs training, waiting in the queue, and kept after they ended."""
        with self._lock:
            jobs = list(self._jobs.values())
        training, waiting = self.queue.counts()
        return {"training": training, "queued": waiting, "ended": sum(not j.alive for j in jobs)}

    def reap(self, is_alive: Callable[[str], bool], now: float | None = None) -> list[str]:
        """Stop and drop the jobs whose owner has not been seen alive for `grace_s` seconds or more.

        Absence counts from the last time the owner was seen alive (by an earlier pass, or when it started
        its job), a lower bound of when it left, not from the pass that first finds it gone; an owner seen
        alive again starts afresh. Called every `p` seconds, this stops a job between `grace_s - p` and
        `grace_s + p` seconds after its owner left. `now` defaults to the registry's clock. Returns the
        owners reaped; their jobs are asked to stop together, then joined (5 s at most in all), and the end of
        each is kept for its owner (`reaped`).
        """
        now = self._clock() if now is None else now
        reaped: list[tuple[str, Job]] = []
        with self._lock:
            for owner in [o for o, (t, _) in self._kept.items() if now - t >= KEPT_S]:
                del self._kept[owner]
            for owner in list(self._jobs):
                if is_alive(owner):
                    self._last_seen[owner] = now
                elif now - self._last_seen.setdefault(owner, now) >= self.grace_s:
                    reaped.append((owner, self._jobs.pop(owner)))
                    self._last_seen.pop(owner)
        active = [job.alive for _, job in reaped]
        stop_and_join([job for _, job in reaped], timeout=5.0)
        ends = [self._end_of(job, was_active) for (_, job), was_active in zip(reaped, active, strict=True)]
        with self._lock:
            for (owner, _), end in zip(reaped, ends, strict=True):
                self._kept[owner] = (now, end)
            for owner in list(self._kept)[: max(0, len(self._kept) - KEPT_RUNS)]:
                del self._kept[owner]
        owners = [owner for owner, _ in reaped]
        del reaped  # the jobs themselves, before their memory is collected
        if owners:
            release_memory()
        return owners

    def _end_of(self, job: Job, was_active: bool) -> Snapshot:
        """A reaped job's final snapshot, small: no weights, views or replay, the loss curve thinned to
        KEPT_POINTS; with a message that says why it ended (`grace_s` as set)."""
        snap = job.snapshot()
        lost = f"the connection was lost for more than {self.grace_s:g} s"
        message = (f"Your run was stopped after {lost}." if was_active else
                   " ".join(filter(None, [snap.message, f"Its weights and views were freed after {lost}."])))
        keep = np.unique(np.linspace(0, len(snap.step_x) - 1, min(len(snap.step_x), KEPT_POINTS)).astype(int))
        return dataclasses.replace(snap, message=message, views=None, state=None, history=(),
                                   step_x=snap.step_x[keep], step_loss=snap.step_loss[keep])

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop every job and join its thread (at most `timeout` seconds in all), then the executor's workers (a Ray
        executor's actors; it starts new ones if used again)."""
        with self._lock:
            jobs = list(self._jobs.values())
            self._jobs.clear()
            self._last_seen.clear()
            self._kept.clear()
        stop_and_join(jobs, timeout)
        self.executor.close()


def _queue(max_running: int, settings: Settings, turn_s: float | None) -> RunQueue | TurnQueue:
    """The admission for `max_running` places: turns of `turn_s` seconds (the settings' when None) or, at 0, first
    come first served."""
    turn_s = settings.turn_s if turn_s is None else turn_s
    return TurnQueue(max_running, turn_s, settings.turns_memory_mb) if turn_s > 0 else RunQueue(max_running)


_shared: JobRegistry | None = None
_shared_lock = threading.Lock()


def shared() -> JobRegistry:
    """The process-wide registry, created on first use: it reads the server settings then, not at import. Its
    jobs, as every job, are stopped and joined at interpreter exit by playground.jobs.stop_all."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = JobRegistry()
        return _shared
