"""Reference curves: short runs of many configurations, and the per-step losses and evaluations they gave.

`CASES` names each run (a preset or a small config, cut to a few epochs or steps). The stored values in
`reference_curves.json` were captured from the straightforward training step (nn modules, autograd, torch.optim,
`.item()` per step, batches gathered by index) before the lean step replaced it; `test_reference_curves.py`
checks that today's trainers still give the same curves. Regenerate only when a change of curves is meant:

    python -m tests.playground.reference_curves

The MLP's step draws dropout from a generator seeded with `torchkit.dropout_seed(seed)`; the straightforward step
drew it from torch's global generator, so the capture seeded that one with the same value first (as `run_case`
still does: the attention playground's dropout draws from the global generator).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from playground.attention.config import AttentionRunConfig
from playground.attention.presets import PRESETS as ATTENTION_PRESETS
from playground.cli import apply_overrides
from playground.events import EvalEnded, RunFailed, RunFinished, StepEnded
from playground.mlp.config import MLPRunConfig
from playground.mlp.presets import PRESETS as MLP_PRESETS

STORED = Path(__file__).with_name("reference_curves.json")
SGD_TANH = ["dataset=circles", "noise=0", "n_samples=500", "test_fraction=0.5", "activations=tanh,tanh",
       "hidden_sizes=4,4", "optimizer=sgd", "learning_rate=0.03", "batch_size=10"]
SMALL = ["n_samples=200", "noise=0.1", "hidden_sizes=8,8"]

# name -> (kind, preset, --set overrides). Every activation, optimizer, initialisation, dropout, derived features,
# regression, a table, a last batch smaller than the rest, a full batch, a diverging run, both playgrounds.
CASES: dict[str, tuple[str, str, list[str]]] = {
    "moons": ("mlp", "moons", ["epochs=4"]),
    "ripple-regression": ("mlp", "ripple-regression", ["epochs=3", "n_samples=400"]),
    "plane-sgd-regression": ("mlp", "moons", ["dataset=plane", "n_samples=300", "optimizer=sgd",
                                               "learning_rate=0.05", "epochs=3", "activations=identity,identity"]),
    "spiral-features": ("mlp", "spiral-features", ["epochs=2"]),
    "iris-sigmoid-sgd": ("mlp", "iris-sigmoid-sgd", ["epochs=4"]),
    "digits": ("mlp", "digits", ["epochs=1"]),
    "circle-4-4-sgd": ("mlp", "circles", [*SGD_TANH, "epochs=6"]),
    "spiral-6x8-sgd": ("mlp", "circles", [*SGD_TANH, "dataset=spiral", "n_classes=2", "hidden_sizes=8,8,8,8,8,8",
                                          "activations=tanh,tanh,tanh,tanh,tanh,tanh", "epochs=3"]),
    "dropout-adam": ("mlp", "moons", [*SMALL, "dropout=0.3", "epochs=4", "batch_size=16"]),
    "dropout-momentum-relu": ("mlp", "moons", [*SMALL, "dropout=0.5", "optimizer=momentum", "learning_rate=0.05",
                                               "epochs=3", "batch_size=24"]),
    "sgd-sigmoid-xavier": ("mlp", "moons", [*SMALL, "optimizer=sgd", "learning_rate=0.5",
                                            "activations=sigmoid,sigmoid", "init=xavier", "epochs=4"]),
    "momentum-leaky-kaiming-wd": ("mlp", "moons", [*SMALL, "optimizer=momentum", "learning_rate=0.05",
                                                   "activations=leaky_relu,leaky_relu", "init=kaiming",
                                                   "weight_decay=0.01", "epochs=4", "batch_size=48"]),
    "adamw-gelu-wd": ("mlp", "moons", [*SMALL, "optimizer=adamw", "learning_rate=0.01", "activations=gelu,gelu",
                                       "weight_decay=0.05", "epochs=4"]),
    "adam-silu-wd": ("mlp", "moons", [*SMALL, "optimizer=adam", "activations=silu,elu", "weight_decay=0.001",
                                      "epochs=4"]),
    "rmsprop-elu-3class": ("mlp", "moons", ["dataset=blobs", "n_classes=3", "n_samples=300", "optimizer=rmsprop",
                                            "learning_rate=0.003", "activations=elu,identity", "epochs=3",
                                            "weight_decay=0.001"]),
    "rmsprop-relu-full-batch": ("mlp", "moons", [*SMALL, "optimizer=rmsprop", "learning_rate=0.003",
                                                 "batch_size=1000", "epochs=20"]),
    "no-hidden-layer": ("mlp", "moons", [*SMALL, "hidden_sizes=", "activations=", "epochs=3"]),
    "diverges": ("mlp", "moons", ["optimizer=sgd", "learning_rate=10", "epochs=3"]),
    "diverges-tiny-batch": ("mlp", "moons", [*SMALL, "optimizer=momentum", "learning_rate=10", "batch_size=1",
                                             "epochs=2", "hidden_sizes=8", "activations=tanh"]),
    "attention-reverse": ("attention", "reverse", ["steps=40", "eval_every=10"]),
    "attention-sentiment-momentum": ("attention", "sentiment", ["steps=30", "eval_every=10", "optimizer=momentum",
                                                                "learning_rate=0.05"]),
    "attention-tiny-lm-dropout": ("attention", "tiny-lm", ["steps=24", "eval_every=8", "batch_size=8"]),
}


def config_of(name: str) -> MLPRunConfig | AttentionRunConfig:
    kind, preset, overrides = CASES[name]
    presets = MLP_PRESETS if kind == "mlp" else ATTENTION_PRESETS
    return apply_overrides(presets[preset].config, overrides)


def run_case(name: str) -> dict:
    """The case's step losses, evaluations (step, train loss, test loss, train metric, test metric) and end."""
    from playground import torchkit
    from playground.attention.training import train as train_attention
    from playground.mlp.training import train as train_mlp

    config = config_of(name)
    events: list = []
    # The straightforward step drew dropout from torch's global generator: seed it as the lean step seeds its own.
    seed = getattr(torchkit, "dropout_seed", lambda s: (s + 0x9E3779B9) % 2**32)(config.training.seed)
    torch.manual_seed(seed)
    (train_mlp if CASES[name][0] == "mlp" else train_attention)(config, events.append)
    end = events[-1]
    assert isinstance(end, RunFinished | RunFailed), end
    return {
        "losses": [e.loss for e in events if isinstance(e, StepEnded)],
        "steps": [e.step for e in events if isinstance(e, StepEnded)],
        "evals": [[e.step, e.train_loss, e.test_loss, e.train_metric, e.test_metric]
                  for e in events if isinstance(e, EvalEnded)],
        "end": [end.status, end.steps, getattr(end, "message", "")],
    }


def main() -> None:
    torch.set_num_threads(1)  # as training threads run (playground.jobs)
    STORED.write_text(json.dumps({name: run_case(name) for name in CASES}, indent=1) + "\n")
    print(f"wrote {STORED}")


if __name__ == "__main__":
    main()
