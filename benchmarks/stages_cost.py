"""What capturing the stages of attention and the head statistics costs at evaluation: steps/s with and without.

    .venv/bin/python benchmarks/stages_cost.py                  # reverse and tiny-lm, 5 interleaved pairs each
    .venv/bin/python benchmarks/stages_cost.py --pairs 3 --steps 300

"with" is today's trainer: each evaluation's probe views carry the raw scores, each head's output, the mask, the
output distribution and the heads' entropy and pattern shares. "without" swaps in the views as they were before
(the attention weights, prediction and confidence only). Runs alternate A, B, A, B... in one process, each in
a worker thread with one torch thread (as the job runner trains), timed from RunStarted to the end; steps/s
counts evaluations in, at the preset's own eval_every. A second table times one evaluation's probe views
alone (median of 200 calls) and what the difference comes to over a run: evaluations per run x the added
time, over the run's time at the median steps/s without. The figures are medians with the range [min, max].
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground.attention import tasks, training  # noqa: E402
from playground.attention.presets import PRESETS  # noqa: E402
from playground.attention.views import AttentionViews  # noqa: E402
from playground.events import RunStarted  # noqa: E402
from playground.torchkit import seeded_model  # noqa: E402

WITH = training.probe_views


@torch.no_grad()
def without(model, spec, inputs, mirrored=False) -> AttentionViews:
    """The probe views as the trainer computed them before the stages: attention, prediction, confidence."""
    model.eval()
    logits, attention = model(inputs, return_attention=True)
    probs = logits[0].float().softmax(-1)
    top = probs.max(-1)
    labels = [tasks.display(spec.outputs[int(i)]) for i in top.indices.reshape(-1)]
    confidence = probs if spec.kind == "classify" else top.values
    return AttentionViews(torch.stack([w[0] for w in attention]).float().cpu().numpy(), np.array(labels),
                          confidence.cpu().numpy().astype(np.float32))


def steps_per_s(config, views) -> float:
    training.probe_views = views
    marks: list[float] = []

    def emit(e) -> None:
        if isinstance(e, RunStarted):
            marks.append(time.perf_counter())

    def work() -> None:
        torch.set_num_threads(1)
        training.train(config, emit)
        marks.append(time.perf_counter())

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    training.probe_views = WITH
    return config.training.steps / (marks[-1] - marks[0])


def eval_ms(config, views, calls: int = 200) -> float:
    torch.set_num_threads(1)
    model = seeded_model(0, lambda: training.build_model(config))
    spec, probe = tasks.spec(config.task), tasks.probe(config.task)
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        views(model, spec, probe.inputs, tasks.task_of(config.task).mirrored)
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):7.1f} [{min(values):.1f}, {max(values):.1f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=5, help="interleaved with/without pairs per preset")
    parser.add_argument("--steps", type=int, default=0, help="steps per run (0: the preset's own)")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, 1 torch thread; steps/s median [min, max] over {args.pairs} pairs")
    print(f"{'preset':<8} {'steps':>5} {'eval_every':>10} {'without':>22} {'with':>22} {'cost':>12}")
    rates = {}
    for name in ("reverse", "tiny-lm"):
        config = PRESETS[name].config
        if args.steps:
            config = dataclasses.replace(config, training=dataclasses.replace(config.training, steps=args.steps))
        a, b = [], []
        for _ in range(args.pairs):
            a.append(steps_per_s(config, without))
            b.append(steps_per_s(config, WITH))
        ratios = [1 - y / x for x, y in zip(a, b, strict=True)]
        rates[name] = statistics.median(a)
        cost = f"{100 * statistics.median(ratios):+.1f}% [{100 * min(ratios):+.1f}, {100 * max(ratios):+.1f}]"
        print(f"{name:<8} {config.training.steps:>5} {config.training.eval_every:>10} {spread(a):>22} {spread(b):>22}"
              f" {cost}", flush=True)
    print(f"\n{'preset':<8} {'probe views without (ms)':>25} {'with (ms)':>10} {'share of a run':>15}")
    for name in ("reverse", "tiny-lm"):
        config = PRESETS[name].config
        t = config.training
        a, b = eval_ms(config, without), eval_ms(config, WITH)
        share = (b - a) / 1000 * (t.steps // t.eval_every + 2) / (t.steps / rates[name])
        print(f"{name:<8} {a:>25.3f} {b:>10.3f} {100 * share:>14.2f}%", flush=True)


if __name__ == "__main__":
    main()
