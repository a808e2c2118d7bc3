import time

import pytest

from playground import registry
from playground.limits import Limits
from playground.registry import JobRegistry, default_max_running
from tests.conftest import tiny_config
from tests.playground.test_jobs import JOIN_S, wait_for


def test_cap_queues_jobs_first_come_first_served():
    reg = JobRegistry(max_running=1)
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


def test_max_running_from_the_environment(monkeypatch):
    monkeypatch.setenv(registry.ENV_MAX_JOBS, "3")
    assert default_max_running() == 3
    monkeypatch.setenv(registry.ENV_MAX_JOBS, "zero")
    with pytest.warns(UserWarning, match="PLAYGROUND_MAX_JOBS"):
        assert default_max_running() >= 1
    monkeypatch.delenv(registry.ENV_MAX_JOBS)
    assert default_max_running() >= 1


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
    reg = JobRegistry(grace_s=30)
    job = reg.start("gone", tiny_config(epochs=10_000))
    keep = reg.start("here", tiny_config(epochs=10_000))
    alive = {"here"}.__contains__
    assert reg.reap(alive, now=100.0) == []  # just disconnected: within the grace period
    assert reg.reap(alive, now=120.0) == []
    assert reg.reap(lambda o: True, now=125.0) == []  # reconnected: the clock restarts
    assert reg.reap(alive, now=130.0) == []
    assert reg.reap(alive, now=160.0) == ["gone"]
    assert not job.alive and reg.get("gone") is None and keep.alive
    reg.shutdown()
    assert not keep.alive


def test_shutdown_stops_and_joins_every_thread():
    reg = JobRegistry(max_running=3)
    started = [reg.start(f"o{i}", tiny_config(epochs=10_000)) for i in range(3)]
    assert wait_for(lambda: all(j.snapshot().step > 0 for j in started))
    reg.shutdown(timeout=JOIN_S)
    assert not any(j.alive for j in started)
    assert all(j.snapshot().status == "stopped" for j in started)
    assert reg.counts() == {"training": 0, "queued": 0, "ended": 0}


def test_limits_stop_big_models_and_long_runs():
    from playground.config import MLPConfig, RunConfig

    reg = JobRegistry(max_running=2, limits=Limits(max_params=1000, max_seconds=0.5))
    big = reg.start("big", RunConfig(model=MLPConfig(hidden_sizes=(64, 64), activations=("relu", "relu"))))
    long = reg.start("long", tiny_config(epochs=10_000))
    big.thread.join(JOIN_S)
    long.thread.join(JOIN_S)
    b, lo = big.snapshot(), long.snapshot()
    assert b.status == "failed" and "4,482 parameters" in b.message and "at most 1,000" in b.message
    assert b.step == 0
    assert lo.status == "stopped" and "limit of" in lo.message and lo.step > 0 and lo.elapsed_s < 5
    reg.shutdown()


def test_limits_from_the_environment(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_MAX_PARAMS", "1234")
    monkeypatch.setenv("PLAYGROUND_MAX_JOB_SECONDS", "nope")
    with pytest.warns(UserWarning, match="PLAYGROUND_MAX_JOB_SECONDS"):
        limits = Limits.from_env()
    assert limits == Limits(max_params=1234, max_seconds=600.0)


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
