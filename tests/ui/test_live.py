"""The live panel's refresh policy: its period per job state, the back-off under load, and leaving the queue."""

import dataclasses
import re

import pytest

from playground import registry
from playground.ui import live
from tests.conftest import tiny_config
from tests.playground.test_jobs import JOIN_S, wait_for
from tests.ui.conftest import charts, progress_text, run_until
from tests.ui.test_mlp_page import open_mlp


@pytest.mark.parametrize("status, period", [("queued", live.QUEUED_UPDATE_S), ("starting", live.UPDATE_S),
                                            ("running", live.UPDATE_S), ("paused", live.UPDATE_S),
                                            ("completed", None), ("stopped", None), ("failed", None)])
def test_refresh_period_follows_the_job(status, period):
    from playground.jobs import Job

    job = Job(tiny_config())
    snap = dataclasses.replace(job.snapshot(), status=status)
    assert live.refresh_period(snap) == period
    assert live.refresh_period(None) is None
    if period == live.UPDATE_S and status != "paused":  # taking turns: a run trains one turn in every few
        from playground.turns import Share

        assert live.refresh_period(dataclasses.replace(snap, share=Share(3, 1, 2.0))) == live.QUEUED_UPDATE_S


def test_a_refresh_backs_off_only_when_it_was_slow(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(live.time, "sleep", slept.append)
    live._back_off(0.03)  # an unloaded refresh: the browser's timer alone sets the pace
    assert slept == []
    live._back_off(0.2)  # a refresh slower than a quarter of the period waits three times as long
    assert slept == [pytest.approx(0.6)]
    live._back_off(5.0)
    assert slept[-1] == live.MAX_BACK_OFF_S


def test_a_queued_run_shows_its_place_then_trains_when_a_place_frees(app, monkeypatch):
    monkeypatch.setattr(registry.shared(), "queue", registry.RunQueue(1))  # first come, first served
    blocker = registry.shared().start("someone-else:mlp", tiny_config(epochs=10_000))
    assert wait_for(lambda: blocker.snapshot().status == "running")
    open_mlp(app)
    app.button(key="mlp.train").click().run()
    assert "queued, position 1, about " in progress_text(app)  # the blocker's time left
    assert "this server trains 1 job at a time" in progress_text(app)
    assert app.button(key="mlp.pause").disabled and app.button(key="mlp.step").disabled
    assert not app.button(key="mlp.stop").disabled  # leaving the queue is allowed
    assert not charts(app) and not [c for c in app.caption if "two features" in c.value]
    assert blocker.stop(join_timeout=JOIN_S)
    run_until(app, lambda at: "completed" in progress_text(at) or "running" in progress_text(at))
    assert "queued" not in progress_text(app)


def test_a_run_stopped_in_the_queue_says_so_without_steps_rate_or_device(app, monkeypatch):
    monkeypatch.setattr(registry.shared(), "queue", registry.RunQueue(1))  # first come, first served
    blocker = registry.shared().start("someone-else:mlp", tiny_config(epochs=10_000))
    assert wait_for(lambda: blocker.snapshot().status == "running")
    open_mlp(app)
    app.button(key="mlp.train").click().run()
    app.button(key="mlp.stop").click().run()
    run_until(app, lambda at: "stopped" in progress_text(at))
    assert progress_text(app) == ":material/stop_circle: stopped before it started training"
    assert not [c for c in app.caption if "two features" in c.value]  # moons has two; the run never learnt that
    assert not app.button(key="mlp.train").disabled and not app.button(key="mlp.reset").disabled
    assert blocker.stop(join_timeout=JOIN_S)


def test_home_shows_the_servers_jobs_training_and_waiting(app, monkeypatch):
    monkeypatch.setattr(registry.shared(), "queue", registry.RunQueue(1))  # first come, first served
    running = registry.shared().start("a:mlp", tiny_config(epochs=10_000))
    waiting = registry.shared().start("b:mlp", tiny_config(epochs=10_000))
    assert wait_for(lambda: waiting.snapshot().status == "queued" and running.snapshot().status == "running")
    app.run()
    status = " ".join(c.value for c in app.caption)
    assert "1 job(s) training, 1 waiting (at most 1 train at once)" in status


def test_sidebar_badge_shows_the_state_the_buttons_just_set(app):
    def badge(at) -> str:
        return " ".join(c.value for c in at.sidebar.caption if "job:" in c.value)

    open_mlp(app)
    app.number_input(key="mlp.epochs").set_value(5000).run()
    app.button(key="mlp.train").click().run()
    assert "MLP job: **running**" in badge(app)
    app.button(key="mlp.pause").click().run()
    assert "MLP job: **paused**" in badge(app)
    app.button(key="mlp.stop").click().run()
    assert "MLP job: **stopped** · step" in badge(app)
    app.button(key="mlp.reset").click().run()
    assert badge(app) == ""


def test_a_run_past_the_time_limit_shows_when_it_will_stop_instead_of_its_eta(app, monkeypatch):
    from playground.settings import Limits

    monkeypatch.setattr(registry.shared(), "limits", Limits(max_params=5_000_000, max_seconds=30))
    open_mlp(app)
    app.number_input(key="mlp.epochs").set_value(10_000).run()  # minutes at this speed
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "stops at this server's time limit in" in progress_text(at))
    assert "ETA" not in progress_text(app)
    app.button(key="mlp.stop").click().run()


