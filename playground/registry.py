"""The process-wide job registry: one job per owner, a cap on jobs training at once, clean shutdown.

An owner is a string such as "<browser session id>:<page>"; only code that knows the owner reaches
its job. `RunQueue` admits at most `max_running` jobs to train at once and queues the rest in start
order. `JobRegistry.reap` stops jobs whose owner has gone for longer than a grace period, and every
job is stopped and joined at interpreter exit so no thread is killed inside torch.
"""

from __future__ import annotations

import atexit
import ctypes
import gc
import os
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

from playground.jobs import Job
from playground.limits import Limits

ENV_MAX_JOBS = "PLAYGROUND_MAX_JOBS"
ENV_GRACE = "PLAYGROUND_SESSION_GRACE_S"
QUEUE_POLL_S = 0.2  # how often a queued job checks whether it was stopped


def default_max_running() -> int:
    """From $PLAYGROUND_MAX_JOBS, else one job per GPU, else one per CPU core (each job uses one thread)."""
    raw = os.environ.get(ENV_MAX_JOBS, "").strip()
    if raw:
        if raw.isdigit() and int(raw) >= 1:
            return int(raw)
        warnings.warn(f"{ENV_MAX_JOBS} must be a whole number of at least 1; got {raw!r}. Using the default.",
                      stacklevel=2)
    import torch

    return torch.cuda.device_count() or os.cpu_count() or 1


def _env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw and float(raw) >= 0 else default
    except ValueError:
        warnings.warn(f"{name} must be a number of seconds; got {raw!r}. Using {default:g}.", stacklevel=2)
        return default


def release_memory() -> None:
    """Collect garbage, then hand freed heap pages back to the OS (glibc's malloc_trim; elsewhere a no-op).

    Without the trim, the memory of a reaped job stays in the allocator's free lists and the server's
    resident size never comes back down after a workshop's sessions leave.
    """
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class RunQueue:
    """Admission control: at most `max_running` jobs train at once; the rest wait first-come first-served."""

    def __init__(self, max_running: int) -> None:
        self.max_running = max_running
        self._cond = threading.Condition()
        self._running: set[Job] = set()
        self._waiting: list[Job] = []

    def enter(self, job: Job) -> bool:
        with self._cond:
            self._waiting.append(job)
            try:
                while not (self._waiting[0] is job and len(self._running) < self.max_running):
                    if job.control.stopped:
                        return False
                    self._cond.wait(QUEUE_POLL_S)
                self._running.add(job)
                return True
            finally:
                self._waiting.remove(job)
                self._cond.notify_all()

    def leave(self, job: Job) -> None:
        with self._cond:
            self._running.discard(job)
            self._cond.notify_all()

    def position(self, job: Job) -> int:
        with self._cond:
            return self._waiting.index(job) + 1 if job in self._waiting else 0

    def counts(self) -> tuple[int, int]:
        """(training, waiting)."""
        with self._cond:
            return len(self._running), len(self._waiting)


class JobRegistry:
    """One job per owner; reaped when the owner is gone; all stopped and joined at exit."""

    def __init__(self, grace_s: float | None = None, max_running: int | None = None,
                 limits: Limits | None = None) -> None:
        # How long a disconnected owner may take to come back: $PLAYGROUND_SESSION_GRACE_S, default 60 s.
        self.grace_s = grace_s if grace_s is not None else _env_seconds(ENV_GRACE, 60.0)
        self.limits = limits or Limits.from_env()
        self.queue = RunQueue(max_running or default_max_running())
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._gone_since: dict[str, float] = {}

    def start(self, owner: str, config: Any, **kwargs: Any) -> Job:
        """Stop the owner's previous job, if any, and start a new one (queued if the cap is reached)."""
        job = Job(config, admission=self.queue, limits=self.limits, **kwargs)
        with self._lock:
            old = self._jobs.get(owner)
            self._jobs[owner] = job
        if old is not None:
            old.stop(join_timeout=5.0)
        return job.start()

    def get(self, owner: str) -> Job | None:
        with self._lock:
            return self._jobs.get(owner)

    def discard(self, owner: str) -> None:
        """Stop and forget the owner's job (Reset)."""
        with self._lock:
            job = self._jobs.pop(owner, None)
        if job is not None:
            job.stop(join_timeout=5.0)

    def counts(self) -> dict[str, int]:
        """Server-wide: jobs training, waiting in the queue, and kept after they ended."""
        with self._lock:
            jobs = list(self._jobs.values())
        training, waiting = self.queue.counts()
        return {"training": training, "queued": waiting, "ended": sum(not j.alive for j in jobs)}

    def reap(self, is_alive: Callable[[str], bool], now: float | None = None) -> list[str]:
        """Stop and drop jobs whose owner has not been alive for `grace_s`. Returns the owners reaped."""
        now = time.monotonic() if now is None else now
        reaped = []
        with self._lock:
            for owner in list(self._jobs):
                if is_alive(owner):
                    self._gone_since.pop(owner, None)
                    continue
                since = self._gone_since.setdefault(owner, now)
                if now - since >= self.grace_s:
                    reaped.append((owner, self._jobs.pop(owner)))
                    self._gone_since.pop(owner, None)
        for _, job in reaped:
            job.stop(join_timeout=5.0)
        if reaped:
            release_memory()
        return [owner for owner, _ in reaped]

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop every job and join its thread (at most `timeout` seconds in all)."""
        with self._lock:
            jobs = list(self._jobs.values())
            self._jobs.clear()
        for job in jobs:
            job.control.stop()
        deadline = time.monotonic() + timeout
        for job in jobs:
            job.thread.join(max(0.0, deadline - time.monotonic()))


REGISTRY = JobRegistry()
atexit.register(REGISTRY.shutdown)
