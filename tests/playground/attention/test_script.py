"""The runnable script of a Transformer run (playground.attention.script): the app's data, model and result."""

from __future__ import annotations

import dataclasses
import runpy
import subprocess
import sys

import numpy as np
import pytest
import torch

from playground.attention import tasks
from playground.attention.presets import PRESETS
from playground.attention.script import render
from playground.attention.training import build_model, train
from playground.events import EvalEnded
from playground.torchkit import seeded_model
from tests.conftest import Recorder


def _with(preset: str, model: dict | None = None, **training):
    c = PRESETS[preset].config
    return dataclasses.replace(c, model=dataclasses.replace(c.model, **(model or {})),
                               training=dataclasses.replace(c.training, **training))


def _namespace(config, tmp_path) -> dict:
    path = tmp_path / "train.py"
    path.write_text(render(config))
    return runpy.run_path(str(path), run_name="not_main")


@pytest.mark.parametrize("preset", ["reverse", "sort"])
def test_the_script_draws_the_apps_training_stream_and_held_out_set(preset, tmp_path):
    config = PRESETS[preset].config
    ns = _namespace(config, tmp_path)
    mine = ns["batch"](ns["BATCH_SIZE"], np.random.default_rng([config.task.seed, 0]))
    app = tasks.make_batch(config.task, config.training.batch_size, tasks.train_rng(config.task))
    held = ns["batch"](ns["N_HELD_OUT"], np.random.default_rng([config.task.seed, 1]))
    assert all(torch.equal(a, b) for a, b in zip((*mine, *held), (*app, *tasks.held_out(config.task)), strict=True))


@pytest.mark.parametrize("positional", ["sinusoidal", "learned"])
def test_the_scripts_transformer_starts_from_the_apps_weights(positional, tmp_path):
    config = _with("reverse", model={"positional": positional, "dropout": 0.1}, seed=5)
    ns = _namespace(config, tmp_path)
    torch.manual_seed(5)
    mine = ns["Transformer"](config.task.vocab_size)
    app = seeded_model(5, lambda: build_model(config))
    assert list(mine.state_dict()) == list(app.state_dict())
    assert all(torch.equal(mine.state_dict()[k], v) for k, v in app.state_dict().items())
    mine.eval(), app.eval()
    x = tasks.held_out(config.task, 4).inputs
    assert torch.allclose(mine(x), app(x), atol=1e-6)


def test_a_task_without_written_out_data_is_refused_with_the_tasks_it_covers():
    with pytest.raises(ValueError, match="A script can rebuild the copy, reverse, sort tasks only"):
        render(PRESETS["recall"].config)


def _app_result(config) -> float:
    torch.manual_seed(config.training.seed)  # dropout's masks, as the script seeds them
    rec = Recorder()
    train(config, rec)
    return rec.of(EvalEnded)[-1].test_metric


def test_the_generated_scripts_reach_the_apps_validation_accuracy(tmp_path):
    cases = [_with("reverse", steps=30, eval_every=10),
             _with("sort", model={"dropout": 0.1, "positional": "learned", "activation": "gelu"}, steps=30,
                   optimizer="momentum", learning_rate=0.03)]
    paths = []
    for i, config in enumerate(cases):
        paths.append(tmp_path / f"train_{i}.py")
        paths[-1].write_text(render(config))
    runner = ("import runpy, sys\nfor p in sys.argv[1:]:\n    print('::', p)\n"
              "    runpy.run_path(p, run_name='__main__')\n"
              "assert not [m for m in sys.modules if m.split('.')[0] in ('playground', 'sklearn')]\n")
    out = subprocess.run([sys.executable, "-I", "-c", runner, *map(str, paths)], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    for config, chunk in zip(cases, out.stdout.split("::")[1:], strict=True):
        last = chunk.strip().splitlines()[-1]
        assert last.startswith("test_accuracy=") and len(last.split("=")[1].split(".")[1]) == 4
        assert abs(float(last.split("=")[1]) - _app_result(config)) <= 0.5e-4 + 1e-6
