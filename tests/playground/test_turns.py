import threading
import time

import pytest

from playground.control import Command
from playground.events import RunFinished, RunStarted, StepEnded
from playground.jobs import Job
from playground.registry import JobRegistry, RunQueue
from playground.settings import Limits, Settings
from playground.turns import FIRST_TURN_S, Share, TurnQueue
from tests.conftest import tiny_config
from tests.playground.test_jobs import ACCURACY_METRIC, JOIN_S, wait_for

TURN_S = 0.3
LONG = tiny_config(epochs=10_000)  # far longer than any test: they stop it


def turns(max_jobs=1, turn_s=TURN_S, memory_mb=512, **limits) -> JobRegistry:
    """A registry whose runs take turns of `turn_s` at `max_jobs` places, `memory_mb` of runs in memory."""
    settings = Settings(max_jobs=max_jobs, turn_s=turn_s, turns_memory_mb=memory_mb)
    return JobRegistry(settings=settings, limits=Limits(**limits) if limits else None)


def steps(*jobs) -> list[int]:
    return [job.snapshot().step for job in jobs]


def test_the_settings_choose_turns_or_first_come_first_served():
    assert isinstance(turns().queue, TurnQueue) and turns().queue.turn_s == TURN_S
    assert type(JobRegistry(settings=Settings(turn_s=0)).queue) is RunQueue
    assert Settings().turn_s == 2.0 and Settings().turns_memory_mb == 512
    with pytest.raises(ValueError, match="turn_s"):
        TurnQueue(1, 0, 512)


def test_two_runs_at_one_place_both_advance_within_a_few_turns():
    reg = turns()
    a = reg.start("a", LONG)
    b = reg.start("b", LONG)
    assert wait_for(lambda: min(steps(a, b)) > 0, timeout=FIRST_TURN_S + 5 * TURN_S + 5)
    first = steps(a, b)
    assert wait_for(lambda: all(now > then for now, then in zip(steps(a, b), first, strict=True)),
                    timeout=6 * TURN_S + 5)
    snaps = [a.snapshot(), b.snapshot()]
    assert [s.status for s in snaps] == ["running", "running"]  # waiting for a turn is neither paused nor waiting
    assert all(s.share == Share(2, 1, TURN_S) for s in snaps)
    assert "1 other run: your run trains 1 second in 2 (turns of 0.3 s)" in snaps[0].share.describe()
    assert reg.queue.counts()[0] == 1  # one place: never both at once
    reg.shutdown(timeout=JOIN_S)


def test_turns_go_round_robin_and_a_new_run_comes_first():
    """Three trainers that log who holds the place at each step: the holders cycle through all three, each
    once a round (a first: it trained before the others came)."""
    holders: list[str] = []
    lock = threading.Lock()

    def logging_trainer(name):
        def train(config, emit, control):
            emit(RunStarted("cpu", 1, 10**6, 10**6, ACCURACY_METRIC))
            for step in range(1, 10**6):
                if control.wait() is Command.STOP:
                    emit(RunFinished("stopped", step - 1, 0.0))
                    return
                with lock:
                    if not holders or holders[-1] != name:
                        holders.append(name)
                time.sleep(0.002)
                emit(StepEnded(step, None, 1.0))
        return train

    reg = turns(turn_s=0.1)
    jobs = [reg.start(name, LONG, trainer=logging_trainer(name)) for name in "abc"]
    assert wait_for(lambda: len(holders) >= 9)
    reg.shutdown(timeout=JOIN_S)
    assert holders[0] == "a" and set(holders[:3]) == set("abc")
    assert all(holders[i] == holders[i + 3] for i in range(6))
    assert all(not job.alive for job in jobs)


