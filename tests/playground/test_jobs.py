import threading
import time

import numpy as np
import pytest

from playground import runlog
from playground.events import ACCURACY, EvalEnded, Metric, RunFailed, RunFinished, RunStarted, StepEnded
from playground.jobs import Job
from tests.conftest import tiny_config

ACCURACY_METRIC = Metric(ACCURACY, "accuracy")

JOIN_S = 10.0


def wait_for(predicate, timeout=JOIN_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_job_runs_to_completion_in_a_background_thread():
    job = Job(tiny_config()).start()
    assert job.thread is not threading.current_thread()
    job.thread.join(JOIN_S)
    snap = job.snapshot()
    assert snap.status == "completed" and not snap.active
    assert snap.step == snap.total_steps == 50 and snap.epoch == 5
    assert len(snap.step_loss) == 50 and len(snap.evals) == 5
    assert snap.evals[-1].views is None and snap.evals[-1].state is None  # heavy parts are kept once, not per eval
    assert snap.views.grid.values is not None and snap.state is not None
    assert snap.steps_per_second > 0 and snap.eta_s is None


@pytest.mark.parametrize(("finite_steps", "diverged_at", "epoch"), [(0, 1, 1), (10, 11, 2), (7, 8, 1)])
def test_the_step_that_diverged_counts_though_its_loss_is_not_logged(finite_steps, diverged_at, epoch):
    def diverging(config, emit, control):
        emit(RunStarted("cpu", 1, 10, 50, ACCURACY_METRIC))
        for step in range(1, finite_steps + 1):
            emit(StepEnded(step, (step - 1) // 10 + 1, 0.5))
        emit(RunFailed("diverged", f"The loss reached nan at step {diverged_at}.", diverged_at, 0.1))

    job = Job(tiny_config(), trainer=diverging).start()
    job.thread.join(JOIN_S)
    snap = job.snapshot()
    assert snap.status == "diverged" and len(snap.step_loss) == finite_steps
    assert (snap.step, snap.epoch) == (diverged_at, epoch)  # as the message says, not the last logged step


def test_final_steps_per_second_counts_training_time_not_set_up_or_pauses():
    def slow_set_up(config, emit, control):
        t0 = time.perf_counter()
        time.sleep(0.5)  # building data and model
        emit(RunStarted("cpu", 1, 100, 100, ACCURACY_METRIC))
        for i in range(1, 101):
            control.wait()  # the job starts paused: the first wait blocks until resume
            emit(StepEnded(i, 1, 1.0))
        time.sleep(0.1)
        emit(RunFinished("completed", 100, time.perf_counter() - t0))

    job = Job(tiny_config(), trainer=slow_set_up, paused=True).start()
    time.sleep(0.9)  # 0.5 s of set-up, then about 0.4 s paused before the first step
    job.resume()
    job.thread.join(JOIN_S)
    snap = job.snapshot()
    assert 0.4 <= snap.elapsed_s < 0.9 and 0.3 < job.control.waited_s < snap.elapsed_s - 0.1
    assert snap.steps_per_second == pytest.approx(100 / (snap.elapsed_s - job.control.waited_s))


def test_eval_series_are_the_evaluations_fields_in_order():
    job = Job(tiny_config()).start()
    job.thread.join(JOIN_S)
    snap = job.snapshot()
    for name in ("step", "epoch", "train_loss", "test_loss", "train_metric", "test_metric"):
        np.testing.assert_array_equal(snap.eval_series(name), [getattr(e, name) for e in snap.evals])
    assert snap.eval_series("epoch").tolist() == [1, 2, 3, 4, 5]
    empty = Job(tiny_config()).snapshot()  # not started: no evaluations
    assert empty.eval_series("test_loss").shape == (0,)
    with pytest.raises(ValueError, match="test_los"):
        snap.eval_series("test_los")


def test_snapshot_is_a_frozen_copy():
    job = Job(tiny_config()).start()
    job.thread.join(JOIN_S)
    snap = job.snapshot()
    with pytest.raises(AttributeError):
        snap.status = "running"
    snap.step_loss[:] = 0  # writing to the copy leaves the job's log alone
    assert job.snapshot().step_loss.any()


def test_pause_step_resume_and_stop():
    job = Job(tiny_config(epochs=10_000), paused=True).start()
    assert wait_for(lambda: job.snapshot().status == "paused")
    assert job.snapshot().step == 0
    job.step()
    assert wait_for(lambda: job.snapshot().step == 1)
    time.sleep(0.1)
    assert job.snapshot().step == 1  # still paused after the single step
    job.resume()
    assert wait_for(lambda: job.snapshot().step > 50)
    assert job.snapshot().status == "running" and job.snapshot().eta_s is not None
    assert job.stop(join_timeout=JOIN_S)
    assert job.snapshot().status == "stopped"


def test_a_raising_trainer_becomes_a_failed_job():
    def broken(config, emit, control):
        raise RuntimeError("boom")

    job = Job(tiny_config(), trainer=broken).start()
    job.thread.join(JOIN_S)
    snap = job.snapshot()
    assert snap.status == "failed" and "boom" in snap.message


def test_step_history_is_bounded(monkeypatch):
    monkeypatch.setattr(runlog, "MAX_STEP_POINTS", 100)

    def many_steps(config, emit, control):
        emit(RunStarted("cpu", 1, 1000, 1000, ACCURACY_METRIC))
        for i in range(1, 1001):
            emit(StepEnded(i, 1, float(i)))
        emit(RunFinished("completed", 1000, 1.0))

    job = Job(tiny_config(), trainer=many_steps).start()
    job.thread.join(JOIN_S)
    snap = job.snapshot()
    assert len(snap.step_x) <= 101 and snap.step_x[0] < 10 and snap.step_x[-1] > 900
    assert np.all(np.diff(snap.step_x) > 0)
    # pairwise averaging keeps the mean of the series
    assert abs(snap.step_loss[:-1].mean() - 500.5) < 10  # equal-width buckets keep the mean


@pytest.mark.parametrize("cap", [5, 100])  # halving 6 points (even) or 101 (odd, the last one kept as it is)
@pytest.mark.parametrize("n_steps", [0, 1, 7, 100, 101, 102, 203, 1000, 4099])
def test_step_log_matches_pairwise_averaging_of_every_step(n_steps, cap):
    """StepLog against the plain rule: a point per `stride` steps, pairs averaged past the cap, stride doubled."""
    rng = np.random.default_rng(n_steps)
    losses = rng.exponential(size=n_steps)
    log = runlog.StepLog(max_points=cap)
    points, pending, stride = [], [], 1
    for step, loss in enumerate(losses, 1):
        log.add(step, float(loss))
        pending.append((step, loss))
        if len(pending) == stride:
            points.append(np.mean(pending, axis=0))
            pending = []
            if len(points) > cap:
                even = len(points) // 2 * 2
                points = [(points[i] + points[i + 1]) / 2 for i in range(0, even, 2)] + points[even:]
                stride *= 2
    expected = np.array(points + ([np.mean(pending, axis=0)] if pending else [])).reshape(-1, 2)
    x, y = log.arrays()
    np.testing.assert_allclose(x, expected[:, 0])
    np.testing.assert_allclose(y, expected[:, 1])
    assert len(x) <= cap + 1 and (n_steps == 0 or x[-1] <= n_steps)
    x[:] = -1  # a copy: the log is unchanged
    assert not np.any(log.arrays()[0] == -1)


def test_step_log_needs_room_for_a_point():
    with pytest.raises(ValueError, match="at least 1"):
        runlog.StepLog(max_points=0)


def test_view_history_is_bounded_and_keeps_the_newest(monkeypatch):
    monkeypatch.setattr(runlog, "MAX_SNAPSHOTS", 10)

    def many_views(config, emit, control):
        emit(RunStarted("cpu", 1, 1, 100, ACCURACY_METRIC))
        for i in range(1, 101):
            emit(EvalEnded(i, i, 1.0, 1.0, 0.5, 0.5, {"attention": np.full((1, 1, 2, 2), i)}))
        emit(RunFinished("completed", 100, 1.0))

    job = Job(tiny_config(), trainer=many_views).start()
    job.thread.join(JOIN_S)
    history = job.snapshot().history
    assert len(history) <= 10 and history[-1][0] == 100 and history[0][0] < 20


def test_wait_first_evaluation_returns_once_there_are_points():
    job = Job(tiny_config(epochs=10_000)).start()
    assert job.wait_first_evaluation(JOIN_S)
    snap = job.snapshot()
    assert len(snap.evals) >= 1 and snap.step >= 1 and snap.status == "running"
    job.stop(join_timeout=JOIN_S)


def test_wait_first_evaluation_times_out_while_paused_and_returns_at_the_end():
    job = Job(tiny_config(), paused=True).start()
    t0 = time.monotonic()
    assert not job.wait_first_evaluation(0.2)  # paused before the first step: no evaluation comes
    assert 0.2 <= time.monotonic() - t0 < 2.0
    job.stop(join_timeout=JOIN_S)
    assert job.wait_first_evaluation(0.0)  # ended: nothing more to wait for
    assert job.snapshot().evals == ()


def test_trains_compares_the_config_and_takes_inputs_by_identity():
    import dataclasses

    table = object()
    cfg = tiny_config()
    job = Job(cfg, trainer=lambda config, emit, control, table: None, table=table)
    assert job.trains(cfg, table=table)
    assert job.trains(dataclasses.replace(cfg), table=table)  # an equal config
    assert not job.trains(cfg, table=object())  # other data, however alike
    assert not job.trains(cfg) and not job.trains(None, table=table)
    other = dataclasses.replace(cfg, training=dataclasses.replace(cfg.training, epochs=cfg.training.epochs + 1))
    assert not job.trains(other, table=table)


def test_a_watched_job_keeps_its_newest_frames_for_the_page():
    job = Job(tiny_config(epochs=60, batch_size=4)).start()
    seen = set()
    while job.alive:  # reading snapshots is watching: the trainer captures frames meanwhile
        seen.update(f.index for f in job.snapshot().frames)
        time.sleep(0.01)
    snap = job.snapshot()
    assert snap.status == "completed" and snap.frames and len(snap.frames) <= runlog.MAX_FRAMES
    indices = [f.index for f in snap.frames]
    assert indices == sorted(indices) and snap.frames[-1].step == snap.step  # the last after the last step
    assert len(seen) >= 2
