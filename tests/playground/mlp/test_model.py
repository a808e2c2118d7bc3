import pytest
import torch

from playground.mlp.config import ACTIVATIONS, MLPConfig
from playground.mlp.model import MLP
from playground.torchkit import n_parameters


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_gives_finite_logits_of_the_right_shape(activation):
    model = MLP(3, 4, MLPConfig(hidden_sizes=(5, 6), activations=(activation, activation)))
    out = model(torch.randn(7, 3))
    assert out.shape == (7, 4) and torch.isfinite(out).all()


def test_no_hidden_layers_is_a_linear_model():
    model = MLP(2, 3, MLPConfig(hidden_sizes=(), activations=()))
    assert n_parameters(model) == 2 * 3 + 3
    x = torch.randn(4, 2)
    assert torch.allclose(model(x), x @ model.output.weight.T + model.output.bias)


def test_parameter_count_and_dropout_layers():
    model = MLP(4, 3, MLPConfig(hidden_sizes=(5,), activations=("sigmoid",), dropout=0.5))
    assert n_parameters(model) == (4 * 5 + 5) + (5 * 3 + 3)
    assert any(isinstance(m, torch.nn.Dropout) for m in model.modules())


@pytest.mark.parametrize("init", ["xavier", "kaiming"])
def test_named_initialisations_zero_the_biases_and_scale_the_weights(init):
    torch.manual_seed(0)
    model = MLP(256, 2, MLPConfig(hidden_sizes=(256,), activations=("relu",), init=init))
    first = model.hidden[0]
    assert torch.count_nonzero(first.bias) == 0
    # Xavier-uniform with the ReLU gain and Kaiming-uniform (fan_in) coincide here: bound sqrt(2)*sqrt(6/512).
    bound = (2 ** 0.5) * (6 / 512) ** 0.5 if init == "xavier" else (2 ** 0.5) * (3 / 256) ** 0.5
    assert first.weight.abs().max() <= bound + 1e-6
    assert first.weight.abs().max() > 0.9 * bound