def test_the_memory_total_keeps_a_third_run_waiting_without_state_until_one_ends():
    per_run = Job(LONG).memory_mb()  # the run's estimated peak (playground.memory)
    assert per_run > 1
    reg = turns(memory_mb=int(2.5 * per_run))  # two fit, not three
    a, b = reg.start("a", LONG), reg.start("b", LONG)
    assert wait_for(lambda: min(steps(a, b)) > 0, timeout=10)
    c = reg.start("c", LONG)
    time.sleep(4 * TURN_S)  # several turns: c gets none
    snap = c.snapshot()
    assert snap.status == "queued" and snap.started is None and snap.step == 0 and snap.queue_position == 1
    assert snap.share == Share(2, 1, TURN_S, in_memory=False, waiting=1)
    assert "memory for runs is full" in snap.share.describe()
    assert a.snapshot().share == Share(2, 1, TURN_S, waiting=1)  # c is not one of the runs taking turns
    a.stop(join_timeout=JOIN_S)
    assert wait_for(lambda: c.snapshot().step > 0, timeout=10)  # a's memory went to c
    assert c.snapshot().status == "running" and c.snapshot().share == Share(2, 1, TURN_S)
    reg.shutdown(timeout=JOIN_S)


def test_a_run_stopped_while_it_waits_for_memory_ends_without_training():
    reg = turns(memory_mb=1)
    a = reg.start("a", LONG)
    b = reg.start("b", LONG)
    assert wait_for(lambda: b.snapshot().queue_position == 1 and a.snapshot().step > 0)
    assert b.stop(join_timeout=JOIN_S)
    assert b.snapshot().status == "stopped" and b.snapshot().started is None
    assert reg.queue.counts() == (1, 0) and a.snapshot().share is None  # alone again: no sharing
    reg.shutdown(timeout=JOIN_S)


def test_a_user_pause_is_not_a_turn_and_leaves_the_turns():
    reg = turns()
    a, b = reg.start("a", LONG), reg.start("b", LONG)
    assert wait_for(lambda: min(steps(a, b)) > 0, timeout=10)
    a.pause()
    assert wait_for(lambda: a.snapshot().status == "paused")
    assert a.control.paused and a.snapshot().share is None
    assert wait_for(lambda: b.snapshot().share is None)  # b alone takes turns now: it shares with no one
    paused_at = a.snapshot().step
    b_at = b.snapshot().step
    time.sleep(3 * TURN_S)
    assert a.snapshot().step == paused_at and a.snapshot().status == "paused"  # no turn wakes a paused run
    assert b.snapshot().step > b_at
    assert not b.control.paused  # b's turns never paused it
    a.resume()
    assert wait_for(lambda: a.snapshot().step > paused_at, timeout=10)
    assert a.snapshot().share == Share(2, 1, TURN_S)
    reg.shutdown(timeout=JOIN_S)


def test_waiting_for_a_turn_does_not_use_up_the_time_limit():
    reg = turns(max_params=100_000, max_seconds=1.0)
    a, b = reg.start("a", LONG), reg.start("b", LONG)
    for job in (a, b):
        job.thread.join(JOIN_S + 10)
    for job in (a, b):
        snap = job.snapshot()
        assert snap.status == "stopped" and "limit of 1 second" in snap.message
        assert job.control.waited_s > 0.5  # about half the time was the other run's turns
        assert snap.elapsed_s > 1.0 + 0.5  # wall time: its second of training and the other's turns
    reg.shutdown()


def test_a_run_in_line_estimates_its_wait_from_the_turns_ahead():
    clock = [100.0]
    queue = TurnQueue(1, 2.0, 512, clock=lambda: clock[0])
    reg = JobRegistry(settings=Settings(max_jobs=1))
    reg.queue = queue

    def holds(config, emit, control):  # holds its place until stopped, never at a step boundary
        stopped = threading.Event()
        control.on_stop(stopped.set)
        stopped.wait()
        emit(RunFinished("stopped", 0, 0.0))

    reg.start("a", LONG, trainer=holds)
    assert wait_for(lambda: queue.counts() == (1, 0))
    b = reg.start("b", LONG, trainer=holds)
    c = reg.start("c", LONG, trainer=holds)
    assert wait_for(lambda: c.snapshot().queue_position == 2)
    # a's first turn ends FIRST_TURN_S after it began; then b's first turn, then c's
    assert b.snapshot().queue_wait_s == pytest.approx(FIRST_TURN_S)
    assert c.snapshot().queue_wait_s == pytest.approx(2 * FIRST_TURN_S)
    reg.shutdown(timeout=JOIN_S)
