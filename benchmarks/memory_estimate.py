"""Estimated against measured peak memory of one run, for small to the largest settings the forms allow.

Each config trains for a few steps (MLP: whole epochs) in a fresh process, which reports its peak resident
memory above its size after imports (tests/playground/peak_memory.py). The estimate is
playground.memory.estimate; the default budget (`max_run_memory_mb`) refuses the runs marked "refused".
The two largest configs take about 6 GB and minutes on a CPU: run this on a machine with room for them.

Run: .venv/bin/python benchmarks/memory_estimate.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playground import memory  # noqa: E402
from playground.attention.config import (  # noqa: E402
    AttentionRunConfig,
    AttentionTrainConfig,
    TaskConfig,
    TransformerConfig,
)
from playground.attention.presets import PRESETS as ATTENTION_PRESETS  # noqa: E402
from playground.mlp.config import DataConfig, MLPConfig, MLPRunConfig, TrainConfig  # noqa: E402
from playground.mlp.presets import PRESETS  # noqa: E402
from playground.settings import Limits  # noqa: E402
from tests.playground.peak_memory import measure, short_run  # noqa: E402


def mlp(n: int, widths: tuple[int, ...], activation: str = "relu", batch: int = 100_000) -> MLPRunConfig:
    model = MLPConfig(hidden_sizes=widths, activations=(activation,) * len(widths))
    return MLPRunConfig(DataConfig(n_samples=n), model,
                     TrainConfig(batch_size=batch))


def attention(task: str, seq_len: int, d_model: int, n_heads: int, n_layers: int, d_ff: int, batch: int,
              dropout: float = 0.0) -> AttentionRunConfig:
    return AttentionRunConfig(TaskConfig(task=task, seq_len=seq_len),
                             TransformerConfig(d_model=d_model, n_heads=n_heads, n_layers=n_layers, d_ff=d_ff,
                                               dropout=dropout, context=max(seq_len, 16)),
                             AttentionTrainConfig(batch_size=batch))


CASES: list[tuple[str, object, int]] = [  # (name, config, steps)
    ("MLP preset spiral", PRESETS["spiral"].config, 3),
    ("MLP 10,000 samples, 1 x 512, full batch", mlp(10_000, (512,)), 3),
    ("MLP 10,000 samples, 4 x 512 GELU, full batch", mlp(10_000, (512,) * 4, "gelu"), 3),
    ("MLP 10,000 samples, 8 x 512, full batch (form's bounds)", mlp(10_000, (512,) * 8), 3),
    ("MLP 10,000 samples, 8 x 512, batch 4,000", mlp(10_000, (512,) * 8, batch=4000), 3),
    ("attention preset tiny-lm", ATTENTION_PRESETS["tiny-lm"].config, 3),
    ("reverse T=64, d 128, 4 heads, 2 layers, batch 64", attention("reverse", 64, 128, 4, 2, 256, 64), 3),
    ("char_lm T=128, d 16, 8 heads, 2 layers, batch 32, dropout", attention("char_lm", 128, 16, 8, 2, 16, 32, 0.1), 3),
    ("reverse T=128, d 128, 8 heads, 6 layers, batch 32", attention("reverse", 128, 128, 8, 6, 256, 32), 3),
    ("reverse T=32, d 256, 2 heads, 4 layers, d_ff 1024, batch 256", attention("reverse", 32, 256, 2, 4, 1024, 256), 2),
    ("reverse T=128, d 256, 8 heads, 6 layers, d_ff 1024, batch 256 (form's bounds)",
     attention("reverse", 128, 256, 8, 6, 1024, 256), 1),
]


def main() -> None:
    limits = Limits()
    print(f"default budget: {limits.max_memory_mb} MB per run\n")
    print("| config | steps | estimate MB | measured MB | estimate / measured | default budget | wall s |")
    print("|---|---:|---:|---:|---:|---|---:|")
    for name, config, steps in CASES:
        t0 = time.perf_counter()
        ((measured, status, _),) = measure([short_run(config, steps)], timeout=3600)
        estimate = memory.estimate(config).mb
        verdict = "refused" if limits.memory_problem(config) else "allowed"
        print(f"| {name} | {steps} | {estimate:,.0f} | {measured:,.0f} | {estimate / measured:.2f} | {verdict} | "
              f"{time.perf_counter() - t0:,.0f} |" + ("" if status == "completed" else f" ({status})"), flush=True)


if __name__ == "__main__":
    main()
