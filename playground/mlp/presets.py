"""Named starting points for the MLP playground, each a complete `MLPRunConfig`.

The two Iris presets reproduce the models of the article this product grew from: a 4-5-3 sigmoid
MLP trained by plain SGD at learning rate 0.1, and the Keras-style 4-64-64-3 ReLU MLP with a
softmax output, Adam, batch size 16, 100 epochs and a 20% test split.
"""

from __future__ import annotations

from playground.mlp.config import FEATURES, DataConfig, MLPConfig, MLPRunConfig, TrainConfig
from playground.presets import Preset


def _mlp(dataset: str, sizes: tuple[int, ...], act: str, *, data: dict | None = None, **training) -> MLPRunConfig:
    return MLPRunConfig(
        data=DataConfig(dataset=dataset, **(data or {})),
        model=MLPConfig(hidden_sizes=sizes, activations=(act,) * len(sizes)),
        training=TrainConfig(**training),
    )


PRESETS: dict[str, Preset] = {
    "moons": Preset(
        "Two interleaving half-moons; two ReLU layers of 16 learn the curved boundary.",
        _mlp("moons", (16, 16), "relu", optimizer="adam", learning_rate=0.01, batch_size=32, epochs=100),
        reference=0.94,
    ),
    "circles": Preset(
        "One ring inside another: needs a non-linear boundary.",
        _mlp("circles", (8, 8), "tanh", data={"noise": 0.1}, optimizer="adam", learning_rate=0.02, epochs=100),
        reference=0.99,
    ),
    "xor": Preset(
        "Four quadrants, opposite corners share a class: a linear model cannot do it.",
        _mlp("xor", (8, 8), "tanh", data={"noise": 0.1}, optimizer="adam", learning_rate=0.02, epochs=100),
        reference=0.92,
    ),
    "spiral": Preset(
        "Three spiral arms: a harder boundary for a wider, deeper net.",
        _mlp("spiral", (64, 64, 64), "relu", data={"n_classes": 3, "noise": 0.05},
             optimizer="adam", learning_rate=0.005, epochs=300),
        reference=0.97,
    ),
    "spiral-features": Preset(
        "Features instead of depth: the same spiral learned by one layer of 6 tanh units from seven derived "
        "inputs (x, y, x², y², x·y, sin x, sin y); on x and y alone such a small net stays near 0.7.",
        _mlp("spiral", (6,), "tanh", data={"n_classes": 3, "noise": 0.05, "features": FEATURES},
             optimizer="adam", learning_rate=0.03, epochs=300),
        reference=0.97,
    ),
    "ripple-regression": Preset(
        "Regression of a smooth rippled surface; the background shows the predicted value.",
        _mlp("ripple", (32, 32), "tanh", data={"noise": 0.05}, optimizer="adam", learning_rate=0.01, epochs=150),
        reference=0.98,
    ),
    "iris-sigmoid-sgd": Preset(
        "Iris with a 4-5-3 sigmoid MLP trained by plain SGD at learning rate 0.1.",
        _mlp("iris", (5,), "sigmoid", optimizer="sgd", learning_rate=0.1, batch_size=8, epochs=300),
        reference=1.0,
    ),
    "iris-keras": Preset(
        "Iris, Keras-style: 4-64-64-3 ReLU, softmax output, Adam, batch 16, 100 epochs, 20% test.",
        _mlp("iris", (64, 64), "relu", data={"test_fraction": 0.2}, optimizer="adam",
             learning_rate=0.001, batch_size=16, epochs=100),
        reference=0.967,  # 29 of 30 test flowers
    ),
    "wine": Preset(
        "Wine cultivars from 13 chemical measurements.",
        _mlp("wine", (32,), "relu", optimizer="adam", learning_rate=0.005, batch_size=16, epochs=100),
        reference=1.0,
    ),
    "breast-cancer": Preset(
        "Malignant or benign from 30 cell-nucleus features.",
        _mlp("breast_cancer", (32, 16), "relu", data={"n_samples": 1000}, optimizer="adam",
             learning_rate=0.001, batch_size=32, epochs=60),
        reference=0.96,
    ),
    "digits": Preset(
        "8x8 handwritten digits, 64 pixels in, 10 classes out.",
        _mlp("digits", (64,), "relu", optimizer="adam", learning_rate=0.005, batch_size=32, epochs=40),
        reference=0.97,
    ),
}

DEFAULT_PRESET = "moons"
