import threading
import time

import pytest

from playground.events import RunFinished
from playground.jobs import Job
from playground.registry import KEPT_POINTS, JobRegistry, default_max_running, queue_wait_s
from playground.settings import Limits, Settings
from tests.conftest import tiny_config
from tests.playground.test_jobs import JOIN_S, wait_for


def idle(config, emit, control):
    """A trainer that holds its training place until it is stopped: no CPU, no torch. (It does not pause: a paused
    trainer lends its place to the next job in line.)"""
    stopped = threading.Event()
    control.on_stop(stopped.set)
    stopped.wait()
    emit(RunFinished("stopped", 0, 0.0))


class CountingCondition(threading.Condition):
    """A condition that counts how often a waiter went to sleep on it and how often one woke up."""

    def __init__(self) -> None:
        super().__init__()
        self.waits = self.wakeups = 0

    def wait(self, timeout=None):
        self.waits += 1  # under the condition's lock, like the wake-up count
        try:
            return super().wait(timeout)
        finally:
            self.wakeups += 1


def test_cap_queues_jobs_first_come_first_served():
    reg = JobRegistry(max_running=1, turn_s=0)
    first = reg.start("a", tiny_config(epochs=10_000))
    assert wait_for(lambda: first.snapshot().status == "running")
    second = reg.start("b", tiny_config())
    third = reg.start("c", tiny_config())
    assert wait_for(lambda: third.snapshot().queue_position == 2)
    snap = second.snapshot()
    assert snap.status == "queued" and snap.queue_position == 1 and snap.step == 0
    assert reg.counts() == {"training": 1, "queued": 2, "ended": 0}
    first.stop(join_timeout=JOIN_S)
    second.thread.join(JOIN_S)
    third.thread.join(JOIN_S)
    assert second.snapshot().status == third.snapshot().status == "completed"
    assert second.snapshot().elapsed_s >= 0 and third.snapshot().queue_position == 0
    reg.shutdown()


def test_a_job_stopped_while_queued_never_trains():
    reg = JobRegistry(max_running=1)
    first = reg.start("a", tiny_config(epochs=10_000))
    waiting = reg.start("b", tiny_config())
    assert wait_for(lambda: waiting.snapshot().status == "queued")
    assert waiting.stop(join_timeout=JOIN_S)
    snap = waiting.snapshot()
    assert snap.status == "stopped" and snap.step == 0 and snap.started is None
    assert first.alive
    reg.shutdown()


def test_owners_cannot_reach_each_others_jobs():
    reg = JobRegistry(max_running=2)
    a = reg.start("session-a:mlp", tiny_config(epochs=10_000))
    assert reg.get("session-b:mlp") is None
    reg.discard("session-b:mlp")  # discarding someone else's key is a no-op
    assert a.alive and reg.get("session-a:mlp") is a
    reg.shutdown()


def test_max_running_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PLAYGROUND_SETTINGS", str(tmp_path / "empty.toml"))
    (tmp_path / "empty.toml").write_text("")
    monkeypatch.setenv("PLAYGROUND_MAX_JOBS", "3")
    assert default_max_running() == 3
    monkeypatch.setenv("PLAYGROUND_MAX_JOBS", "zero")
    with pytest.warns(UserWarning, match="PLAYGROUND_MAX_JOBS"):
        assert default_max_running() >= 1
    monkeypatch.delenv("PLAYGROUND_MAX_JOBS")
    assert default_max_running() >= 1
    assert default_max_running(Settings(max_jobs=7)) == 7


def test_registry_takes_its_limits_from_the_settings():
    reg = JobRegistry(settings=Settings(max_jobs=2, session_grace_s=5, max_params=10, max_job_seconds=3))
    assert reg.queue.max_running == 2 and reg.grace_s == 5
    assert reg.limits == Limits(max_params=10, max_seconds=3)
    explicit = JobRegistry(grace_s=1, max_running=4, settings=Settings(max_jobs=2, session_grace_s=5))
    assert explicit.queue.max_running == 4 and explicit.grace_s == 1


def test_queue_admits_again_after_a_failed_run():
    reg = JobRegistry(max_running=1)

    def broken(config, emit, control):
        time.sleep(0.05)
        raise RuntimeError("boom")

    bad = reg.start("a", tiny_config(), trainer=broken)
    good = reg.start("b", tiny_config())
    good.thread.join(JOIN_S)
    assert bad.snapshot().status == "failed" and good.snapshot().status == "completed"
    reg.shutdown()


