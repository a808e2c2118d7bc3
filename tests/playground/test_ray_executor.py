"""The Ray executor on one local Ray instance shared by the session (tests/conftest.py's `ray_executor`).

The instance takes about ten seconds to start and each actor a few more (it imports torch), so these tests reuse
it and its pooled actors; the one that shuts the executor down runs last in this file.
"""

import json
import os
import signal
import time
from collections import deque

import pytest

from playground import executors
from playground.jobs import Job
from playground.registry import JobRegistry, RunQueue
from playground.settings import Settings
from tests.conftest import tiny_config

ray = pytest.importorskip("ray")


def wait_for(predicate, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        time.sleep(0.05)


def long_config():
    return tiny_config(epochs=2000)  # ~26,000 steps: far longer than any of these tests lets it train


def test_a_ray_run_matches_a_thread_run_of_the_same_seed(ray_executor):
    config = tiny_config(epochs=3)
    in_thread = Job(config).start()
    in_actor = Job(config, executor=ray_executor).start()
    for job in (in_thread, in_actor):
        job.thread.join(120)
    ours, theirs = in_thread.snapshot(), in_actor.snapshot()
    assert theirs.status == ours.status == "completed"
    assert theirs.step == ours.step > 0
    assert [(e.step, e.train_loss, e.test_loss, e.test_metric) for e in theirs.evals] == [
        (e.step, e.train_loss, e.test_loss, e.test_metric) for e in ours.evals]
    assert (theirs.step_loss == ours.step_loss).all()
    assert in_thread.placement.executor == "thread" and in_thread.placement.worker_pid == os.getpid()
    assert in_actor.placement.executor == "ray" and in_actor.placement.worker_pid != os.getpid()


def final_evaluation(config, executor=None, **inputs):
    job = Job(config, executor=executor, **inputs).start()
    job.thread.join(120)
    snap = job.snapshot()
    assert snap.status == "completed", snap.message
    last = snap.evals[-1]
    return snap.step, last.train_loss, last.test_loss, last.test_metric, job.placement.executor


def test_an_uploaded_table_and_an_attention_run_cross_to_the_actor(ray_executor):
    """The inputs (a pandas table) and every event, views included, pickle to and from the actor."""
    import dataclasses

    import numpy as np
    import pandas as pd

    from playground.attention.config import AttentionRunConfig, AttentionTrainConfig, TaskConfig, TransformerConfig
    from playground.mlp.config import DataConfig, MLPRunConfig

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    table = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "label": np.where(x[:, 0] > 0, "yes", "no")})
    csv = MLPRunConfig(data=DataConfig(dataset="csv", target="label"),
                       training=dataclasses.replace(MLPRunConfig().training, epochs=5))
    attention = AttentionRunConfig(TaskConfig("reverse", seq_len=6, vocab_size=10),
                                   TransformerConfig(d_model=16, n_heads=2, n_layers=1, d_ff=32, context=16),
                                   AttentionTrainConfig(batch_size=16, steps=20, eval_every=10))
    for config, inputs in [(csv, {"table": table}), (attention, {})]:
        *in_thread, _ = final_evaluation(config, **inputs)
        *in_actor, executor = final_evaluation(config, ray_executor, **inputs)
        assert executor == "ray" and in_actor == in_thread


def test_a_sweep_trains_in_an_actor_as_in_a_thread(ray_executor):
    from playground import sweep as sweeps

    sweep = sweeps.Sweep(tiny_config(epochs=2), "learning_rate", (0.05, 0.01))
    ends = []
    for executor in (None, ray_executor):
        job = Job(sweep, trainer=sweeps.train, log_type=sweeps.SweepRunLog, executor=executor).start()
        job.thread.join(120)
        snap = job.snapshot()
        assert snap.status == "completed", snap.message
        ends.append((snap.step, [(e.step, e.train_loss, e.test_metric) for e in snap.evals], job.placement.executor))
    (thread_steps, thread_evals, _), (ray_steps, ray_evals, where) = ends
    assert where == "ray" and ray_steps == thread_steps > 0 and ray_evals == thread_evals


def test_pause_lends_the_place_and_step_resume_stop_reach_the_actor(ray_executor):
    reg = JobRegistry(max_running=1, executor=ray_executor, settings=Settings(), turn_s=0)
    job = reg.start("a", long_config(), paused=True)
    wait_for(lambda: job.snapshot().status == "paused", what="paused before its first step")
    assert job.snapshot().step == 0
    wait_for(lambda: reg.queue.counts() == (0, 0), what="the paused job lending its place")
    job.step()
    wait_for(lambda: job.snapshot().step == 1 and job.snapshot().status == "paused", what="one single step")
    job.resume()
    wait_for(lambda: job.snapshot().step > 50, what="training after Resume")
    assert job.snapshot().status == "running" and reg.queue.counts() == (1, 0)
    job.pause()
    wait_for(lambda: job.snapshot().status == "paused" and reg.queue.counts() == (0, 0), what="paused again")
    held = job.snapshot().step
    time.sleep(0.5)
    assert job.snapshot().step == held  # the actor waits at a step boundary
    assert job.stop(join_timeout=30)
    assert job.snapshot().status == "stopped" and job.snapshot().step == held


