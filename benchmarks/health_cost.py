"""The cost of recording training health (playground/mlp/health.py): steps per second of MLP presets with and
without it, measured interleaved (A, B, A, B, ...) so a shared machine's load falls on both alike.

    .venv/bin/python benchmarks/health_cost.py                   # moons, spiral, iris-sigmoid-sgd, 5 pairs each
    .venv/bin/python benchmarks/health_cost.py --presets digits --pairs 9

Each run trains in the calling thread with one torch thread (as a job's thread does), evaluations and their
views included, and its rate is steps over the seconds from RunStarted to the end. The table gives each side's
median and range, and the median of the per-pair ratios (with / without).
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


if __name__ == "__main__":
    main()