def test_registry_keeps_one_job_per_owner_and_replaces_it():
    reg = JobRegistry()
    first = reg.start("a", tiny_config(epochs=10_000))
    second = reg.start("a", tiny_config())
    assert not first.alive and first.snapshot().status == "stopped"
    assert reg.get("a") is second and reg.get("b") is None
    reg.shutdown()


def test_registry_reaps_only_after_the_grace_period():
    reg = JobRegistry(grace_s=30, clock=lambda: 100.0)  # both jobs start, their owners alive, at t = 100 s
    job = reg.start("gone", tiny_config(epochs=10_000))
    keep = reg.start("here", tiny_config(epochs=10_000))
    alive = {"here"}.__contains__
    assert reg.reap(alive, now=101.0) == []  # just disconnected: within the grace period
    assert reg.reap(alive, now=120.0) == []
    assert reg.reap(lambda o: True, now=125.0) == []  # reconnected: absence counts from here again
    assert reg.reap(alive, now=130.0) == []
    assert reg.reap(alive, now=154.9) == []
    assert reg.reap(alive, now=155.0) == ["gone"]  # 30 s after it was last seen alive
    assert not job.alive and reg.get("gone") is None and keep.alive
    reg.shutdown()
    assert not keep.alive


@pytest.mark.parametrize("left_at", [10.0, 10.01, 10.5, 10.99])
def test_reaping_counts_absence_from_when_the_owner_was_last_seen(left_at):
    """Passes every second, as the app's reaper does: the job is stopped within a second of the grace
    period after its owner left: never more than a second early, never more than a second late."""
    grace, every = 5.0, 1.0
    reg = JobRegistry(grace_s=grace, max_running=1, clock=lambda: 0.0)
    job = reg.start("owner", tiny_config(), trainer=idle, paused=True)
    passes = [every * i for i in range(1, 30)]
    reaped_at = next(t for t in passes if reg.reap(lambda o, t=t: t < left_at, now=t))  # alive until left_at
    assert grace - every <= reaped_at - left_at <= grace + every
    assert reaped_at == max(t for t in passes if t < left_at) + grace  # from the last pass that saw it
    assert job.thread.join(JOIN_S) is None and not job.alive and reg.get("owner") is None
    reg.shutdown()


def test_reaping_an_owner_no_pass_saw_counts_from_the_start_of_its_job():
    reg = JobRegistry(grace_s=5, max_running=2, clock=lambda: 100.0)
    job = reg.start("gone", tiny_config(), trainer=idle, paused=True)
    assert reg.reap(lambda o: False, now=103.0) == []  # the first pass already finds it gone
    assert reg.reap(lambda o: False, now=105.0) == ["gone"]  # 5 s after it started the job, not after 103
    job.thread.join(JOIN_S)
    assert not job.alive
    reg.shutdown()


def test_shutdown_stops_and_joins_every_thread():
    reg = JobRegistry(max_running=3)
    started = [reg.start(f"o{i}", tiny_config(epochs=10_000)) for i in range(3)]
    assert wait_for(lambda: all(j.snapshot().step > 0 for j in started))
    reg.shutdown(timeout=JOIN_S)
    assert not any(j.alive for j in started)
    assert all(j.snapshot().status == "stopped" for j in started)
    assert reg.counts() == {"training": 0, "queued": 0, "ended": 0}


def test_limits_stop_big_models_and_long_runs():
    from playground.mlp.config import MLPConfig, MLPRunConfig

    reg = JobRegistry(max_running=2, limits=Limits(max_params=1000, max_seconds=0.5))
    big = reg.start("big", MLPRunConfig(model=MLPConfig(hidden_sizes=(64, 64), activations=("relu", "relu"))))
    long = reg.start("long", tiny_config(epochs=10_000))
    big.thread.join(JOIN_S)
    long.thread.join(JOIN_S)
    b, lo = big.snapshot(), long.snapshot()
    assert b.status == "failed" and "4,482 parameters" in b.message and "at most 1,000" in b.message
    assert b.step == 0
    assert lo.status == "stopped" and "limit of" in lo.message and lo.step > 0 and lo.elapsed_s < 5
    reg.shutdown()


