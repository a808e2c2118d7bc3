import json

import pytest

from playground.mlp.config import DataConfig, MLPConfig, MLPRunConfig, TrainConfig


def test_defaults_are_valid_and_round_trip_through_json():
    cfg = MLPRunConfig()
    assert MLPRunConfig.from_json(cfg.to_json()) == cfg


def test_round_trip_keeps_every_part():
    cfg = MLPRunConfig(
        data=DataConfig(dataset="spiral", n_samples=500, noise=0.3, n_classes=4, test_fraction=0.3, seed=7),
        model=MLPConfig(hidden_sizes=(4, 8, 2), activations=("gelu", "tanh", "identity"), dropout=0.1, init="xavier"),
        training=TrainConfig(optimizer="rmsprop", learning_rate=3e-4, batch_size=1, epochs=3, weight_decay=0.01,
                             seed=9),
    )
    d = json.loads(cfg.to_json())
    assert d["model"]["hidden_sizes"] == [4, 8, 2]
    back = MLPRunConfig.from_dict(d)
    assert back == cfg and isinstance(back.model.hidden_sizes, tuple)


def test_missing_keys_take_defaults():
    cfg = MLPRunConfig.from_dict({"training": {"learning_rate": 0.1}})
    assert cfg.training.learning_rate == 0.1 and cfg.data == DataConfig()


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: TrainConfig(learning_rate=20.0), "learning_rate must be between 1e-05 and 10"),
        (lambda: TrainConfig(learning_rate=float("nan")), "learning_rate"),
        (lambda: TrainConfig(batch_size=0), "batch_size"),
        (lambda: TrainConfig(epochs=2.5), "whole number"),
        (lambda: TrainConfig(optimizer="lbfgs"), "optimizer must be one of"),
        (lambda: MLPConfig(hidden_sizes=(8,) * 9, activations=("relu",) * 9), "at most 8 hidden layers"),
        (lambda: MLPConfig(hidden_sizes=(513,), activations=("relu",)), "width of hidden layer 1"),
        (lambda: MLPConfig(hidden_sizes=(8, 8), activations=("relu",)), "one activation per hidden layer"),
        (lambda: MLPConfig(hidden_sizes=(8,), activations=("swish",)), "activation must be one of"),
        (lambda: DataConfig(dataset="mnist"), "dataset must be one of"),
        (lambda: DataConfig(n_classes=9), "n_classes"),
        (lambda: DataConfig(test_fraction=0.9), "test_fraction"),
        (lambda: DataConfig(dataset="csv"), "target column"),
    ],
)
def test_out_of_bounds_settings_are_refused_with_a_message(make, words):
    with pytest.raises(ValueError, match=words):
        make()


def test_unknown_keys_and_bad_json_are_refused():
    with pytest.raises(ValueError, match="Unknown TrainConfig settings: lr"):
        MLPRunConfig.from_dict({"training": {"lr": 0.1}})
    with pytest.raises(ValueError, match="Not valid JSON"):
        MLPRunConfig.from_json("{nope")
    with pytest.raises(ValueError, match="must be an object"):
        MLPRunConfig.from_dict({"model": [1, 2]})


def test_booleans_are_not_numbers():
    with pytest.raises(ValueError):
        TrainConfig(epochs=True)


def test_bounds_in_messages_read_as_plain_numbers():
    with pytest.raises(ValueError, match=r"seed must be between 0 and 2,147,483,647; got -1"):
        TrainConfig(seed=-1)


def test_csv_left_out_columns_round_trip_and_exclude_the_target():
    cfg = MLPRunConfig(data=DataConfig(dataset="csv", target="label", ignore=["id", 3]))
    assert cfg.data.ignore == ("id", "3")  # a tuple of names, as the table's columns are read as text
    assert MLPRunConfig.from_json(cfg.to_json()) == cfg
    with pytest.raises(ValueError, match="target column 'label' can't also be left out"):
        DataConfig(dataset="csv", target="label", ignore=("label",))
