"""Our engine at tensorflow/playground's (TFP's) own settings, against a plain PyTorch loop in the same run.

TFP's equal work: 500 points, noise 0, half held out, tanh on every layer, SGD at learning rate 0.03, batch 10:
25 updates and one evaluation of both splits per epoch. Ours differs only in its output (a 2-class softmax and
cross-entropy instead of one tanh unit and squared error) and in its initialisation (PyTorch's default). As an
MLP config (`python -m playground train --preset circles --set ...`, see `tfp_config`):

    dataset=circles noise=0 n_samples=500 test_fraction=0.5 optimizer=sgd learning_rate=0.03 batch_size=10
    hidden_sizes=4,2 activations=tanh,tanh                                      (TFP's default 2-4-2 net)
    dataset=spiral n_classes=2 hidden_sizes=8,8,8,8,8,8 activations=tanh,...    (6 hidden layers of 8)

Prints one table, medians of --repeats runs (default 3), each row's runs interleaved with the others':
  - engine alone, epochs/s: the job through the job runner in this process (`playground.cli.run_training`, what
    `python -m playground train --json` runs), its `steps` / 25 over its `seconds` (training time: evaluations
    after every epoch, the health read and the boundary views every 0.4 s included);
  - plain loop, epochs/s: nn.Sequential, autograd, fused SGD, `.item()` per step, batches gathered by index
    from a per-epoch permutation, and the loss of both splits after each epoch (one thread, as jobs train);
  - click to test loss < 0.1 and to test accuracy >= 0.97 (circle 2-4-2, spiral 6x8): seconds from the job's
    start (data and model built inside it) to the first evaluation that meets the target, on the engine.
TFP's figures (its engine in Node, its page; measured on a 2-core machine) are a reference column.

Run: .venv/bin/python benchmarks/tfp_equal_work.py [--repeats 3] [--epochs 300]      (a few minutes)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from playground import kinds  # noqa: E402
from playground.cli import apply_overrides, run_training  # noqa: E402
from playground.events import EvalEnded  # noqa: E402
from playground.jobs import Job  # noqa: E402
from playground.mlp.data import make_dataset  # noqa: E402
from playground.mlp.presets import PRESETS  # noqa: E402

TFP_SETTINGS = ["dataset=circles", "noise=0", "n_samples=500", "test_fraction=0.5", "optimizer=sgd",
                "learning_rate=0.03", "batch_size=10"]
NETS = {  # name -> (--set overrides beyond TFP_SETTINGS)
    "2-4-2": ["hidden_sizes=4,2", "activations=tanh,tanh"],
    "6x8": ["dataset=spiral", "n_classes=2", "hidden_sizes=8,8,8,8,8,8", "activations=" + ",".join(["tanh"] * 6)],
}
# TFP's figures, from the measurements on a 2-core machine: engine alone in Node (epochs/s) and click to
# displayed test loss < 0.1 on its page (seconds; spiral 6x8: about 690 epochs).
TFP_ENGINE = {"2-4-2": 4400.0, "6x8": 390.0}
TFP_CLICK = {("circle", "2-4-2"): 0.72, ("spiral", "6x8"): 32.7}
CLICK_CASES = {  # (dataset, net) -> (--set overrides, epochs at most)
    ("circle", "2-4-2"): (NETS["2-4-2"], 2000),
    ("spiral", "6x8"): (NETS["6x8"], 3000),
}


def tfp_config(net: str, epochs: int):
    """The MLP config of TFP's settings for `net` ("2-4-2" or "6x8"), trained `epochs` epochs."""
    return apply_overrides(PRESETS["circles"].config, [*TFP_SETTINGS, *NETS[net], f"epochs={epochs}"])


# --- engine alone and the plain loop ------------------------------------------------------------------------