def test_time_paused_does_not_count_against_the_time_limit():
    reg = JobRegistry(max_running=1, limits=Limits(max_params=100_000, max_seconds=1.0))
    job = reg.start("paused", tiny_config(epochs=10_000))
    assert wait_for(lambda: job.snapshot().step > 0)
    job.pause()
    time.sleep(1.5)  # paused for longer than the whole limit
    step = job.snapshot().step
    assert job.snapshot().limit_s_left is not None
    job.resume()
    assert wait_for(lambda: job.snapshot().step > step + 10)
    assert job.snapshot().status == "running"  # before: stopped at the first step after Resume
    job.thread.join(JOIN_S)
    snap = job.snapshot()
    assert snap.status == "stopped" and "limit of 1 second of training per run" in snap.message
    assert snap.elapsed_s > 2.4  # wall time: about 1 s of training and the 1.5 s pause
    reg.shutdown()


def test_limits_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PLAYGROUND_SETTINGS", str(tmp_path / "empty.toml"))
    (tmp_path / "empty.toml").write_text("")
    monkeypatch.setenv("PLAYGROUND_MAX_PARAMS", "1234")
    monkeypatch.setenv("PLAYGROUND_MAX_JOB_SECONDS", "nope")
    with pytest.warns(UserWarning, match="PLAYGROUND_MAX_JOB_SECONDS"):
        limits = Limits.from_settings()
    assert limits == Limits(max_params=1234, max_seconds=600.0)
    assert Limits.from_settings(Settings(max_params=9, max_job_seconds=2.5)) == Limits(9, 2.5)


def test_wait_first_evaluation_does_not_wait_for_a_queued_job():
    reg = JobRegistry(max_running=1)
    first = reg.start("a", tiny_config(epochs=10_000))
    waiting = reg.start("b", tiny_config())
    assert wait_for(lambda: waiting.snapshot().status == "queued")
    t0 = time.monotonic()
    assert not waiting.wait_first_evaluation(5.0)
    assert time.monotonic() - t0 < 1.0
    assert first.wait_first_evaluation(JOIN_S)
    reg.shutdown()


def test_queued_jobs_sleep_until_a_job_leaves_or_they_are_stopped():
    """No timer: a queued thread wakes only when a job leaves or it is stopped. The old queue polled its
    condition every 0.2 s, so it would count a few wake-ups in the pause below."""
    reg = JobRegistry(max_running=1, turn_s=0)  # first come, first served (turns wake the first in line on a timer)
    cond = reg.queue._cond = CountingCondition()
    first = reg.start("a", tiny_config(), trainer=idle, paused=True)
    assert wait_for(lambda: reg.queue.counts() == (1, 0))
    second = reg.start("b", tiny_config(), trainer=idle, paused=True)
    third = reg.start("c", tiny_config(), trainer=idle, paused=True)
    assert wait_for(lambda: cond.waits == 2)  # both queued threads asleep
    assert third.snapshot().queue_position == 2
    time.sleep(0.5)
    assert cond.wakeups == 0

    assert third.stop(join_timeout=JOIN_S)  # the stop itself wakes it: nothing else would
    snap = third.snapshot()
    assert snap.status == "stopped" and snap.started is None and snap.step == 0
    assert second.snapshot().queue_position == 1 and first.alive and second.alive

    first.stop(join_timeout=JOIN_S)  # leaving admits the next in line
    assert wait_for(lambda: reg.queue.counts() == (1, 0) and second.snapshot().queue_position == 0)
    reg.shutdown(timeout=JOIN_S)
    assert not any(j.alive for j in (first, second, third))


def test_shutdown_ends_queued_jobs_without_waiting_for_a_place():
    reg = JobRegistry(max_running=1)
    running = reg.start("a", tiny_config(), trainer=idle, paused=True)
    queued = [reg.start(f"q{i}", tiny_config(), trainer=idle, paused=True) for i in range(5)]
    assert wait_for(lambda: reg.queue.counts() == (1, 5))
    reg.shutdown(timeout=JOIN_S)
    assert not running.alive and not any(j.alive for j in queued)
    assert all(j.snapshot().status == "stopped" and j.snapshot().started is None for j in queued)


def test_reaping_returns_cached_gpu_memory(monkeypatch):
    import torch

    emptied = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: emptied.append("cuda"))
    reg = JobRegistry(grace_s=0, clock=lambda: 0.0)
    job = reg.start("gone", tiny_config(epochs=10_000))
    assert reg.reap(lambda owner: False, now=1.0) == ["gone"]
    assert not job.alive and emptied == ["cuda"]


def test_limits_describe_short_runs_in_seconds():
    assert Limits(max_params=1_000, max_seconds=600).describe() == (
        "at most 1,000 parameters and 10 minutes of training per run")
    assert Limits(max_params=1_000, max_seconds=3).describe() == (
        "at most 1,000 parameters and 3 seconds of training per run")
    assert Limits(max_params=1_000, max_seconds=90).duration() == "90 seconds"  # not "1.5 minutes"
    assert Limits(max_params=1_000, max_seconds=1).duration() == "1 second"


