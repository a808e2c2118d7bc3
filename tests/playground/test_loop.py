"""Tests for playground.loop: the loop's rules (divergence, errors as data). The loop itself is exercised by both
playgrounds' trainer tests, through their `train`."""

import dataclasses

import torch

from playground.events import EvalEnded
from playground.loop import emit_evaluation, failure_event, step_diverged


def test_gpu_out_of_memory_becomes_a_clear_message(monkeypatch):
    freed = []
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: freed.append(True))
    event = failure_event(torch.cuda.OutOfMemoryError("CUDA out of memory"), 12, 0.0)
    assert event.status == "failed" and "ran out of memory" in event.message and event.steps == 12
    assert freed == [True]
    assert failure_event(ValueError("bad"), 0, 0.0).message == "ValueError: bad"


def test_one_costly_example_in_a_tiny_batch_is_not_divergence():
    assert not step_diverged(104.1, 0.69, batch_size=1)  # one confidently wrong example
    assert step_diverged(104.1, 0.69, batch_size=32)  # a whole batch 100x worse than at the start
    assert step_diverged(float("nan"), 0.69, batch_size=1) and step_diverged(float("inf"), 0.69, batch_size=4)
    assert not step_diverged(1.0, 0.69, batch_size=32)


def test_an_evaluation_whose_training_loss_blew_up_ends_the_run_as_diverged():
    from playground.mlp.config import TrainConfig

    events: list = []
    blown = EvalEnded(step=40, epoch=2, train_loss=80.0, test_loss=90.0, train_metric=0.5, test_metric=0.5)
    assert not emit_evaluation(events.append, blown, 0.7, TrainConfig(optimizer="sgd", batch_size=1), 0.0)
    assert events[-1].status == "diverged" and "80" in events[-1].message
    fine = dataclasses.replace(blown, train_loss=5.0)
    assert emit_evaluation(events.append, fine, 0.7, TrainConfig(), 0.0) and events[-1] is fine


class _Runner:
    """A runner whose steps return given losses (0-d tensors, or floats), evaluating every `every` steps."""

    training = __import__("playground.mlp.config", fromlist=["TrainConfig"]).TrainConfig(optimizer="sgd")
    batch_size, full_every_s, evaluates_untrained = 4, 0.0, False

    def __init__(self, losses, every=100, tensors=True):
        self.losses, self.every, self.tensors, self.taken = losses, every, tensors, 0

    def start(self):
        from playground.events import ACCURACY, Metric, RunStarted

        return RunStarted("cpu", 1, None, len(self.losses), Metric(ACCURACY, "accuracy"))

    def batches(self):
        for i in range(1, len(self.losses) + 1):
            yield None, i, i % self.every == 0

    def step(self, i):
        self.taken = i
        return torch.tensor(self.losses[i - 1]) if self.tensors else self.losses[i - 1]

    def evaluate(self, step, epoch, full):
        return EvalEnded(step, epoch, 0.5, 0.5, 0.9, 0.9)


def _fit(runner, control=None):
    from playground.events import StepEnded
    from playground.loop import fit

    events = []
    fit(runner, events.append, control)
    return events, [e.step for e in events if isinstance(e, StepEnded)]


def test_losses_read_in_blocks_end_a_run_at_its_first_bad_step_before_a_later_evaluation():
    losses = [1.0, 0.9, float("nan"), 0.8, float("inf"), 0.7]
    for tensors in (True, False):  # a runner may also return floats
        runner = _Runner(losses, every=4, tensors=tensors)
        events, steps = _fit(runner)
        assert steps == [1, 2] and events[-1].status == "diverged" and events[-1].steps == 3
        assert "at step 3" in events[-1].message
        assert not any(isinstance(e, EvalEnded) for e in events)  # the evaluation due after step 4 never came
        assert runner.taken <= 4


def test_every_loss_is_shown_once_in_order_and_before_each_evaluation():
    from playground import loop

    runner = _Runner([1.0 / i for i in range(1, 101)], every=25)
    events, steps = _fit(runner)
    assert steps == list(range(1, 101)) and events[-1].status == "completed"
    for e in (e for e in events if isinstance(e, EvalEnded)):
        shown = [x.step for x in events[: events.index(e)] if not isinstance(x, EvalEnded) and hasattr(x, "loss")]
        assert shown[-1] == e.step  # its step's loss was read before it
    assert loop.READ_EVERY_STEPS < 100  # the run was read in several blocks besides its evaluations


def test_losses_taken_show_before_a_pause_blocks():
    import threading

    from playground.control import Control
    from playground.events import StepEnded
    from playground.loop import fit

    control, events, paused = Control(), [], threading.Event()
    runner = _Runner([1.0] * 50, every=1000)
    real_step = runner.step

    def step(i):
        if i == 5:  # the user pauses while step 5 is taken
            control.pause()
            paused.set()
        return real_step(i)

    runner.step = step
    thread = threading.Thread(target=fit, args=(runner, events.append, control))
    thread.start()
    paused.wait(5)
    for _ in range(100):  # the loop reads steps 1-5 before it waits, paused
        if len([e for e in events if isinstance(e, StepEnded)]) == 5:
            break
        threading.Event().wait(0.02)
    assert [e.step for e in events if isinstance(e, StepEnded)] == [1, 2, 3, 4, 5] and runner.taken == 5
    control.stop()
    thread.join(5)
    assert events[-1].status == "stopped" and events[-1].steps == 5