def test_a_run_that_diverges_at_its_first_step_says_so_in_progress_and_charts(app, monkeypatch):
    from playground.mlp import training

    monkeypatch.setattr(training.MLPRunner, "step", lambda self, idx: float("nan"))  # the first loss is NaN
    open_mlp(app)
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "diverged" in progress_text(at))
    assert "step 1/" in progress_text(app) and "epoch 1/" in progress_text(app)  # the step the message names
    assert "at step 1" in " ".join(e.value for e in app.error)
    drawn = charts(app)
    notes = {key: drawn[key]["layout"]["annotations"][0]["text"] for key in ("mlp.loss_chart", "mlp.metric_chart")}
    assert notes == {"mlp.loss_chart": "The run ended before any loss was recorded",
                     "mlp.metric_chart": "The run ended before its first evaluation"}


def test_the_time_limit_replaces_the_eta_only_past_a_margin_and_stays_until_clearly_under():
    def texts(pairs, shown=None):
        out = []
        for eta, left in pairs:
            text, shown = live.time_phrase(eta, left, shown)
            out.append(text.split(" ")[0])  # "ETA" or "stops"
        return out

    # A loaded server's ETA swings around the time left (the 482 s against 556 s): no flipping.
    swings = [(482, 556), (600, 550), (470, 545), (610, 540), (455, 535)]
    assert texts(swings) == ["ETA"] * 5
    assert texts([(600, 556), (482, 550), (600, 545), (470, 540)]) == ["stops"] * 4  # first choice held
    assert texts([(482, 556), (700, 550), (600, 545), (430, 540), (520, 535)]) == [
        "ETA", "stops", "stops", "ETA", "ETA"]  # over 1.25 times: the limit; under 1 / 1.25: the ETA again
    assert live.time_phrase(700, 550, None)[0] == "stops at this server's time limit in 550 s"
    assert live.time_phrase(None, 550, True) == ("", True)  # paused: nothing, the choice kept
    assert live.time_phrase(42.4, None, True) == ("ETA 42 s", False)  # no limit


def test_the_pause_note_shows_only_when_others_need_the_place():
    assert live.pause_note("paused", training=0, waiting=0, places=1) is None
    assert "next run in the queue" in live.pause_note("paused", training=0, waiting=1, places=1)
    assert "next run in the queue" in live.pause_note("paused", training=1, waiting=0, places=1)
    assert live.pause_note("paused", training=1, waiting=0, places=2) is None
    assert live.pause_note("running", training=1, waiting=3, places=1) is None
    assert live.wait_phrase(41.6) == ", about 42 s" and live.wait_phrase(None) == ""


def test_pausing_gives_the_place_to_a_waiting_run_and_says_so(app, monkeypatch):
    monkeypatch.setattr(registry.shared(), "queue", registry.RunQueue(1))  # first come, first served
    open_mlp(app)
    app.number_input(key="mlp.epochs").set_value(10_000).run()
    app.button(key="mlp.train").click().run()
    other = registry.shared().start("someone-else:mlp", tiny_config(epochs=10_000))
    assert wait_for(lambda: other.snapshot().status == "queued")
    app.button(key="mlp.pause").click().run()
    assert wait_for(lambda: other.snapshot().status == "running")
    run_until(app, lambda at: "paused" in progress_text(at))
    assert any("your training place goes to the next run in the queue" in c.value for c in app.caption)
    app.button(key="mlp.pause").click().run()  # Resume: waits for the place, first in line
    run_until(app, lambda at: "waiting for a training place, position 1, about" in progress_text(at))
    assert other.stop(join_timeout=JOIN_S)
    run_until(app, lambda at: "running" in progress_text(at))
    app.button(key="mlp.stop").click().run()


