"""The cost of recording training health (playground/mlp/health.py): steps per second of MLP presets with and
without it, measured interleaved (A, B, A, B, ...) so a shared machine's load falls on both alike.

    .venv/bin/python benchmarks/health_cost.py                   # moons, spiral, iris-sigmoid-sgd, 5 pairs each
    .venv/bin/python benchmarks/health_cost.py --presets digits --pairs 9

Each run trains in the calling thread with one torch thread (as a job's thread does), evaluations and their
views included, and its rate is steps over the seconds from RunStarted to the end. The table gives each side's
median and range, and the median of the per-pair ratios (with / without). A second table times what recording
adds where it runs, less exposed to a busy machine's noise: one evaluation (no views) with and without the
health reading, interleaved, on the preset's model after one epoch, against the time of one epoch of steps.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground.events import RunFinished, RunStarted  # noqa: E402
from playground.mlp.presets import PRESETS  # noqa: E402
from playground.mlp.training import MLPRunner, train  # noqa: E402


def steps_per_second(config, health: bool) -> float:
    MLPRunner.records_health = health
    t0, end = [0.0], []

    def emit(event) -> None:
        if isinstance(event, RunStarted):
            t0[0] = time.perf_counter()
        elif isinstance(event, RunFinished):
            end.append((event.steps, time.perf_counter()))

    try:
        train(config, emit)
    finally:
        MLPRunner.records_health = True
    steps, t1 = end[0]
    return steps / (t1 - t0[0])


def _timed(fn, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e3


def evaluation_ms(config, rounds: int = 21, n: int = 20) -> tuple[float, float, float]:
    """(ms per evaluation with health, without, ms per epoch of steps), medians over interleaved rounds."""
    runner = MLPRunner(config)
    runner.start()
    batches = runner.batches()
    epoch_s = []
    for _ in range(3):  # three epochs: the last step of each keeps the weights before its update
        t0, due = time.perf_counter(), False
        while not due:
            _, idx, due = next(batches)
            runner.step(idx)
        epoch_s.append(time.perf_counter() - t0)
    probe, on, off = runner.probe, [], []
    for _ in range(rounds):
        runner.probe = probe
        on.append(_timed(lambda: (probe.keep_before(), runner.evaluate(1, 1, False)), n))
        runner.probe = None
        off.append(_timed(lambda: runner.evaluate(1, 1, False), n))
    return statistics.median(on), statistics.median(off), 1e3 * statistics.median(epoch_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--presets", nargs="+", default=["moons", "spiral", "iris-sigmoid-sgd"])
    parser.add_argument("--pairs", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"{'preset':<18} {'with health (steps/s)':>28} {'without (steps/s)':>28} {'ratio (median, range)':>26}")
    for name in args.presets:
        config = PRESETS[name].config
        steps_per_second(config, True)  # warm-up: imports, allocator, data caches
        on, off = [], []
        for i in range(args.pairs):
            first, second = (True, False) if i % 2 == 0 else (False, True)  # alternate which goes first
            for health in (first, second):
                (on if health else off).append(steps_per_second(config, health))
        ratios = [a / b for a, b in zip(on, off, strict=True)]
        fmt = lambda v: f"{statistics.median(v):7.0f} ({min(v):.0f}-{max(v):.0f})"  # noqa: E731
        print(f"{name:<18} {fmt(on):>28} {fmt(off):>28} "
              f"{statistics.median(ratios):>11.3f} ({min(ratios):.3f}-{max(ratios):.3f})", flush=True)
    print(f"\n{'preset':<18} {'evaluation with (ms)':>21} {'without (ms)':>13} {'added (ms)':>11} "
          f"{'one epoch of steps (ms)':>24} {'added / epoch':>14}")
    for name in args.presets:
        with_ms, without_ms, epoch_ms = evaluation_ms(PRESETS[name].config)
        print(f"{name:<18} {with_ms:>21.3f} {without_ms:>13.3f} {with_ms - without_ms:>11.3f} {epoch_ms:>24.2f} "
              f"{(with_ms - without_ms) / epoch_ms:>14.1%}", flush=True)


if __name__ == "__main__":
    main()
