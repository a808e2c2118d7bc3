import json
import math

import numpy as np
import pytest
import torch
from safetensors import safe_open

from playground.events import EvalEnded, RunStarted
from playground.export import weights_bytes
from playground.mlp.config import FEATURES, DataConfig, MLPConfig, MLPRunConfig, TrainConfig
from playground.mlp.features import LABELS, derive
from playground.mlp.network import thumb_index
from playground.mlp.presets import PRESETS
from playground.mlp.training import train
from playground.share import from_query, to_query
from tests.conftest import Recorder


def test_the_seven_features_of_a_point():
    out = derive(torch.tensor([[2.0, 0.5], [-1.0, 3.0]]), FEATURES)
    expected = [[2, 0.5, 4, 0.25, 1, math.sin(2), math.sin(0.5)], [-1, 3, 1, 9, -3, math.sin(-1), math.sin(3)]]
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    np.testing.assert_allclose(derive(torch.tensor([[2.0, 0.5]]), ("xy", "y2")), [[1.0, 0.25]])
    assert [LABELS[f] for f in FEATURES] == ["x", "y", "x²", "y²", "x·y", "sin x", "sin y"]


def test_the_config_checks_the_features_and_keeps_one_order():
    assert DataConfig(features=("sin_y", "x", "x2")).features == ("x", "x2", "sin_y")
    assert DataConfig(features=["y", "x"]) == DataConfig()  # a link's list, in another order: the same config
    for bad, message in (((), "at least one"), (("x", "x"), "once"), (("x", "cos x"), "input feature")):
        with pytest.raises(ValueError, match=message):
            DataConfig(features=bad)


def test_features_travel_in_the_link_json_and_the_exported_model(tmp_path):
    config = PRESETS["spiral-features"].config
    assert config.data.features == FEATURES
    back, problems = from_query(MLPRunConfig, to_query(config))
    assert not problems and back == config
    assert MLPRunConfig.from_json(config.to_json()) == config
    header = weights_bytes({"w": np.zeros(2, np.float32)}, config)
    path = tmp_path / "model.safetensors"
    path.write_bytes(header)
    with safe_open(path, "numpy") as f:
        assert json.loads(f.metadata()["config"])["data"]["features"] == list(FEATURES)


def test_the_network_gets_the_derived_features_and_the_view_shows_them():
    config = MLPRunConfig(data=DataConfig(dataset="circles", n_samples=200, features=("x", "x2", "y2")),
                          model=MLPConfig(hidden_sizes=(3,), activations=("tanh",)),
                          training=TrainConfig(epochs=3))
    recorder = Recorder()
    train(config, recorder)
    started, last = recorder.of(RunStarted)[0], recorder.of(EvalEnded)[-1]
    assert started.n_params == 3 * 3 + 3 + 3 * 2 + 2  # three inputs
    inputs = last.views.network.layers[0]
    assert inputs.labels == ("x", "x²", "y²")
    grid = last.views.grid
    pick = thumb_index(len(grid.x))
    px, py = np.meshgrid(grid.x[pick], grid.y[pick])
    np.testing.assert_allclose(inputs.images[1], px**2, rtol=2e-3, atol=2e-3)  # float16 pictures
    np.testing.assert_allclose(inputs.images[2], py**2, rtol=2e-3, atol=2e-3)
    assert started.info.points.x_train.shape[1] == 2  # the boundary still plots the points themselves


def test_the_memory_estimate_counts_the_derived_inputs():
    from playground.memory import FLOAT
    from playground.mlp.memory import estimate

    plain = PRESETS["spiral-features"].config
    xy = MLPRunConfig(data=DataConfig(dataset="spiral", n_classes=3, noise=0.05), model=plain.model,
                      training=plain.training)
    # five more inputs: five more weights into each of the 6 hidden units
    assert estimate(plain).weights - estimate(xy).weights == FLOAT * 5 * 6
