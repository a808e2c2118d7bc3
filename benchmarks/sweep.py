"""A sweep of 8 learning rates against one run and against the same 8 runs one after another.

Each is trained in a `playground.jobs.Job` (its background thread, one torch thread), as the page and the command
line train, and timed by the job's own `seconds` (Snapshot.elapsed_s: from RunStarted, after the data and the
first models are built, to the end; what `python -m playground train --json` prints). "8 runs" is the sum of 8
single jobs' seconds, one per learning rate; "sweep of 8" is one job training the 8 as one batched model
(playground.mlp.sweep). The three are interleaved per repeat, so a shared machine's drift falls on all alike;
the table shows medians.

Setups: the moons preset (2-16-16-2 ReLU, Adam, batch 32, 800 training points), and tensorflow/playground's
6 x 8 tanh net at its settings: circles, 500 points, noise 0, half held out, SGD learning rate 0.03, batch 10
(its loss is 0.5 (out - y)^2 on ±1 labels, ours cross-entropy on two classes: the same work per step).

Run: .venv/bin/python benchmarks/sweep.py [--repeats 3] [--epochs 100]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground import sweep  # noqa: E402
from playground.jobs import Job  # noqa: E402
from playground.mlp.config import DataConfig, MLPConfig, MLPRunConfig, TrainConfig  # noqa: E402
from playground.mlp.presets import PRESETS  # noqa: E402

RATES = (0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001)


def setups(epochs: int) -> dict[str, MLPRunConfig]:
    moons = PRESETS["moons"].config
    tfp = MLPRunConfig(
        data=DataConfig(dataset="circles", n_samples=500, noise=0.0, test_fraction=0.5),
        model=MLPConfig(hidden_sizes=(8,) * 6, activations=("tanh",) * 6),
        training=TrainConfig(optimizer="sgd", learning_rate=0.03, batch_size=10, epochs=epochs))
    return {"moons": dataclasses.replace(moons, training=dataclasses.replace(moons.training, epochs=epochs)),
            "tfp 6x8 tanh": tfp}


def one_run(config: MLPRunConfig) -> float:
    job = Job(config).start()
    job.thread.join(600)
    snap = job.snapshot()
    assert snap.status in ("completed", "diverged"), (snap.status, snap.message)
    return snap.elapsed_s


def with_rate(config: MLPRunConfig, rate: float) -> MLPRunConfig:
    return dataclasses.replace(config, training=dataclasses.replace(config.training, learning_rate=rate))


def sweep_seconds(config: MLPRunConfig, values: tuple) -> float:
    snap = sweep.run(sweep.Sweep(config, "learning_rate", values))
    assert snap.status == "completed", (snap.status, snap.message)
    return snap.elapsed_s


def measure(config: MLPRunConfig, repeats: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"one run": [], "8 runs": [], "sweep of 8": []}
    one_run(config)  # warm-up: first-use imports and allocations
    for _ in range(repeats):
        times["one run"].append(one_run(config))
        times["sweep of 8"].append(sweep_seconds(config, RATES))
        times["8 runs"].append(sum(one_run(with_rate(config, r)) for r in RATES))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    print(f"{'setup':<14} {'steps':>6} {'one run s':>10} {'8 runs s':>9} {'sweep of 8 s':>13} "
          f"{'sweep/one':>10} {'8 runs/sweep':>13}")
    for name, config in setups(args.epochs).items():
        t = {k: statistics.median(v) for k, v in measure(config, args.repeats).items()}
        steps = config.training.epochs * -(-round(config.data.n_samples * (1 - config.data.test_fraction))
                                          // config.training.batch_size)
        print(f"{name:<14} {steps:>6} {t['one run']:>10.2f} {t['8 runs']:>9.2f} {t['sweep of 8']:>13.2f} "
              f"{t['sweep of 8'] / t['one run']:>9.2f}x {t['8 runs'] / t['sweep of 8']:>12.1f}x")
    print(f"medians of {args.repeats} interleaved repeats; learning rates {', '.join(f'{r:g}' for r in RATES)}")


if __name__ == "__main__":
    main()
