"""The MLP playground's sweeps: the settings a sweep may vary (`SETTINGS`), and `train_sweep`, which refuses a sweep
over the memory budget and trains the rest with playground.mlp.sweep_batched: variants of one shape as one batched
model, variants of different shapes one after another, each as a batch of one, in the same job.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

import pandas as pd

from playground.config import OPTIMIZERS
from playground.control import Control
from playground.events import RunFailed
from playground.loop import Emit, failure_event
from playground.mlp.config import ACTIVATIONS, INITS, MAX_HIDDEN_LAYERS, MLPRunConfig
from playground.mlp.sweep_batched import SweepRun
from playground.settings import Limits
from playground.sweep import Setting, Sweep, memory_problem

LEARNING_RATES = (1e-5, 3e-5, 1e-4, 3e-4, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


def _value(text: str) -> Any:
    """A number or a name from its text (the config checks it)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _training(name: str):
    return lambda c, v: dataclasses.replace(c, training=dataclasses.replace(c.training, **{name: v}))


def _model(**changes):
    return lambda c: dataclasses.replace(c, model=dataclasses.replace(c.model, **changes))


def _width(c: MLPRunConfig, v: Any) -> MLPRunConfig:
    """Every hidden layer `v` wide (a net without hidden layers gets one)."""
    n = max(1, len(c.model.hidden_sizes))
    acts = c.model.activations or ("relu",)
    return _model(hidden_sizes=(v,) * n, activations=(acts + (acts[-1],) * n)[:n])(c)


def _depth(c: MLPRunConfig, v: Any) -> MLPRunConfig:
    """`v` hidden layers as wide as the last one (16 for a net without), each with the last one's activation."""
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise ValueError(f"depth must be a whole number from 0 to {MAX_HIDDEN_LAYERS}; got {v!r}.")
    width = c.model.hidden_sizes[-1] if c.model.hidden_sizes else 16
    act = c.model.activations[-1] if c.model.activations else "relu"
    return _model(hidden_sizes=(width,) * v, activations=(act,) * v)(c)


def _activation(c: MLPRunConfig, v: Any) -> MLPRunConfig:
    return _model(activations=(v,) * len(c.model.hidden_sizes))(c)


def _init(c: MLPRunConfig, v: Any) -> MLPRunConfig:
    return _model(init=v)(c)


SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("learning_rate", "learning rate", _value, _training("learning_rate"), True, LEARNING_RATES,
            (0.1, 0.01, 0.001), log_scale=True),
    Setting("weight_decay", "weight decay", _value, _training("weight_decay"), True,
            (0.0, 1e-5, 1e-4, 0.001, 0.01, 0.1), (0.0, 0.001, 0.01)),
    Setting("seed", "seed (initialisation and batch order)", _value, _training("seed"), True, tuple(range(16)),
            (0, 1, 2, 3)),
    Setting("init", "initialisation", _value, _init, True, INITS, INITS),
    Setting("width", "width (every hidden layer)", _value, _width, False, (2, 4, 8, 16, 32, 64, 128, 256, 512),
            (4, 16, 64), log_scale=True),
    Setting("depth", "depth (hidden layers)", _value, _depth, False, tuple(range(9)), (1, 2, 3)),
    Setting("activation", "activation", _value, _activation, False, ACTIVATIONS, ("relu", "tanh", "sigmoid")),
    Setting("optimizer", "optimizer", _value, _training("optimizer"), False, OPTIMIZERS, ("sgd", "adam")),
    Setting("batch_size", "batch size", _value, _training("batch_size"), False,
            (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024), (8, 32, 128), log_scale=True),
)}


def train_sweep(sweep: Sweep, emit: Emit, control: Control, table: pd.DataFrame | None = None) -> None:
    """Train every variant of `sweep` (an MLP run config's sweep), reporting through `emit` as
    playground.mlp.sweep_batched and playground.sweep say; never raises. A sweep over the server's memory budget
    (playground.sweep.memory_problem, `max_run_memory_mb`) fails before any model is built."""
    t0 = time.perf_counter()
    refused = memory_problem(sweep, Limits.from_settings().max_memory_mb, table)
    if refused:
        emit(RunFailed("failed", refused, 0, 0.0))
        return
    run = SweepRun(sweep, emit, control, t0)
    try:
        run.run(table)
    except Exception as e:  # errors are data, as in playground.loop.fit
        end = failure_event(e, run.step, t0)
        run.end_all("failed", end.message)
        emit(end)

