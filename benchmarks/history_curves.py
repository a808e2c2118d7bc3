"""What the run history and the chart controls add to a live refresh of the loss and metric charts: the time to
build both figures from a snapshot, before (the per-step loss downsampled, the evaluations read) and now
(`history.Curves.from_snapshot`, with the step clock's wall time, plus the earlier runs' faint curves), measured
interleaved (A, B, A, B, ...) so a shared machine's load falls on both alike. The live page rebuilds these figures
about 2.5 times a second while a run trains, holding the GIL the training thread needs. CPU time (process time)
is the figure to read on a shared machine: wall time there includes waits for a core.

    .venv/bin/python benchmarks/history_curves.py                 # a full step log, 9 earlier runs, 200 rounds
    .venv/bin/python benchmarks/history_curves.py --ghosts 0 --evals 100

It also prints the memory a record of a long run keeps (its arrays; configs are a few hundred bytes).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground import plots  # noqa: E402
from playground.events import ACCURACY, EvalEnded, Metric, RunStarted  # noqa: E402
from playground.history import Curves, RunRecord  # noqa: E402
from playground.mlp.config import MLPRunConfig  # noqa: E402
from playground.runlog import MAX_STEP_POINTS, Snapshot, array_bytes  # noqa: E402
from playground.ui.live import LOSS_POINTS  # noqa: E402


def snapshot(evals: int, run: int = 1) -> Snapshot:
    """A snapshot with a full step log (MAX_STEP_POINTS points) and `evals` evaluations, 25 steps an epoch."""
    rng = np.random.default_rng(run)
    steps = np.arange(1.0, MAX_STEP_POINTS + 1)
    every = MAX_STEP_POINTS // evals
    ev = tuple(EvalEnded(s, s // 25, *rng.random(4)) for s in range(every, MAX_STEP_POINTS + 1, every))
    clock = np.column_stack([np.arange(0, MAX_STEP_POINTS + 1, 10.0), np.arange(0, MAX_STEP_POINTS + 1, 10.0) / 400])
    return Snapshot("running", "", MLPRunConfig(), RunStarted("cpu", 354, 25, MAX_STEP_POINTS, Metric(ACCURACY, "a")),
                    MAX_STEP_POINTS, 0, 50.0, 400.0, None, steps, rng.random(len(steps)), ev, None, None, run=run,
                    clock=clock, eval_s=np.array([e.step / 400 for e in ev]))


def before(snap: Snapshot) -> None:
    """The figures as the page built them before the run history."""
    x, y = plots.downsample(snap.step_x, snap.step_loss, LOSS_POINTS)
    s = snap.eval_series
    plots.loss_figure(x, y, s("step"), s("train_loss"), s("test_loss"))
    plots.metric_figure(s("step"), s("train_metric"), s("test_metric"))


def ghosts_of(records: list[RunRecord], axis: str) -> tuple[list[plots.Ghost], list[plots.Ghost]]:
    """The earlier runs' curves as playground.ui.run_history.ghosts makes them (kept between refreshes there)."""
    out: tuple[list, list] = ([], [])
    for r in records:
        x = r.curves.eval_x(axis)
        for place, y in zip(out, (r.curves.test_loss, r.curves.test_metric), strict=True):
            place.append(plots.Ghost(f"run {r.number}", *plots.downsample(x, y, plots.MAX_EVAL_POINTS), r.number))
    return out


def now(snap: Snapshot, ghosts: tuple[list[plots.Ghost], list[plots.Ghost]], axis: str) -> None:
    """The figures as playground.ui.live.curve_charts builds them now."""
    c = Curves.from_snapshot(snap, LOSS_POINTS)
    loss, score = ghosts
    ex = c.eval_x(axis)
    plots.loss_figure(c.step_x(axis), c.loss, ex, c.train_loss, c.test_loss, ghosts=loss, x_title=axis)
    plots.metric_figure(ex, c.train_metric, c.test_metric, ghosts=score, x_title=axis)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ghosts", type=int, default=9, help="earlier runs drawn (the limit is 10 with the current)")
    parser.add_argument("--evals", type=int, default=400, help="evaluations in each run")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    snap = snapshot(args.evals)
    records = [RunRecord.from_snapshot(snapshot(args.evals, run=i + 2), "mlp", number=i + 1)
               for i in range(args.ghosts)]
    by_step, by_time = ghosts_of(records, "step"), ghosts_of(records, "wall time")
    cases = {"before (no history)": lambda: before(snap), "now, no earlier run": lambda: now(snap, ([], []), "step"),
             "now, step axis": lambda: now(snap, by_step, "step"),
             "now, wall-time axis": lambda: now(snap, by_time, "wall time")}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    wall: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, fn in cases.items():
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            cpu[name].append((time.process_time() - c0) * 1e3)
            wall[name].append((time.perf_counter() - t0) * 1e3)
    print(f"{MAX_STEP_POINTS:,} step points, {args.evals} evaluations, {args.ghosts} earlier runs, "
          f"{args.rounds} interleaved rounds")
    print(f"{'figures (loss + metric)':<24} {'CPU median ms':>14} {'CPU p90 ms':>11} {'wall median ms':>15}")
    for name in cases:
        print(f"{name:<24} {statistics.median(cpu[name]):>14.2f} {np.percentile(cpu[name], 90):>11.2f} "
              f"{statistics.median(wall[name]):>15.2f}")
    if records:
        print(f"one record's arrays: {array_bytes(records[0].curves) / 1e3:,.0f} KB")


if __name__ == "__main__":
    main()
