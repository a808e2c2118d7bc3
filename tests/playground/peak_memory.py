"""Measure the memory one training run adds to a process: its peak resident size above the size after imports.

Used by tests/playground/test_memory.py and benchmarks/memory_estimate.py. Each `measure` call starts one
Python process that imports the engine, then, for each config in turn, sets the kernel's high-water mark of
resident memory back to the current size (writing 5 to /proc/self/clear_refs, Linux 4.0 and later), trains
the config for `steps` steps in the process's main thread with one torch thread (as a job does), and reads
the high-water mark (VmHWM in /proc/self/status). Between configs, garbage is collected and freed heap pages
go back to the system (`registry.release_memory`), so each run starts from about the same size.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

_WORKER = r"""
import json, sys
import torch
from playground import kinds
from playground.registry import release_memory

def kb(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))

torch.set_num_threads(1)
out = []
for name, text in json.loads(sys.stdin.read()):
    kind = kinds.BY_NAME[name]
    train = kind.trainer()  # its module imported before the measurement starts
    release_memory()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the high-water mark starts again from the current resident size
    before = kb("VmRSS")
    last = []  # only the last event: a job keeps one copy of the weights, not one per evaluation
    train(kind.config_type.from_json(text), lambda e: last.__setitem__(slice(None), [e]))
    out.append(((kb("VmHWM") - before) / 1024, last[0].status, before / 1024))
    del last
print(json.dumps(out))
"""


def short_run(config: Any, steps: int) -> Any:
    """`config` cut to about `steps` optimizer steps (MLP: whole epochs) with no evaluation in between."""
    from playground.mlp.config import MLPRunConfig

    t = config.training
    if isinstance(config, MLPRunConfig):
        n_train = round(_rows(config) * (1 - config.data.test_fraction))
        per_epoch = -(-n_train // min(t.batch_size, n_train))
        return replace(config, training=replace(t, epochs=max(1, steps // per_epoch)))
    return replace(config, training=replace(t, steps=steps, eval_every=10_000))


def _rows(config: Any) -> int:
    from playground.mlp.memory import data_shape

    return data_shape(config.data)[0]


def measure(configs: list[Any], timeout: float = 600) -> list[tuple[float, str, float]]:
    """(MB added at peak, how the run ended, MB resident before it) for each config, trained in one new process.

    Raises RuntimeError if the process fails (its stderr in the message)."""
    from playground import kinds

    payload = json.dumps([(kinds.kind_of(c).name, c.to_json()) for c in configs])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _WORKER], input=payload, capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"memory probe failed:\n{done.stderr[-3000:]}")
    return [tuple(r) for r in json.loads(done.stdout.strip().splitlines()[-1])]
