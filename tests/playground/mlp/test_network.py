import numpy as np
import torch

from playground.events import EvalEnded
from playground.mlp.config import DataConfig, MLPConfig, MLPRunConfig, TrainConfig
from playground.mlp.model import MLP
from playground.mlp.network import (
    MAX_THUMBNAILS,
    MAX_UNITS,
    THUMB,
    grid_forward,
    network_view,
    shown_units,
    thumb_index,
)
from playground.mlp.training import train
from tests.conftest import Recorder


def _grid(side: int) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
    gx = np.linspace(-1, 1, side, dtype=np.float32)
    gy = np.linspace(-2, 2, side, dtype=np.float32)
    xx, yy = np.meshgrid(gx, gy)
    return gx, gy, torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], 1))


def _set(linear: torch.nn.Linear, weight, bias) -> None:
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(weight, dtype=torch.float32))
        linear.bias.copy_(torch.tensor(bias, dtype=torch.float32))


def test_pictures_of_a_hand_set_network_are_the_functions_it_computes():
    # hidden: relu(x - y + 0.5) and relu(2y); output: h1 - h2 and 3 h2 + 1; the pictures are these functions
    model = MLP(2, 2, MLPConfig(hidden_sizes=(2,), activations=("relu",)))
    _set(model.hidden[0], [[1, -1], [0, 2]], [0.5, 0])
    _set(model.output, [[1, -1], [0, 3]], [0, 1])
    gx, gy, flat = _grid(40)
    units, cut = shown_units(model, 2)
    out, images = grid_forward(model, flat, 40, units)
    assert not cut and [list(u) for u in units] == [[0, 1], [0, 1], [0, 1]]
    pick = thumb_index(40)
    px, py = np.meshgrid(gx[pick], gy[pick])  # rows follow y, as the boundary's grid
    h1, h2 = np.maximum(px - py + 0.5, 0), np.maximum(2 * py, 0)
    assert images[0].shape == (2, THUMB, THUMB) and images[0].dtype == np.float16
    np.testing.assert_allclose(images[0][0], px, atol=1e-3)  # the inputs' pictures: x and y
    np.testing.assert_allclose(images[0][1], py, atol=1e-3)
    np.testing.assert_allclose(images[1][0], h1, atol=1e-2)
    np.testing.assert_allclose(images[1][1], h2, atol=1e-2)
    np.testing.assert_allclose(images[2][0], h1 - h2, atol=1e-2)
    np.testing.assert_allclose(images[2][1], 3 * h2 + 1, atol=1e-2)
    np.testing.assert_allclose(out, model(flat).detach(), atol=1e-6)  # the boundary's output from the same pass
    view = network_view(model, units, images, gx, gy, ("x1", "x2"), ("a", "b"), cut)
    assert [c.name for c in view.layers] == ["inputs", "hidden 1", "output"]
    np.testing.assert_array_equal(view.layers[1].weights, [[1, -1], [0, 2]])
    np.testing.assert_array_equal(view.layers[2].bias, [0, 1])
    assert view.layers[0].labels == ("x1", "x2") and view.layers[2].labels == ("a", "b")
    assert view.layers[0].weights is None and view.hidden_units == 0
    np.testing.assert_array_equal(view.x, gx[pick])


def test_a_wide_layer_shows_the_units_with_the_largest_outgoing_weights():
    model = MLP(2, 2, MLPConfig(hidden_sizes=(40,), activations=("tanh",)))
    out_w = np.full((2, 40), 0.01, dtype=np.float32)
    strong = [3, 7, 11, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 38, 39]  # 16 units
    out_w[:, strong] = np.arange(1, 17)  # a larger norm than every other unit's
    _set(model.output, out_w, [0, 0])
    units, cut = shown_units(model, 2)
    assert list(units[1]) == strong and not cut
    gx, gy, flat = _grid(30)
    _, images = grid_forward(model, flat, 30, units)
    view = network_view(model, units, images, gx, gy, ("x1", "x2"), ("a", "b"), cut)
    hidden = view.layers[1]
    assert hidden.n_units == 40 and len(hidden.units) == MAX_UNITS and view.hidden_units == 24
    assert hidden.labels[0] == "unit 4"  # 1-based, as the page names them
    np.testing.assert_allclose(view.layers[2].weights, out_w[:, strong])  # links between shown units only
    assert images[1].shape == (MAX_UNITS, THUMB, THUMB)


def test_many_wide_layers_are_cut_to_the_top_units_of_each():
    model = MLP(2, 3, MLPConfig(hidden_sizes=(64,) * 8, activations=("relu",) * 8))
    units, cut = shown_units(model, 2)
    assert cut and sum(len(u) for u in units) <= MAX_THUMBNAILS
    assert all(len(u) == len(units[1]) < MAX_UNITS for u in units[1:-1])
    assert len(units[0]) == 2 and len(units[-1]) == 3


def _spiral_run(**training) -> list[EvalEnded]:
    config = MLPRunConfig(data=DataConfig(dataset="spiral", n_samples=300, noise=0.05),
                          model=MLPConfig(hidden_sizes=(8, 20), activations=("tanh", "relu")),
                          training=TrainConfig(epochs=6, batch_size=32, learning_rate=0.05, **training))
    recorder = Recorder()
    train(config, recorder)
    return [e for e in recorder.of(EvalEnded) if e.views is not None]


def test_the_trainer_sends_the_network_view_with_the_boundary_and_it_changes_as_it_learns():
    evals = _spiral_run()
    first, last = evals[0].views, evals[-1].views
    net = last.network
    assert [c.name for c in net.layers] == ["inputs", "hidden 1", "hidden 2", "output"]
    assert [len(c.units) for c in net.layers] == [2, 8, 16, 3] and net.layers[2].n_units == 20
    assert net.layers[-1].labels == ("0", "1", "2") or len(net.layers[-1].labels) == 3
    # the output column is the logits whose softmax is the boundary, at the thumbnail points
    pick = thumb_index(len(last.grid.x))
    logits = net.layers[-1].images.astype(np.float32)  # (3, T, T)
    probs = np.exp(logits) / np.exp(logits).sum(0)
    np.testing.assert_allclose(probs.transpose(1, 2, 0), last.grid.values[np.ix_(pick, pick)], atol=2e-2)
    assert not np.allclose(first.network.layers[1].images, net.layers[1].images)  # it changes while training
    np.testing.assert_array_equal(first.network.layers[0].images, net.layers[0].images)  # the inputs do not
