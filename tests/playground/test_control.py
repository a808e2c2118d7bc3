import threading

from playground.control import Command, Control


def test_running_control_lets_steps_through():
    assert Control().wait() is Command.RUN


def test_pause_blocks_until_resume():
    c = Control()
    c.pause()
    result = []
    t = threading.Thread(target=lambda: result.append(c.wait()))
    t.start()
    t.join(0.2)
    assert t.is_alive() and not result  # still blocked while paused
    c.resume()
    t.join(2)
    assert result == [Command.RUN]


def test_step_grants_exactly_one_step_while_paused():
    c = Control()
    c.step()
    assert c.paused and c.wait() is Command.STEP
    t = threading.Thread(target=c.wait)
    t.start()
    t.join(0.2)
    assert t.is_alive()  # the permit was used up
    c.stop()
    t.join(2)
    assert not t.is_alive()


def test_stop_wins_over_pause_and_steps():
    c = Control(paused=True)
    c.step()
    c.stop()
    assert c.wait() is Command.STOP


def test_on_stop_calls_back_once_on_the_first_stop():
    c = Control()
    calls = []
    c.on_stop(lambda: calls.append("a"))
    assert calls == []
    c.stop()
    c.stop()
    assert calls == ["a"]
    c.on_stop(lambda: calls.append("late"))  # already stopped: called at once
    assert calls == ["a", "late"]


def test_waited_s_counts_only_the_time_blocked_while_paused():
    c = Control()
    for _ in range(1000):
        c.wait()  # running: never blocks
    assert c.waited_s == 0.0
    c.pause()
    t = threading.Thread(target=c.wait)
    t.start()
    t.join(0.3)
    c.resume()
    t.join(2)
    assert 0.25 < c.waited_s < 2.0


class RecordingPlace:
    """A training place that records what the trainer did with it; `take` answers `granted`."""

    def __init__(self, granted=True):
        self.calls, self.granted = [], granted

    def release(self):
        self.calls.append("release")

    def take(self):
        self.calls.append("take")
        return self.granted


def test_a_paused_trainer_lends_its_place_and_takes_it_back_before_the_next_step():
    place = RecordingPlace()
    c = Control(place=place)
    for _ in range(100):
        assert c.wait() is Command.RUN
    assert place.calls == []  # running: the place is kept, no call per step
    c.pause()
    result = []
    t = threading.Thread(target=lambda: result.append(c.wait()))
    t.start()
    t.join(0.2)
    assert t.is_alive() and place.calls == ["release"] and c.lent
    c.step()
    t.join(2)
    assert result == [Command.STEP] and place.calls == ["release", "take"] and not c.lent
    c.resume()
    assert c.wait() is Command.RUN and place.calls == ["release", "take"]  # still held: nothing to take


def test_a_trainer_stopped_while_it_waits_for_a_place_stops():
    place = RecordingPlace(granted=False)  # the queue answers False: stopped while in line
    c = Control(paused=True, place=place)
    result = []
    t = threading.Thread(target=lambda: result.append(c.wait()))
    t.start()
    t.join(0.2)
    assert place.calls == ["release"]
    c.resume()
    t.join(2)
    assert result == [Command.STOP] and place.calls == ["release", "take"]


def test_the_end_of_a_turn_lends_the_place_after_a_step_and_takes_it_again_without_pausing():
    place = RecordingPlace()
    c = Control(place=place)
    c.end_turn()  # before the turn's first step: one step goes through first
    assert c.wait() is Command.RUN and place.calls == []
    assert c.wait() is Command.RUN  # the next boundary: lent, then taken again (the queue's line), still running
    assert place.calls == ["release", "take"] and not c.paused and not c.lent
    for _ in range(100):
        assert c.wait() is Command.RUN
    assert place.calls == ["release", "take"]  # a new turn: nothing more per step
    assert c.waited_s > 0.0  # waiting for the turn is not training time


def test_a_turn_that_ends_while_paused_leaves_the_user_pause_in_place():
    place = RecordingPlace()
    c = Control(place=place)
    assert c.wait() is Command.RUN  # a step in this turn
    c.end_turn()
    c.pause()
    result = []
    t = threading.Thread(target=lambda: result.append(c.wait()))
    t.start()
    t.join(0.2)
    assert t.is_alive() and place.calls == ["release"] and c.paused  # lent once, and blocks: the user paused
    c.resume()
    t.join(2)
    assert result == [Command.RUN] and place.calls == ["release", "take"]


def test_end_turn_is_ignored_without_a_place():
    c = Control()
    c.end_turn()
    assert c.wait() is Command.RUN and c.wait() is Command.RUN and c.waited_s == 0.0