def engine_epochs_per_s(net: str, epochs: int) -> float:
    """The job at TFP's settings through the job runner: steps / steps per epoch / training seconds."""
    config = tfp_config(net, epochs)
    result = run_training(net, config, show_progress=False)
    assert result["status"] == "completed", result
    per_epoch = -(-int(500 * 0.5) // config.training.batch_size)
    return result["steps"] / per_epoch / result["seconds"]


def plain_loop_epochs_per_s(net: str, epochs: int) -> float:
    """A plain PyTorch loop at the same settings: nn.Sequential, autograd, fused SGD, `.item()` per step, batches
    gathered by index, the loss of both splits after each epoch. In a thread with one intra-op thread, as jobs."""
    result: list[float] = []
    thread = threading.Thread(target=lambda: result.append(_plain_loop(net, epochs)))
    thread.start()
    thread.join()
    return result[0]


def _plain_loop(net: str, epochs: int) -> float:
    torch.set_num_threads(1)
    config = tfp_config(net, epochs)
    data = make_dataset(config.data)
    x, y = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
    xt, yt = torch.from_numpy(data.x_test), torch.from_numpy(data.y_test)
    torch.manual_seed(0)
    sizes = [2, *config.model.hidden_sizes]
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(a, b), nn.Tanh()]
    model = nn.Sequential(*layers, nn.Linear(sizes[-1], 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.03, fused=True)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), 10):
            idx = order[start : start + 10]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.item()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            loss_fn(model(x), y).item(), loss_fn(model(xt), yt).item()
    return epochs / (time.perf_counter() - t0)


# --- click to a target ----------------------------------------------------------------------------------------

def click_to_targets(case: tuple[str, str]) -> tuple[float | None, float | None]:
    """Seconds from the job's start to its first evaluation with test loss < 0.1, and with test accuracy >= 0.97
    (None: not reached within the case's epochs)."""
    overrides, epochs = CLICK_CASES[case]
    config = apply_overrides(PRESETS["circles"].config, [*TFP_SETTINGS, *overrides, f"epochs={epochs}"])
    times: dict[str, float] = {}
    t0 = time.perf_counter()

    def trainer(cfg, emit, control, **inputs):
        def timed(event):
            emit(event)
            if type(event) is EvalEnded:
                now = time.perf_counter() - t0
                if event.test_loss < 0.1:
                    times.setdefault("loss", now)
                if event.test_metric >= 0.97:
                    times.setdefault("accuracy", now)
                if len(times) == 2:
                    control.stop()
        kinds.trainer_for(cfg)(cfg, timed, control, **inputs)

    job = Job(config, trainer=trainer).start()
    job.thread.join()
    return times.get("loss"), times.get("accuracy")


# --- the table: the engine's rows; the page's rows join them in main --------------------------------------------

def engine_rows(repeats: int, epochs: int) -> list[tuple[str, str, str, str]]:
    """(measure, ours, plain loop or note, TFP) rows for the engine: epochs/s and the clicks."""
    rows = []
    for net in NETS:
        engine, plain = [], []
        for _ in range(repeats):  # interleaved: the machine's speed drifts over minutes
            engine.append(engine_epochs_per_s(net, epochs))
            plain.append(plain_loop_epochs_per_s(net, epochs))
        e, p = statistics.median(engine), statistics.median(plain)
        rows.append((f"engine alone, {net}, epochs/s", f"{e:,.0f}", f"{p:,.0f} (ours/plain {e / p:.2f}x)",
                     f"{TFP_ENGINE[net]:,.0f}"))
    for case in CLICK_CASES:
        runs = [click_to_targets(case) for _ in range(repeats)]
        for i, target in enumerate(("test loss < 0.1", "test accuracy >= 0.97")):
            got = [r[i] for r in runs]
            ours = f"{statistics.median(got):.2f} s" if None not in got else \
                f"not reached in {CLICK_CASES[case][1]} epochs ({sum(g is None for g in got)} of {len(got)} runs)"
            tfp = f"{TFP_CLICK[case]:.2f} s" if i == 0 and case in TFP_CLICK else "-"
            rows.append((f"click to {target}, {case[0]} {case[1]}", ours, "", tfp))
    return rows


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    header = ("", "ours", "plain PyTorch loop, same run", "TFP")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    for r in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=300, help="epochs per engine and plain-loop run")
    parser.add_argument("--engine-only", action="store_true", help="leave out the page's rows (no browser)")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads available, training on one; "
          f"medians of {args.repeats}")
    rows = engine_rows(args.repeats, args.epochs)
    if not args.engine_only:  # the live page's rows (benchmarks/tfp_page.py: headless Chromium, a watcher)
        import tfp_page

        page = tfp_page.measure(args.repeats, list(tfp_page.NETS))
        rows += [(name, ours, "", tfp) for name, ours, tfp in tfp_page.page_rows(page)]
        print_table(rows)
        tfp_page.print_runs(page)
        return
    print_table(rows)


if __name__ == "__main__":
    main()
