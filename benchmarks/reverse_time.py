"""How long the reverse preset takes to reach 99% held-out token accuracy, by torch thread count.

    .venv/bin/python benchmarks/reverse_time.py            # the reverse preset, 1 thread then the default
    .venv/bin/python benchmarks/reverse_time.py --all      # every sequence preset, 1 thread

Each run trains in a background thread, as the app's job runner does, and the clock starts at
RunStarted (after the model and data are built). "to 99%" is the time of the first evaluation whose
held-out metric reached 0.99 (evaluations included); "mirror" is the largest mean attention any head
puts on the mirrored position of the probe (the issue's bar: >= 0.8). The issue aims under 30 s on a
2-core CPU.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground.attention.presets import PRESETS  # noqa: E402
from playground.attention.training import train  # noqa: E402
from playground.events import EvalEnded, RunFailed, RunStarted  # noqa: E402


def measure(config, threads: int) -> dict:
    """Train `config` in a worker thread with `threads` intra-op threads; return timings and metrics."""
    out: dict = {"to_99": None}
    t0 = [0.0]
    last: list[EvalEnded] = []

    def emit(e) -> None:
        now = time.perf_counter()
        if isinstance(e, RunStarted):
            t0[0] = now
        elif isinstance(e, EvalEnded):
            last[:] = [e]
            if out["to_99"] is None and e.test_metric >= 0.99:
                out["to_99"] = now - t0[0]
        elif isinstance(e, RunFailed):
            out["failed"] = e.message
        out["end"] = now

    def work() -> None:
        torch.set_num_threads(threads)
        train(config, emit)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    final = last[0]
    attention = final.views.attention
    t = attention.shape[-1]
    mirror = attention[..., np.arange(t), t - 1 - np.arange(t)].mean(-1).max()
    seconds = out["end"] - t0[0]
    return {"threads": threads, "to_99": out["to_99"], "accuracy": final.test_metric, "seconds": seconds,
            "steps_per_s": final.step / seconds, "mirror": float(mirror)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--all", action="store_true", help="every sequence preset, 1 thread")
    args = parser.parse_args()
    default = torch.get_num_threads()
    if args.all:
        runs = [(name, config, 1) for name, config in ((n, p.config) for n, p in PRESETS.items())]
    else:
        runs = [("reverse", PRESETS["reverse"].config, n) for n in dict.fromkeys((1, default))]
    print(f"torch {torch.__version__}, {default} default threads")
    header = ("threads", "to 99% (s)", "held-out", "total (s)", "steps/s", "mirror")
    print(f"{'preset':<10} " + " ".join(f"{h:>{max(len(h), 7)}}" for h in header))
    for name, config, threads in runs:
        r = measure(config, threads)
        to_99 = f"{r['to_99']:.2f}" if r["to_99"] is not None else "never"
        mirror = f"{r['mirror']:.3f}" if name == "reverse" else "-"
        print(f"{name:<10} {threads:>7} {to_99:>10} {r['accuracy']:>8.4f} {r['seconds']:>9.2f} "
              f"{r['steps_per_s']:>7.0f} {mirror:>7}", flush=True)


if __name__ == "__main__":
    main()
