"""The MLP playground's run configuration: frozen, validated dataclasses for data, model and training.

An `MLPRunConfig` is what the MLP page builds from its widgets and what `playground.mlp.training` reads.
Each part checks its own invariants in `__post_init__` and raises `ValueError` with a message fit to
show a user (helpers and round-trips: playground.config).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from playground.config import (
    MAX_SEED,
    Serialisable,
    check,
    check_choice,
    check_early_stopping,
    check_int,
    check_optimisation,
    check_range,
)

# Names the registries in mlp/data.py and mlp/model.py must provide. Kept here so validation
# does not need to import torch or scikit-learn.
CLASSIFICATION_2D = ("moons", "circles", "blobs", "xor", "spiral", "gaussian")
REGRESSION_2D = ("plane", "ripple")
TABULAR = ("iris", "wine", "breast_cancer", "digits")
DATASETS = CLASSIFICATION_2D + REGRESSION_2D + TABULAR + ("csv",)
TASKS = ("auto", "classification", "regression")
ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "silu", "tanh", "sigmoid", "identity")
INITS = ("default", "xavier", "kaiming")
FEATURES = ("x", "y", "x2", "y2", "xy", "sin_x", "sin_y")  # derived inputs of 2-D datasets (mlp/features.py)

MAX_HIDDEN_LAYERS = 8
MAX_WIDTH = 512
MAX_SAMPLES = 10_000
MAX_EPOCHS = 10_000
MAX_BATCH_SIZE = 100_000


@dataclass(frozen=True)
class DataConfig:
    """Which dataset to build and how. Sizes are sample counts; `noise` is in feature units."""

    dataset: str = "moons"  # a name from DATASETS; "csv" means the user's uploaded table
    n_samples: int = 1000  # generated 2-D sets only; bundled and CSV sets use all their rows
    noise: float = 0.2  # std of Gaussian noise added to generated points
    n_classes: int = 3  # blobs / gaussian: classes; spiral: arms
    test_fraction: float = 0.2  # share of rows held out for testing (stratified for classes)
    seed: int = 0  # seeds generation and the train/test split
    target: str = ""  # csv only: the target column's name
    task: str = "auto"  # csv only: auto infers classification or regression from the target
    ignore: tuple[str, ...] = ()  # csv only: columns left out of the features (an id, a leak of the target)
    features: tuple[str, ...] = ("x", "y")  # 2-D datasets: the inputs the network gets, from FEATURES, in its order

    def __post_init__(self) -> None:
        object.__setattr__(self, "ignore", tuple(str(c) for c in self.ignore))  # round-trips give lists
        check(self.target not in self.ignore, f"The target column {self.target!r} can't also be left out.")
        check_choice("dataset", self.dataset, DATASETS)
        check_int("n_samples", self.n_samples, 20, MAX_SAMPLES)
        check_range("noise", self.noise, 0.0, 2.0)
        check_int("n_classes", self.n_classes, 2, 5)
        check_range("test_fraction", self.test_fraction, 0.05, 0.5)
        check_int("seed", self.seed, 0, MAX_SEED)
        check_choice("task", self.task, TASKS)
        check(self.dataset != "csv" or bool(self.target), "A CSV dataset needs a target column.")
        given = tuple(str(f) for f in self.features)
        for f in given:
            check_choice("input feature", f, FEATURES)
        check(bool(given), "Choose at least one input feature.")
        check(len(set(given)) == len(given), "Each input feature can be chosen once.")
        object.__setattr__(self, "features", tuple(f for f in FEATURES if f in given))  # one order: equal configs


@dataclass(frozen=True)
class MLPConfig:
    """A multilayer perceptron: one width and one activation per hidden layer."""

    hidden_sizes: tuple[int, ...] = (16, 16)  # widths of the hidden layers, input to output
    activations: tuple[str, ...] = ("relu", "relu")  # one per hidden layer
    dropout: float = 0.0  # dropout probability after each hidden activation
    init: str = "default"  # weight initialisation: PyTorch's default, Xavier/Glorot or Kaiming/He

    def __post_init__(self) -> None:
        # JSON and URL round-trips give lists; store tuples so the config stays hashable.
        object.__setattr__(self, "hidden_sizes", tuple(self.hidden_sizes))
        object.__setattr__(self, "activations", tuple(self.activations))
        n = len(self.hidden_sizes)
        check(n <= MAX_HIDDEN_LAYERS, f"An MLP has at most {MAX_HIDDEN_LAYERS} hidden layers; got {n}.")
        # Each field's own limits before the pairing: a link's width of 9999 is refused for its size, not for
        # disagreeing with the default activations' count (share._drop_one reports the first error).
        for i, width in enumerate(self.hidden_sizes):
            check_int(f"width of hidden layer {i + 1}", width, 1, MAX_WIDTH)
        for a in self.activations:
            check_choice("activation", a, ACTIVATIONS)
        n_act = len(self.activations)
        check(n_act == n, f"Give one activation per hidden layer: {n} hidden layer{'s' * (n != 1)}, {n_act} "
                          f"activation{'s' * (n_act != 1)}.")
        check_range("dropout", self.dropout, 0.0, 0.9)
        check_choice("init", self.init, INITS)


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings. `batch_size` above the training-set size means full-batch."""

    optimizer: str = "adam"  # sgd, momentum (SGD with momentum 0.9), adam, adamw, rmsprop
    learning_rate: float = 0.01  # step size, 1e-5 to 10
    batch_size: int = 32  # examples per step; capped at the training-set size
    epochs: int = 100  # passes over the training set
    weight_decay: float = 0.0  # L2 penalty (decoupled for AdamW)
    seed: int = 0  # seeds initialisation, shuffling and dropout
    device: str = "auto"  # auto picks CUDA, then Apple MPS, then CPU
    # Early stopping (Keras's names): it watches a validation split of the training examples, never the test split.
    patience: int = 0  # evaluations without a lower validation loss before the run stops; 0 is off
    restore_best_weights: bool = False  # when patience stops the run, end with the best evaluation's weights
    validation_fraction: float = 0.2  # share of the training examples held out to decide, when early stopping is on
    target_metric: float | None = None  # stop once the validation metric reaches this; None is off

    def __post_init__(self) -> None:
        check_optimisation(self)
        check_early_stopping(self)
        check_int("batch_size", self.batch_size, 1, MAX_BATCH_SIZE)
        check_int("epochs", self.epochs, 1, MAX_EPOCHS)


@dataclass(frozen=True)
class MLPRunConfig(Serialisable):
    """Everything one MLP training run needs, apart from an uploaded table."""

    # Column names, which may hold commas or look like numbers; the CSV they belong to is not in a link either.
    not_shared: ClassVar[frozenset[tuple[str, str]]] = frozenset({("data", "ignore")})

    data: DataConfig = field(default_factory=DataConfig)
    model: MLPConfig = field(default_factory=MLPConfig)
    training: TrainConfig = field(default_factory=TrainConfig)
