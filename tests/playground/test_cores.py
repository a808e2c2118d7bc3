"""Training threads on cores of their own (Linux): the core is held while the body runs, then given back."""

import os
import threading

import pytest

from playground import cores
from playground.jobs import Job
from tests.conftest import tiny_config
from tests.playground.test_jobs import JOIN_S, wait_for

pytestmark = pytest.mark.skipif(not cores.SUPPORTED or len(os.sched_getaffinity(0)) < 2,
                                reason="pinning threads needs Linux and two cores")


def _hold(results: list, ready: threading.Event, release: threading.Event) -> threading.Thread:
    """A thread that takes a core (or None), notes it and its own affinity, and keeps it until `release`."""
    def body() -> None:
        with cores.dedicated_core() as core:
            results.append((core, os.sched_getaffinity(0)))
            ready.set()
            release.wait(JOIN_S)

    thread = threading.Thread(target=body)
    thread.start()
    assert ready.wait(JOIN_S)
    return thread


def test_each_training_thread_takes_a_core_the_others_leave_until_one_is_left():
    everything = os.sched_getaffinity(0)
    release, results, threads = threading.Event(), [], []
    for _ in range(len(everything)):
        threads.append(_hold(results, threading.Event(), release))
    taken = [core for core, _ in results if core is not None]
    assert taken == sorted(everything, reverse=True)[: len(everything) - 1]  # the highest first, one core kept
    assert all(mine == {core} for core, mine in results if core is not None)
    assert results[-1][0] is None  # no spare core: runs with the others
    left = everything - set(taken)
    assert os.sched_getaffinity(0) == left  # this thread, like every other one, is off the held cores
    assert results[-1][1] == left
    release.set()
    for thread in threads:
        thread.join(JOIN_S)
    assert os.sched_getaffinity(0) == everything and cores.held() == {}


def test_a_job_trains_on_its_own_core_and_gives_it_back():
    everything = os.sched_getaffinity(0)
    job = Job(tiny_config(epochs=10_000)).start()
    assert wait_for(lambda: job.snapshot().status == "running")
    core = max(everything)
    assert cores.held() == {core: job.thread.native_id}
    assert os.sched_getaffinity(job.thread.native_id) == {core}
    assert core not in os.sched_getaffinity(0)
    assert job.stop(join_timeout=JOIN_S)
    assert os.sched_getaffinity(0) == everything and cores.held() == {}
