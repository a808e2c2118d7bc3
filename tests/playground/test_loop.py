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
