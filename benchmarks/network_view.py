"""What the network view costs training: a job's steps per second with the view's pictures on and off.

For each preset named (default: moons, spiral), runs a `playground.jobs.Job` in its background thread, as
the page does, with `MLPRunner.network_view` on and off, alternating (on, off, on, off, ...) so that drift
of a shared machine's speed falls on both alike. Steps/s is the job's own figure at the end (steps over
training time, evaluations and views included; full evaluations with views at most every
`MLPRunner.full_every_s`). Also times one evaluation's view (grid pass, pictures, weights) on and off.

Prints per preset: median steps/s on and off, the range of each, the median of the pairwise ratios, the
evaluation's milliseconds on and off, and what one live refresh of the page spends on the view: building the
network figure and turning it into JSON for the browser (what `ui.charts.chart` sends), in milliseconds.

Run: .venv/bin/python benchmarks/network_view.py [--repeats 5] [--epochs 150] [--presets moons spiral]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from playground.figure_json import figure_json  # noqa: E402
from playground.jobs import Job  # noqa: E402
from playground.mlp import training  # noqa: E402
from playground.mlp.network_plots import network_figure  # noqa: E402
from playground.mlp.presets import PRESETS  # noqa: E402


def job_rate(cfg, view_on: bool) -> float:
    training.MLPRunner.network_view = view_on
    job = Job(cfg).start()
    job.thread.join(600)
    snap = job.snapshot()
    assert snap.status == "completed", (snap.status, snap.message)
    return snap.steps_per_second


def eval_ms(cfg, view_on: bool, n: int = 30) -> float:
    """Median milliseconds of one full evaluation (losses, confusion, boundary grid, and the view if on)."""
    training.MLPRunner.network_view = view_on
    runner = training.MLPRunner(cfg)
    runner.start()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        runner.evaluate(1, 1, True)
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def figure_ms(cfg, n: int = 20) -> float:
    """Median milliseconds to build the network figure of a trained view and write its JSON for the browser."""
    training.MLPRunner.network_view = True
    runner = training.MLPRunner(cfg)
    runner.start()
    view = runner.evaluate(1, 1, True).views.network
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        figure_json(network_figure(view))
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--presets", nargs="+", default=["moons", "spiral", "spiral-features"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"{'preset':<10} {'view on steps/s':>22} {'view off steps/s':>22} {'on/off':>8} "
          f"{'eval ms on':>11} {'eval ms off':>12} {'figure ms':>10}")
    for name in args.presets:
        base = PRESETS[name].config
        cfg = dataclasses.replace(base, training=dataclasses.replace(base.training, epochs=args.epochs))
        on, off = [], []
        for _ in range(args.repeats):
            on.append(job_rate(cfg, True))
            off.append(job_rate(cfg, False))
        ratio = statistics.median(a / b for a, b in zip(on, off, strict=True))
        e_on, e_off = eval_ms(cfg, True), eval_ms(cfg, False)
        print(f"{name:<10} {statistics.median(on):>8.0f} ({min(on):.0f}-{max(on):.0f}) "
              f"{statistics.median(off):>10.0f} ({min(off):.0f}-{max(off):.0f}) {ratio:>8.3f} "
              f"{e_on:>11.2f} {e_off:>12.2f} {figure_ms(cfg):>10.1f}")
    training.MLPRunner.network_view = True


if __name__ == "__main__":
    main()
