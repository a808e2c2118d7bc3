"""The runnable script of an MLP run (playground.mlp.script): its data, model and training are the app's."""

from __future__ import annotations

import ast
import dataclasses
import re
import runpy
import subprocess
import sys

import numpy as np
import pytest
import torch

from playground.events import EvalEnded
from playground.mlp import features
from playground.mlp.config import CLASSIFICATION_2D, REGRESSION_2D, TABULAR, DataConfig, MLPConfig
from playground.mlp.data import make_dataset
from playground.mlp.model import MLP
from playground.mlp.presets import PRESETS
from playground.mlp.script import render
from playground.mlp.training import train
from playground.torchkit import seeded_model
from tests.conftest import Recorder

RESULT = re.compile(r"^test_(accuracy|r2)=(-?\d+\.\d{4})$")


def _with(preset: str, data: dict | None = None, model: dict | None = None, **training):
    c = PRESETS[preset].config
    return dataclasses.replace(c, data=dataclasses.replace(c.data, **(data or {})),
                               model=dataclasses.replace(c.model, **(model or {})),
                               training=dataclasses.replace(c.training, **training))


def _namespace(config, tmp_path) -> dict:
    path = tmp_path / "train.py"
    path.write_text(render(config))
    return runpy.run_path(str(path), run_name="not_main")  # its functions, without training


@pytest.mark.parametrize("dataset", CLASSIFICATION_2D + REGRESSION_2D + TABULAR)
def test_the_script_rebuilds_every_built_in_dataset_as_the_app_does(dataset, tmp_path):
    data = DataConfig(dataset=dataset, n_samples=150, noise=0.3, n_classes=4, test_fraction=0.3, seed=7,
                      features=("x", "y", "x2", "xy", "sin_y"))
    config = dataclasses.replace(PRESETS["moons"].config, data=data)
    ns = _namespace(config, tmp_path)
    tree = ast.parse((tmp_path / "train.py").read_text())
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    imported = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom | ast.Import)
                for alias in node.names} - {"annotations"}
    assert imported <= used  # no import left unused by this dataset's code
    x, y, class_names = ns["load_data"]()
    x_train, y_train, x_test, y_test = ns["split_and_scale"](x, y)
    d = make_dataset(data)
    for got, want in ((x_train, d.x_train), (y_train, d.y_train), (x_test, d.x_test), (y_test, d.y_test)):
        assert got.dtype == want.dtype and np.array_equal(got, want)
    assert tuple(class_names) == d.class_names
    inputs = ns["inputs"](torch.as_tensor(x_test))
    if d.n_features == 2:  # the derived features of mlp/features.py
        assert torch.equal(inputs, features.derive(torch.as_tensor(d.x_test), data.features))
    else:  # a table's columns as they are
        assert torch.equal(inputs, torch.as_tensor(d.x_test))


@pytest.mark.parametrize(("init", "dropout"), [("default", 0.0), ("xavier", 0.3), ("kaiming", 0.0)])
def test_the_scripts_model_starts_from_the_apps_weights(init, dropout, tmp_path):
    model_cfg = MLPConfig(hidden_sizes=(5, 3), activations=("tanh", "relu"), init=init, dropout=dropout)
    config = _with("moons", model=dataclasses.asdict(model_cfg), seed=11)
    ns = _namespace(config, tmp_path)
    torch.manual_seed(11)
    mine = ns["MLP"](4, 3).state_dict()
    app = seeded_model(11, lambda: MLP(4, 3, model_cfg)).state_dict()
    assert list(mine) == list(app)  # the same layers in the same places (dropout's included)
    assert all(torch.equal(mine[k], app[k]) for k in app)


def test_an_uploaded_table_is_refused_with_the_reason():
    config = dataclasses.replace(PRESETS["moons"].config, data=DataConfig(dataset="csv", target="label"))
    with pytest.raises(ValueError, match="uploaded CSV"):
        render(config)


def _app_result(config) -> float:
    """The final test metric of the app's trainer, with torch's global generator seeded as the script seeds it
    (only dropout draws from it)."""
    torch.manual_seed(config.training.seed)
    rec = Recorder()
    train(config, rec)
    return rec.of(EvalEnded)[-1].test_metric


# Classification and regression, generated and bundled data, derived features, each optimizer family, the
# three initialisations and dropout; a few epochs each, so the whole test takes seconds.
CASES = {
    "moons": _with("moons", epochs=3),
    "ripple-regression": _with("ripple-regression", epochs=3),
    "spiral-features": _with("spiral-features", epochs=3),
    "iris-sigmoid-sgd": _with("iris-sigmoid-sgd", epochs=4),
    "wine, momentum, xavier": _with("wine", model={"init": "xavier"}, optimizer="momentum", epochs=3),
    "moons, dropout, kaiming, rmsprop": _with("moons", model={"dropout": 0.3, "init": "kaiming"},
                                              optimizer="rmsprop", learning_rate=0.003, epochs=3),
}


def test_the_generated_scripts_reach_the_apps_final_test_metric(tmp_path):
    paths = []
    for i, config in enumerate(CASES.values()):
        paths.append(tmp_path / f"train_{i}.py")
        paths[-1].write_text(render(config))
        assert _imports(paths[-1]) <= {"__future__", "math", "numpy", "torch", "sklearn"}
    # One fresh interpreter runs them all, each as a program, as `python train_0.py` would (torch is imported once:
    # the test stays fast). -I: neither this project's folder nor its environment variables are on the path.
    runner = ("import runpy, sys\nfor p in sys.argv[1:]:\n"
              "    print('::', p)\n    runpy.run_path(p, run_name='__main__')\n"
              "assert not [m for m in sys.modules if m.split('.')[0] == 'playground'], 'imported the project'\n")
    out = subprocess.run([sys.executable, "-I", "-c", runner, *map(str, paths)], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    outputs = [chunk.strip().splitlines() for chunk in out.stdout.split("::")[1:]]
    for (name, config), lines in zip(CASES.items(), outputs, strict=True):
        epochs = config.training.epochs
        assert lines[-2].startswith(f"epoch {epochs}/{epochs}: mean batch loss "), (name, lines)
        match = RESULT.match(lines[-1])
        assert match, (name, lines)
        assert match.group(1) == ("r2" if config.data.dataset in REGRESSION_2D else "accuracy")
        # printed to 4 decimals: equal to the app's value rounded so (R² is a ratio of float32 sums: a last-digit
        # difference in them may show, hence half a unit of the last printed digit and a hair more)
        assert abs(float(match.group(2)) - _app_result(config)) <= 0.5e-4 + 1e-6, name


def _imports(path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module.split(".")[0])
    return names

