"""Tests for playground.runlog: the run's log as a pure fold of events, without threads."""

import numpy as np

from playground import runlog
from playground.events import ACCURACY, EvalEnded, Metric, RunFailed, RunFinished, RunStarted, StepEnded
from playground.runlog import RunLog

ACCURACY_METRIC = Metric(ACCURACY, "accuracy")


def test_steps_evaluations_and_the_end_fold_into_the_log():
    log = RunLog(t0=0.0)
    log.add(RunStarted("cpu", 10, 4, 8, ACCURACY_METRIC), now=1.0)
    assert log.t0 == 1.0 and log.epoch == 0
    for step in range(1, 5):
        log.add(StepEnded(step, 1, 1.0 / step), now=1.0 + step)
    log.add(EvalEnded(4, 1, 0.3, 0.4, 0.8, 0.7, {"grid": np.zeros(2)}, {"w": np.ones(1)}), now=5.5)
    assert (log.step, log.epoch) == (4, 1)
    x, y = log.steps.arrays()
    np.testing.assert_allclose(x, [1, 2, 3, 4])
    np.testing.assert_allclose(y, [1, 1 / 2, 1 / 3, 1 / 4])
    assert len(log.evals) == 1 and log.evals[0].views is None and log.evals[0].state is None  # kept lean
    assert "grid" in log.views and log.state["w"][0] == 1 and [s for s, _ in log.history] == [4]
    assert log.steps_per_second(waited_s=0.0, now=6.0) == 1.0  # 3 steps over the 3 s between the first and last
    log.add(RunFailed("diverged", "blew up", 6, 5.0), now=7.0)  # the diverging step's loss was not logged
    assert (log.step, log.epoch, log.end.status) == (6, 2, "diverged")  # its step and epoch count
    log.add(RunFinished("stopped", 9, 6.0), now=8.0)  # only the first end counts
    assert log.end.status == "diverged" and log.elapsed(now=100.0) == 6.0
    assert log.steps_per_second(waited_s=1.0, now=100.0) == 6 / 5  # steps over training time, pauses excluded


def test_a_run_counted_in_steps_has_no_epoch():
    log = RunLog(t0=0.0)
    log.add(RunStarted("cpu", 10, None, 5, Metric(ACCURACY, "token accuracy")), now=0.0)
    log.add(StepEnded(1, None, 2.0), now=0.1)
    log.add(RunFinished("completed", 5, 1.0), now=1.0)
    assert log.epoch is None and log.step == 5


def test_replay_history_keeps_every_other_snapshot_when_full(monkeypatch):
    monkeypatch.setattr(runlog, "MAX_SNAPSHOTS", 4)
    log = RunLog(t0=0.0)
    for step in range(1, 6):
        log.add(EvalEnded(step, None, 1.0, 1.0, 0.5, 0.5, {"attention": np.full(1, step)}), now=step)
    assert [s for s, _ in log.history] == [1, 3, 5]  # newest kept


def test_replay_history_is_thinned_to_fit_its_bytes(monkeypatch):
    """Large views (a Transformer's maps grow with T^2) thin the replay history before its count is reached."""
    monkeypatch.setattr(runlog, "MAX_HISTORY_BYTES", 4 * 800)
    log = RunLog(t0=0.0)
    for step in range(1, 6):  # 800 bytes a snapshot: the fifth passes the bound
        log.add(EvalEnded(step, None, 1.0, 1.0, 0.5, 0.5, {"attention": np.full(100, step, dtype=np.float64)}),
                now=step)
    assert [s for s, _ in log.history] == [1, 3, 5]  # newest kept, evenly thinned
    assert sum(runlog.array_bytes(views) for _, views in log.history) <= runlog.MAX_HISTORY_BYTES


def test_array_bytes_counts_arrays_inside_frozen_views():
    from playground.attention.views import AttentionViews

    views = AttentionViews(attention=np.zeros((1, 2, 2, 2), np.float32),
                           prediction=np.array(["a", "b"]), probabilities=np.zeros(2, np.float32),
                           scores=np.zeros((1, 2, 2, 2), np.float32))
    expected = sum(a.nbytes for a in (views.attention, views.prediction, views.probabilities, views.scores,
                                      views.entropy, views.shares))
    assert runlog.array_bytes(views) == expected > 0


def test_the_clock_keeps_wall_time_by_step_and_at_each_evaluation(monkeypatch):
    """The charts' wall-time axis: seconds from RunStarted at any step (interpolated) and at each evaluation."""
    log = RunLog(t0=0.0)
    log.add(RunStarted("cpu", 10, 10, 40, ACCURACY_METRIC), now=2.0)
    for step in range(1, 41):  # a step every 0.05 s: a pair every other step (CLOCK_EVERY_S = 0.1)
        log.add(StepEnded(step, 1 + (step - 1) // 10, 1.0), now=2.0 + 0.05 * step)
        if step % 10 == 0:
            log.add(EvalEnded(step, step // 10, 0.3, 0.4, 0.8, 0.7), now=2.0 + 0.05 * step + 0.01)
    log.add(RunFinished("completed", 40, 2.1), now=4.5)
    snap = runlog.Snapshot("completed", "", None, log.started, 40, 4, 2.5, 16.0, None, *log.steps.arrays(), (),
                           None, None, clock=log.clock_array(), eval_s=np.array(log.eval_s))
    assert snap.clock[0].tolist() == [0, 0] and 15 <= len(snap.clock) <= 25
    assert np.all(np.diff(snap.clock[:, 0]) > 0)  # one pair per step at most, increasing
    np.testing.assert_allclose(snap.seconds_at(np.array([10, 20, 30])), [0.5, 1.0, 1.5], atol=0.06)
    np.testing.assert_allclose(snap.eval_s, [0.51, 1.01, 1.51, 2.01])
    assert snap.clock[-1].tolist() == [40, 2.5]  # the end is on the clock


def test_the_clock_is_halved_past_its_bound(monkeypatch):
    monkeypatch.setattr(runlog, "MAX_CLOCK_POINTS", 8)
    log = RunLog(t0=0.0)
    log.add(RunStarted("cpu", 10, None, 100, ACCURACY_METRIC), now=0.0)
    for step in range(1, 21):
        log.add(StepEnded(step, None, 1.0), now=float(step))
    assert len(log.clock) <= 8 and log.clock[-1] == (20, 20.0)
    assert all(b[0] > a[0] for a, b in zip(log.clock, log.clock[1:], strict=False))
