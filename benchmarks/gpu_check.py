"""Does the engine train on a GPU, and how fast? Every MLP preset, tensorflow/playground's two nets and every
attention preset through the job runner, on CUDA and on CPU, side by side.

For each run: steps/s (steps over the job's training seconds, as `python -m playground train --json` reports
them) and the click-to-first-point time: seconds from the job's start (data and model are built inside it) to its
first plotted point, the first step loss a page can draw. Runs are cut short (--epochs for the MLP, --steps for
the attention playground) so the whole check takes a few minutes. A run that does not complete is listed with
its status and message. Before the CUDA rows one small run initialises CUDA (a server pays that once, not per
run); the rows do not include it, nor the imports a first run pays.

Without CUDA the script says so and prints the CPU column only (exit status 0): the CUDA path is then untested.

Run: .venv/bin/python benchmarks/gpu_check.py [--epochs 20] [--steps 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
from tfp_equal_work import tfp_config  # noqa: E402

from playground import kinds  # noqa: E402
from playground.attention.presets import PRESETS as ATTENTION_PRESETS  # noqa: E402
from playground.cli import apply_overrides  # noqa: E402
from playground.events import RunFailed, RunFinished, RunStarted, StepEnded  # noqa: E402
from playground.jobs import Job  # noqa: E402
from playground.mlp.presets import PRESETS as MLP_PRESETS  # noqa: E402


def runs(epochs: int, steps: int) -> dict[str, object]:
    """name -> config (device "auto", set per column), each cut to `epochs` epochs or `steps` steps."""
    table: dict[str, object] = {}
    for name, preset in MLP_PRESETS.items():
        table[f"mlp {name}"] = apply_overrides(preset.config, [f"epochs={min(epochs, preset.config.training.epochs)}"])
    for net in ("2-4-2", "6x8"):
        table[f"tfp {net}"] = tfp_config(net, epochs)
    for name, preset in ATTENTION_PRESETS.items():
        cut = f"steps={min(steps, preset.config.training.steps)}"
        table[f"attention {name}"] = apply_overrides(preset.config, [cut])
    return table


def timed_run(config) -> dict:
    """Train `config` in a job; its steps/s (steps / training seconds), seconds to the first step loss, status."""
    marks: dict[str, float] = {}
    t0 = time.perf_counter()

    def trainer(cfg, emit, control, **inputs):
        def timed(event):
            if type(event) is StepEnded:
                marks.setdefault("first_point", time.perf_counter() - t0)
            elif isinstance(event, RunStarted):
                marks["started"] = time.perf_counter() - t0
            elif isinstance(event, RunFinished | RunFailed):
                marks["end"] = event
            emit(event)
        kinds.trainer_for(cfg)(cfg, timed, control, **inputs)

    job = Job(config, trainer=trainer).start()
    job.thread.join()
    snap = job.snapshot()
    end = marks.get("end")
    ok = isinstance(end, RunFinished) and end.status == "completed"
    return {"steps_per_s": snap.step / snap.elapsed_s if snap.elapsed_s > 0 else float("nan"),
            "first_point_s": marks.get("first_point"), "device": snap.started.device if snap.started else "-",
            "status": "completed" if ok else f"{getattr(end, 'status', '?')}: {getattr(end, 'message', '')}"}


def on(config, device: str):
    return apply_overrides(config, [f"training.device={device}"])


def cell(result: dict | None) -> str:
    if result is None:
        return "-"
    if result["status"] != "completed":
        return result["status"][:60]
    first = result["first_point_s"]
    return f"{result['steps_per_s']:8,.0f} steps/s, first point {first:5.2f} s" if first is not None else \
        f"{result['steps_per_s']:8,.0f} steps/s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20, help="MLP runs: at most this many epochs")
    parser.add_argument("--steps", type=int, default=200, help="attention runs: at most this many steps")
    args = parser.parse_args()
    cuda = torch.cuda.is_available()
    print(f"torch {torch.__version__}; CPU runs train on one thread, as jobs do")
    for device in ("cuda", "cpu") if cuda else ("cpu",):  # imports and CUDA's start, once, as a server pays them
        for warm_up in (tfp_config("2-4-2", 1), ATTENTION_PRESETS["reverse"].config):
            timed_run(apply_overrides(warm_up, [f"training.device={device}", "epochs=1" if "data" in
                                                warm_up.to_dict() else "steps=2"]))
    if cuda:
        print(f"CUDA: {torch.cuda.get_device_name(0)}")
    else:
        print("No CUDA device here: the CUDA column is not measured and the GPU path is untested by this run.")
    table = runs(args.epochs, args.steps)
    width = max(map(len, table))
    header = f"{'run':<{width}} | {'CUDA':<44} | CPU"
    print(header)
    print("-" * len(header))
    for name, config in table.items():
        gpu = timed_run(on(config, "cuda")) if cuda else None
        cpu = timed_run(on(config, "cpu"))
        print(f"{name:<{width}} | {cell(gpu):<44} | {cell(cpu)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