def test_runs_on_actors_take_turns_at_one_place(ray_executor):
    reg = JobRegistry(max_running=1, executor=ray_executor, settings=Settings(), turn_s=0.3)
    first = reg.start("a", long_config())
    wait_for(lambda: first.snapshot().step > 0, what="the first run training")
    second = reg.start("b", long_config())
    wait_for(lambda: second.snapshot().step > 20, timeout=30, what="the second run's turn")
    held = first.snapshot().step
    wait_for(lambda: first.snapshot().step > held, timeout=30, what="the first run's next turn")
    assert first.snapshot().status == second.snapshot().status == "running"
    for job in (first, second):
        assert job.stop(join_timeout=30) and job.snapshot().status == "stopped"


def test_live_setting_changes_and_a_schedule_reach_the_actor(ray_executor):
    job = Job(long_config(), executor=ray_executor, limits=None)
    job.set_setting("learning_rate", 0.2, after_step=30)  # a schedule: queued before the run starts
    job.start()
    wait_for(lambda: job.snapshot().step > 40, what="training past the scheduled step")
    job.set_setting("weight_decay", 0.001)  # a live change
    wait_for(lambda: len(job.snapshot().changes) == 2, what="both changes applied in the actor")
    scheduled, live = job.snapshot().changes
    assert (scheduled.name, scheduled.new, scheduled.step) == ("learning_rate", 0.2, 30)
    assert (live.name, live.new) == ("weight_decay", 0.001) and live.step > 40
    assert job.stop(join_timeout=30)


def test_a_watched_run_in_an_actor_captures_frames_and_an_unwatched_one_none(ray_executor):
    """A page's reads (Job.snapshot -> Control.watch) reach the actor, whose trainer then captures frames."""
    from playground.events import FrameCaptured

    watched = Job(long_config(), executor=ray_executor).start()
    wait_for(lambda: len(watched.snapshot().frames) >= 3, what="three frames of a watched run")  # reading watches
    assert all(isinstance(f, FrameCaptured) and f.frame.boundary.dtype.name == "uint8"
               for f in watched.snapshot().frames)
    assert watched.stop(join_timeout=60)
    unwatched = Job(tiny_config(epochs=20), executor=ray_executor).start()
    unwatched.thread.join(120)
    assert unwatched._log.frames == deque([], maxlen=unwatched._log.frames.maxlen)  # never read while it trained


def test_a_killed_worker_fails_its_job_and_the_others_go_on(ray_executor):
    doomed = Job(long_config(), executor=ray_executor).start()
    wait_for(lambda: doomed.snapshot().step > 20, what="the doomed run training")
    other = Job(tiny_config(epochs=3), executor=ray_executor).start()
    os.kill(doomed.placement.worker_pid, signal.SIGKILL)
    doomed.thread.join(60)
    snap = doomed.snapshot()
    assert snap.status == "failed"
    assert "The Ray worker training this run" in snap.message and "died" in snap.message
    assert f"process {doomed.placement.worker_pid}" in snap.message
    other.thread.join(120)
    assert other.snapshot().status == "completed"
    after = Job(tiny_config(epochs=1), executor=ray_executor).start()  # the executor starts a new actor
    after.thread.join(120)
    assert after.snapshot().status == "completed"


def test_the_cap_follows_the_clusters_cpus(ray_executor):
    cpus = int(ray.cluster_resources()["CPU"])
    assert ray_executor.slots() == cpus
    registry = JobRegistry(executor=ray_executor, settings=Settings())
    assert registry.queue.max_running == cpus
    assert type(registry.queue) is RunQueue  # no turns by default: a waiting run would hold a worker's CPU
    assert JobRegistry(executor=ray_executor, settings=Settings(max_jobs=5)).queue.max_running == 5
    assert f"{cpus} CPUs" in ray_executor.describe()


def test_the_command_line_names_the_executor_and_the_worker(ray_executor, capsys, monkeypatch):
    from playground import cli

    monkeypatch.setenv("PLAYGROUND_EXECUTOR", "ray")
    assert cli.main(["train", "--preset", "moons", "--set", "epochs=2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "completed" and result["executor"] == "ray"
    assert isinstance(result["worker_pid"], int) and result["worker_pid"] != os.getpid()
    monkeypatch.setenv("PLAYGROUND_EXECUTOR", "thread")
    assert cli.main(["train", "--preset", "moons", "--set", "epochs=1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["executor"] == "thread" and result["worker_pid"] == os.getpid()


def test_an_unreachable_cluster_falls_back_to_threads_with_a_warning(caplog):
    import socket

    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    with pytest.warns(UserWarning, match="Could not use the Ray cluster"):
        executor = executors.connect("ray", {"RAY_ADDRESS": f"127.0.0.1:{port}"})
    assert time.monotonic() - t0 < 10
    assert executor.name == "thread" and f"127.0.0.1:{port}" in executor.notice
    assert "threads of the server process" in executor.notice
    assert any("executor = ray" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    job = Job(tiny_config(epochs=1), executor=executor).start()
    job.thread.join(60)
    assert job.snapshot().status == "completed" and job.placement.executor == "thread"


def actors_alive() -> list:
    from ray._private import state

    return [a for a in state.actors().values() if a["State"] == "ALIVE"]


def test_shutdown_stops_every_actor(ray_executor):
    """Last in this file: it kills the pool, which later tests would have to start again."""
    reg = JobRegistry(max_running=2, executor=ray_executor, settings=Settings())
    job = reg.start("a", long_config())
    wait_for(lambda: job.snapshot().step > 0, what="training")
    assert actors_alive()
    pid = job.placement.worker_pid
    reg.shutdown()
    assert job.snapshot().status == "stopped"
    assert ray_executor.actors() == 0
    wait_for(lambda: not actors_alive(), timeout=20, what="every actor dead")
    wait_for(lambda: not _pid_alive(pid), timeout=20, what="the worker process gone")


def _pid_alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