@pytest.mark.parametrize("cores, gpus, expected", [(1, 0, 1), (2, 0, 1), (16, 0, 8), (None, 0, 1), (16, 2, 2)])
def test_default_cap_is_one_job_per_gpu_else_per_two_cores(monkeypatch, cores, gpus, expected):
    import os

    import torch

    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: gpus)
    assert default_max_running(Settings()) == expected


def test_a_paused_job_lends_its_place_and_takes_the_next_one_on_resume():
    reg = JobRegistry(max_running=1, turn_s=0)
    a = reg.start("a", tiny_config(epochs=10_000))
    assert wait_for(lambda: a.snapshot().step > 0)
    b = reg.start("b", tiny_config(), trainer=idle)
    assert wait_for(lambda: b.snapshot().status == "queued")
    a.pause()
    assert wait_for(lambda: reg.queue.position(b) == 0 and reg.queue.counts() == (1, 0))  # b trains in a's place
    assert a.snapshot().status == "paused" and a.alive
    a.resume()
    assert wait_for(lambda: a.snapshot().status == "waiting")
    c = reg.start("c", tiny_config(), trainer=idle)
    assert wait_for(lambda: c.snapshot().queue_position == 2)
    snap = a.snapshot()
    assert snap.queue_position == 1 and snap.eta_s is None  # back from a pause: ahead of c, which never trained
    step = snap.step
    b.stop(join_timeout=JOIN_S)
    assert wait_for(lambda: a.snapshot().step > step and a.snapshot().status == "running")
    assert c.snapshot().status == "queued" and c.snapshot().queue_position == 1
    reg.shutdown(timeout=JOIN_S)


def test_step_while_paused_waits_for_a_place_and_takes_exactly_one_step():
    reg = JobRegistry(max_running=1)
    a = reg.start("a", tiny_config(epochs=10_000))
    assert wait_for(lambda: a.snapshot().step > 0)
    a.pause()
    b = reg.start("b", tiny_config(), trainer=idle)
    assert wait_for(lambda: reg.queue.counts() == (1, 0) and b.snapshot().queue_position == 0)
    step = a.snapshot().step
    a.step()
    assert wait_for(lambda: a.snapshot().queue_position == 1)  # the single step needs a place too
    snap = a.snapshot()
    assert snap.step == step and snap.status == "waiting"  # not "paused": the page says it waits for a place
    b.stop(join_timeout=JOIN_S)
    assert wait_for(lambda: a.snapshot().step == step + 1 and reg.queue.counts() == (0, 0))  # then lends it again
    assert a.snapshot().status == "paused"
    reg.shutdown(timeout=JOIN_S)


def test_time_waiting_for_a_place_after_resume_is_not_training_time():
    reg = JobRegistry(max_running=1, limits=Limits(max_params=100_000, max_seconds=1.0), turn_s=0)
    a = reg.start("a", tiny_config(epochs=10_000))
    assert wait_for(lambda: a.snapshot().step > 0)
    a.pause()
    b = reg.start("b", tiny_config(), trainer=idle)
    assert wait_for(lambda: reg.queue.counts() == (1, 0))
    a.resume()
    time.sleep(1.5)  # waiting for b's place for longer than the whole limit
    assert a.snapshot().status == "waiting" and a.snapshot().limit_s_left > 0
    step = a.snapshot().step
    b.stop(join_timeout=JOIN_S)
    assert wait_for(lambda: a.snapshot().step > step + 10)
    assert a.snapshot().status == "running"  # not stopped at its first step back
    a.thread.join(JOIN_S)
    assert "limit of 1 second" in a.snapshot().message and a.control.waited_s > 1.4
    reg.shutdown()


@pytest.mark.parametrize("left, ahead, places, wait", [
    ([], [], 1, 0.0), ([30.0], [], 1, 30.0), ([30.0], [10.0, 20.0], 1, 60.0), ([30.0, 5.0], [10.0], 2, 15.0),
    ([30.0], [], 2, 0.0), ([30.0, 5.0, 8.0], [], 2, 8.0),  # the cap was lowered: two must end first
])
def test_queue_wait_is_the_time_until_a_place_after_the_jobs_ahead(left, ahead, places, wait):
    assert queue_wait_s(left, ahead, places) == pytest.approx(wait)


