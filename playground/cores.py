"""A core of its own for each training thread, on Linux: no other thread of the server runs there.

A small model's training step is mostly Python, and the server's other threads (Streamlit's event loop,
each session's script thread refreshing the live view) wake up several times a second. The scheduler puts
them, and a browser on the same machine, on whichever core is free at that moment, often the training
thread's, which then waits or moves to another core with cold caches. Pinning the training thread to one
core and the rest of the process to the others kept them apart. Measured on a 2-core machine with
benchmarks/live_training.py's served runs (steps/s against a bare loop run just before; medians of 12 paired
runs each, alternating): watched by a protocol client, 0.83 of the bare loop unpinned against 0.92 pinned;
watched by Chromium on the same two cores, 0.70 against 0.84.

`dedicated_core()` wraps a run in its training thread. On entry it takes the highest-numbered core of the
process's cores that no other training thread holds, provided one core is left for everything else; it pins
the calling thread there (`os.sched_setaffinity(0, ...)` sets the calling thread's affinity on Linux) and
every other thread of the process (those in /proc/self/task) to the cores no training thread holds. Threads
started later inherit their creator's affinity, so the script threads Streamlit's event loop starts stay
off the held cores. On exit the core goes back to the other threads. Where threads cannot be pinned (macOS,
Windows), on one core, or when no spare core is left, it does nothing and the thread runs where the
scheduler puts it. The cores are chosen within this process only: two servers on one machine would both put
their first training thread on its highest core.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_held: dict[int, int] = {}  # core -> native id of the training thread pinned there
SUPPORTED = hasattr(os, "sched_setaffinity") and os.path.isdir("/proc/self/task")


def held() -> dict[int, int]:
    """A copy of the cores held now: core -> native thread id."""
    with _lock:
        return dict(_held)


@contextmanager
def dedicated_core() -> Iterator[int | None]:
    """Run the body on a core of its own; yields the core, or None when none could be given."""
    core = _claim()
    try:
        yield core
    finally:
        if core is not None:
            _release(core)


def _claim() -> int | None:
    if not SUPPORTED:
        return None
    with _lock:
        rest = os.sched_getaffinity(os.getpid())  # the main thread: the process's cores less those held
        if len(rest) < 2:
            return None
        core = max(rest)
        try:
            os.sched_setaffinity(0, {core})
        except OSError:
            return None
        _held[core] = threading.get_native_id()
        _pin_others(rest - {core})
        return core


def _release(core: int) -> None:
    with _lock:
        _held.pop(core, None)
        rest = os.sched_getaffinity(os.getpid()) | {core}
        _pin_others(rest)
        try:  # this thread too: it may go on to other work (a test's thread, a thread pool's worker)
            os.sched_setaffinity(0, rest)
        except OSError:
            pass


def _pin_others(cores: set[int]) -> None:
    """Every thread of this process but the training threads onto `cores` (call with `_lock` held)."""
    training = set(_held.values())
    for name in os.listdir("/proc/self/task"):
        tid = int(name)
        if tid in training:
            continue
        try:
            os.sched_setaffinity(tid, cores)
        except OSError:  # the thread has just ended
            pass