def test_a_step_while_another_run_has_the_place_says_it_waits_and_resume_stays_offered(app, monkeypatch):
    monkeypatch.setattr(registry.shared(), "queue", registry.RunQueue(1))  # first come, first served
    open_mlp(app)
    app.number_input(key="mlp.epochs").set_value(10_000).run()
    app.button(key="mlp.train").click().run()
    app.button(key="mlp.pause").click().run()
    other = registry.shared().start("someone-else:mlp", tiny_config(epochs=10_000))
    assert wait_for(lambda: other.snapshot().status == "running")
    app.button(key="mlp.step").click().run()
    run_until(app, lambda at: "waiting for a training place, position 1" in progress_text(at))
    assert app.button(key="mlp.pause").label == "Resume"  # the run is still paused: one step waits
    app.button(key="mlp.pause").click().run()  # Resume: it waits for the place, then trains on
    assert other.stop(join_timeout=JOIN_S)
    run_until(app, lambda at: "running" in progress_text(at))
    assert app.button(key="mlp.pause").label == "Pause"
    app.button(key="mlp.stop").click().run()


def test_a_run_reaped_while_the_connection_was_lost_says_so_and_keeps_its_curves(app, monkeypatch):
    import time

    monkeypatch.setattr(registry.shared(), "grace_s", 10)
    open_mlp(app)
    app.number_input(key="mlp.epochs").set_value(10_000).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "running" in progress_text(at) and len(charts(at)["mlp.loss_chart"]["data"][0]["x"]))
    assert registry.shared().reap(lambda owner: False, now=time.monotonic() + 11)  # the session was gone for 11 s
    app.run()
    assert "stopped" in progress_text(app)
    assert [w.value for w in app.warning] == ["Your run was stopped after the connection was lost for more than 10 s."]
    assert len(charts(app)["mlp.loss_chart"]["data"][0]["x"]) > 0  # its final curves
    assert not app.button(key="mlp.reset").disabled
    app.button(key="mlp.train").click().run()  # a new Train forgets it
    assert not app.warning
    app.button(key="mlp.stop").click().run()


def test_a_run_sharing_the_server_by_turns_shows_running_and_how_it_shares(app, monkeypatch):
    from playground.turns import TurnQueue

    monkeypatch.setattr(registry.shared(), "queue", TurnQueue(1, turn_s=0.3, memory_mb=512))
    other = registry.shared().start("someone-else:mlp", tiny_config(epochs=10_000))
    assert wait_for(lambda: other.snapshot().step > 0)
    open_mlp(app)
    app.number_input(key="mlp.epochs").set_value(10_000).run()
    app.button(key="mlp.train").click().run()
    shown: list[str] = []

    def step(at) -> int:
        shown.append(progress_text(at).split(" · ")[0])
        found = re.search(r"step ([\d,]+)/", progress_text(at))
        return int(found.group(1).replace(",", "")) if found else 0

    def shares(at) -> bool:
        return any(c.value == "Sharing the server with 1 other run: your run trains 1 second in 2 (turns of 0.3 s)."
                   for c in at.caption)

    run_until(app, lambda at: step(at) > 0 and shares(at))
    mine, others = step(app), other.snapshot().step
    run_until(app, lambda at: step(at) > mine and other.snapshot().step > others)  # both move, turn by turn
    assert not any("paused" in s or "waiting" in s for s in shown)  # waiting for a turn is not a pause
    assert app.button(key="mlp.pause").label == "Pause"
    app.button(key="mlp.stop").click().run()
    assert other.stop(join_timeout=JOIN_S)


def test_the_notes_of_turns_say_what_happens():
    from playground.turns import Share

    assert "its first turn comes soon (3 runs take turns of 2 s" in live.queued_phrase(Share(3, 1, 2.0), places=1)
    waiting = live.queued_phrase(Share(30, 1, 2.0, in_memory=False, waiting=4), places=1)
    assert "memory for runs is full: 30 runs take turns in it" in waiting
    assert "trains 1 job at a time" in live.queued_phrase(None, places=1)
    assert "leaves the turns" in live.pause_note("paused", training=1, waiting=1, places=1, turns=True)
    assert Share(30, 1, 2.0).describe() == ("Sharing the server with 29 other runs: your run trains 1 second in 30 "
                                            "(turns of 2 s).")
    assert "1 second in 1.5" in Share(3, 2, 2.0).describe() and Share(3, 2, 2.0).slowdown == 1.5