def test_a_queued_job_estimates_its_wait_from_the_jobs_ahead():
    reg = JobRegistry(max_running=1, limits=Limits(max_params=100_000, max_seconds=100), turn_s=0)
    running = reg.start("a", tiny_config(), trainer=idle)  # no rate yet: the time limit
    assert wait_for(lambda: reg.queue.counts() == (1, 0))
    second = reg.start("b", tiny_config(), trainer=idle)
    third = reg.start("c", tiny_config(), trainer=idle)
    assert wait_for(lambda: third.snapshot().queue_position == 2)
    assert second.snapshot().queue_wait_s == pytest.approx(100) and third.snapshot().queue_wait_s == pytest.approx(200)
    for trained in (4.0, 10.0, 30.0):  # runs that ended: a run that has not trained yet takes their median
        reg.queue.leave(Job(tiny_config()), trained_s=trained)
    assert third.snapshot().queue_wait_s == pytest.approx(20)
    assert running.snapshot().queue_wait_s is None
    reg.shutdown(timeout=JOIN_S)


def test_a_reaped_run_is_kept_small_for_its_owner_with_the_reason():
    reg = JobRegistry(grace_s=10, max_running=2, clock=lambda: 0.0)
    job = reg.start("gone", tiny_config(epochs=10_000))
    assert wait_for(lambda: job.snapshot().step > 0 and job.snapshot().state is not None)
    assert reg.reap(lambda o: False, now=10.0) == ["gone"]
    kept, final = reg.reaped("gone"), job.snapshot()
    assert kept.message == "Your run was stopped after the connection was lost for more than 10 s."
    assert kept.status == "stopped" and kept.step == final.step and len(kept.evals) == len(final.evals) > 0
    assert kept.state is None and kept.history == () and kept.views is None
    assert kept.step_x[-1] == final.step_x[-1] and len(kept.step_x) == min(len(final.step_x), KEPT_POINTS)
    assert reg.reaped("other") is None
    reg.start("gone", tiny_config(), trainer=idle)  # a new Train forgets it
    assert reg.reaped("gone") is None
    reg.shutdown(timeout=JOIN_S)


def test_reaped_runs_are_bounded_in_number_and_time(monkeypatch):
    import playground.registry as registry

    monkeypatch.setattr(registry, "KEPT_RUNS", 2)
    reg = JobRegistry(grace_s=0, max_running=3, clock=lambda: 0.0)
    for owner in ("a", "b", "c"):
        reg.start(owner, tiny_config(), trainer=idle)
    assert sorted(reg.reap(lambda o: o != "a", now=1.0)) == ["a"]
    reg.reap(lambda o: False, now=2.0)
    assert reg.reaped("a") is None and reg.reaped("b") and reg.reaped("c")  # the oldest went first
    reg.reap(lambda o: False, now=2.0 + registry.KEPT_S)
    assert reg.reaped("b") is None and reg.reaped("c") is None
    reg.shutdown(timeout=JOIN_S)


def test_a_run_that_ended_before_its_owner_was_reaped_keeps_its_status_and_message():
    reg = JobRegistry(grace_s=5, max_running=1, limits=Limits(max_params=10, max_seconds=600), clock=lambda: 0.0)
    job = reg.start("gone", tiny_config())
    job.thread.join(JOIN_S)
    assert reg.reap(lambda o: False, now=5.0) == ["gone"]
    kept = reg.reaped("gone")
    assert kept.status == "failed" and "at most 10" in kept.message  # the run's own end, not a stop
    assert kept.message.endswith("Its weights and views were freed after the connection was lost for more than 5 s.")
    reg.discard("gone")  # Reset forgets it
    assert reg.reaped("gone") is None


def test_a_run_over_the_memory_budget_fails_before_it_queues_or_trains():
    """The last line of defence behind the pages and the command line: the job ends as failed with the
    estimate's message, without taking a training place or calling its trainer."""
    calls: list[object] = []

    def trainer(config, emit, control, **_):
        calls.append(config)

    reg = JobRegistry(max_running=1, limits=Limits(max_memory_mb=1))
    job = reg.start("big", tiny_config(), trainer=trainer)
    job.thread.join(JOIN_S)
    snap = job.snapshot()
    assert snap.status == "failed" and snap.step == 0 and not calls
    assert snap.message.startswith("This run would need about") and "this server allows 1 MB per run" in snap.message
    assert reg.queue.counts() == (0, 0)
    reg.shutdown()


def test_limits_take_the_memory_budget_from_the_settings():
    assert Limits.from_settings(Settings(max_run_memory_mb=300)).max_memory_mb == 300
    assert Limits().max_memory_mb == Settings().max_run_memory_mb == 256
