"""Fair turns in the engine alone: N runs started at once on one registry, first come first served against turns.

benchmarks/load.py measures a whole workshop through Streamlit's protocol; this script leaves the pages out, so
what it prints is the queue's own effect and cost: N jobs of the MLP's default preset (EPOCHS epochs) are started
together on a `JobRegistry` with `--places` training places, once with turns of 0 s (first come, first served)
and once per `--turn-s` value, in turn; each row polls every job's snapshot every POLL_S seconds, as a page would.

  first step p50/p95   seconds from the start to each run's first step (the loss chart's first point)
  end p50/p95          seconds from the start to each run's end
  steps/s              all runs' steps over the span from the start to the last end
  switches             turns that ended (a run lent its place to another) over the whole row

Run: .venv/bin/python benchmarks/turns.py --runs 10 30 --turn-s 2     (--repeat R interleaves R rounds)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground.mlp.presets import DEFAULT_PRESET, PRESETS  # noqa: E402
from playground.registry import JobRegistry  # noqa: E402
from playground.settings import Settings  # noqa: E402

EPOCHS = 30  # as benchmarks/load.py: the preset's 100 epochs shortened
POLL_S = 0.05


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))] if s else float("nan")


def run_row(n: int, turn_s: float, places: int, epochs: int) -> dict[str, float]:
    """N runs started together; their first steps, ends and steps/s, and how many turns ended."""
    preset = PRESETS[DEFAULT_PRESET].config
    config = dataclasses.replace(preset, training=dataclasses.replace(preset.training, epochs=epochs))
    reg = JobRegistry(settings=Settings(max_jobs=places, turn_s=turn_s, session_grace_s=60))
    switches = 0
    if turn_s > 0:  # count the turns that ended: each is one lend by a run that had trained
        lend = reg.queue.lend

        def counted(job):
            nonlocal switches
            switches += 1
            lend(job)

        reg.queue.lend = counted
    t0 = time.perf_counter()
    jobs = [reg.start(f"run-{i}", config) for i in range(n)]
    first: dict[int, float] = {}
    ended: dict[int, float] = {}
    while len(ended) < n:
        time.sleep(POLL_S)
        now = time.perf_counter() - t0
        for i, job in enumerate(jobs):
            if i in ended:
                continue
            snap = job.snapshot()
            if snap.step > 0 and i not in first:
                first[i] = now
            if not snap.active:
                ended[i] = now
                first.setdefault(i, now)
    steps = sum(job.snapshot().step for job in jobs)
    reg.shutdown()
    return {"first50": pct(list(first.values()), 50), "first95": pct(list(first.values()), 95),
            "end50": pct(list(ended.values()), 50), "end95": pct(list(ended.values()), 95),
            "steps_s": steps / max(ended.values()), "switches": switches,
            "completed": sum(job.snapshot().status == "completed" for job in jobs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[10, 30], help="values of N")
    parser.add_argument("--turn-s", type=float, nargs="+", default=[2.0], help="turn lengths to compare with 0")
    parser.add_argument("--places", type=int, default=1, help="runs training at once (default 1)")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"epochs per run (default {EPOCHS})")
    parser.add_argument("--repeat", type=int, default=1, help="rounds, each row of a round in turn (interleaved)")
    args = parser.parse_args()
    print(f"{DEFAULT_PRESET} preset, {args.epochs} epochs; {args.places} place(s); CPU cores {os.cpu_count()}; "
          f"{args.repeat} round(s), interleaved")
    print(f"{'N':>3} {'turn s':>6} {'done':>4} {'first step p50':>14} {'p95':>6} {'end p50':>8} {'p95':>6} "
          f"{'steps/s':>8} {'switches':>8}")
    for _ in range(args.repeat):
        for n in args.runs:
            for turn_s in [0.0, *args.turn_s]:
                r = run_row(n, turn_s, args.places, args.epochs)
                print(f"{n:>3} {turn_s:>6g} {r['completed']:>4} {r['first50']:>14.2f} {r['first95']:>6.2f} "
                      f"{r['end50']:>8.2f} {r['end95']:>6.2f} {r['steps_s']:>8.0f} {r['switches']:>8}", flush=True)
    print("first step: seconds from the start to a run's first step; end: to its end; steps/s: all runs' steps / "
          "the start to the last end; switches: turns that ended (a run lent its place)")


if __name__ == "__main__":
    main()
