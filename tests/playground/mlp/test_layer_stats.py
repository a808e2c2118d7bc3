import numpy as np
import plotly.graph_objects as go
import torch

from playground.events import EvalEnded
from playground.mlp.config import DataConfig, MLPConfig, MLPRunConfig, TrainConfig
from playground.mlp.layer_stats import BINS, MAX_MATRIX, layers_view
from playground.mlp.model import MLP
from playground.mlp.network_plots import layers_figure
from playground.mlp.training import train
from tests.conftest import Recorder


def test_weights_and_output_histograms_of_a_hand_set_network():
    model = MLP(3, 1, MLPConfig(hidden_sizes=(2,), activations=("relu",)))
    with torch.no_grad():
        model.hidden[0].weight.copy_(torch.tensor([[1.0, 0, 0], [0, -1.0, 0]]))
        model.hidden[0].bias.zero_()
        model.output.weight.copy_(torch.tensor([[2.0, 3.0]]))
        model.output.bias.fill_(1.0)
    x = torch.tensor([[1.0, 1.0, 5.0], [2.0, -2.0, 5.0], [-1.0, -1.0, 5.0]])
    # hidden = relu(x0), relu(-x1): [1, 0], [2, 2], [0, 1]; output = 2 h0 + 3 h1 + 1: 3, 11, 4
    view = layers_view(model, x)
    hidden, output = view.layers
    np.testing.assert_array_equal(hidden.weights, [[1, 0, 0], [0, -1, 0]])
    assert hidden.counts.sum() == 6 and (hidden.edges[0], hidden.edges[-1]) == (0.0, 2.0)
    assert hidden.counts[0] == 2 and hidden.counts[-1] == 2  # two zeros, two twos
    assert output.counts.sum() == 3 and (output.edges[0], output.edges[-1]) == (3.0, 11.0)
    assert len(output.counts) == BINS and output.name == "output" and hidden.name == "hidden 1"


def test_a_wide_matrix_keeps_the_units_with_the_largest_weights():
    model = MLP(50, 2, MLPConfig(hidden_sizes=(40,), activations=("tanh",)))
    with torch.no_grad():
        model.hidden[0].weight.mul_(0.01)
        model.hidden[0].weight[:, 7] = 5.0  # input 7 has the largest outgoing norm
    view = layers_view(model, torch.randn(10, 50, generator=torch.Generator().manual_seed(0)))
    hidden = view.layers[0]
    assert hidden.weights.shape == (MAX_MATRIX, MAX_MATRIX) and (hidden.n_units, hidden.n_inputs) == (40, 50)
    assert (hidden.weights == 5.0).all(axis=0).any()  # input 7's column is among those kept


def test_a_table_run_sends_the_layers_view_and_the_figure_draws_it():
    config = MLPRunConfig(data=DataConfig(dataset="wine"), model=MLPConfig(hidden_sizes=(8,), activations=("relu",)),
                          training=TrainConfig(epochs=3))
    recorder = Recorder()
    train(config, recorder)
    views = recorder.of(EvalEnded)[-1].views
    assert views.network is None and views.grid is None
    assert [layer.weights.shape for layer in views.layers.layers] == [(8, 13), (3, 8)]
    assert views.layers.layers[0].counts.sum() == 8 * 36  # 36 test rows (20% of 178), every unit
    fig = layers_figure(views.layers)
    assert [t.type for t in fig.data] == ["heatmap", "bar", "heatmap", "bar"]
    go.Figure(fig.to_dict())
