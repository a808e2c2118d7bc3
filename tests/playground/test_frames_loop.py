"""The loop's frames (playground.loop.FrameClock): captured at a wall-time cadence between evaluations while the
run is watched, numbered, and a completed run's last frame after its last evaluation."""

import math
import time

from playground.control import Control
from playground.events import EvalEnded, FrameCaptured, Metric, RunFinished, RunStarted
from tests.conftest import tiny_config

STEP_S = 0.002  # each fake step sleeps this long: time passes at least this fast whatever the machine
EVAL_EVERY = 100  # steps between evaluations: at least 0.2 s, four frame intervals


class SlowRunner:
    """A Runner whose steps take at least STEP_S, evaluating every EVAL_EVERY steps, with a frame per call."""

    training = tiny_config().training  # early stopping off
    batch_size = 32
    full_every_s = 0.0
    evaluates_untrained = False
    frame_every_s = 0.05

    def __init__(self, steps: int, frames: bool = True) -> None:
        self.steps, self.frames = steps, frames

    def start(self) -> RunStarted:
        return RunStarted("cpu", 1, None, self.steps, Metric("accuracy", "accuracy"))

    def batches(self):
        for s in range(1, self.steps + 1):
            yield None, s, s % EVAL_EVERY == 0

    def step(self, batch) -> float:
        time.sleep(STEP_S)
        return 1.0

    def evaluate(self, step, epoch, full) -> EvalEnded:
        return EvalEnded(step, epoch, 1.0, 1.0, 0.5, 0.5, views={"step": step} if full else None)

    def frame(self, step):
        return {"step": step} if self.frames else None


def run(runner, watched: bool = True) -> list:
    from playground.loop import fit

    events, control = [], Control()
    if watched:
        control.watch(math.inf)
    fit(runner, events.append, control)
    return events


def test_frames_come_between_evaluations_at_a_steady_cadence():
    events = run(SlowRunner(steps=2 * EVAL_EVERY))
    frames = [e for e in events if isinstance(e, FrameCaptured)]
    evals = [e.step for e in events if isinstance(e, EvalEnded)]
    assert evals == [EVAL_EVERY, 2 * EVAL_EVERY]
    inside = [f.step for f in frames if 0 < f.step < EVAL_EVERY]  # strictly between the start and the first eval
    assert len(inside) >= 2, [f.step for f in frames]
    assert [f.index for f in frames] == list(range(1, len(frames) + 1))
    assert all(f.frame == {"step": f.step} for f in frames)
    gaps = [b.seconds - a.seconds for a, b in zip(frames[:-2], frames[1:-1], strict=True)]  # the last is forced
    assert min(gaps) >= 0.05  # never more often than the cadence
    # the last frame follows the last step and comes before the end, after the last evaluation
    assert frames[-1].step == 2 * EVAL_EVERY and isinstance(events[-1], RunFinished)
    assert events.index(frames[-1]) > max(i for i, e in enumerate(events) if isinstance(e, EvalEnded))


def test_no_frames_when_nobody_watches_or_the_runner_has_none():
    assert not [e for e in run(SlowRunner(steps=60), watched=False) if isinstance(e, FrameCaptured)]
    assert not [e for e in run(SlowRunner(steps=60, frames=False)) if isinstance(e, FrameCaptured)]


def test_watching_lasts_a_while_after_the_last_look():
    control = Control()
    assert control.watched_until == -math.inf
    control.watch(10.0)
    assert 9.0 < control.watched_until - time.perf_counter() <= 10.0
