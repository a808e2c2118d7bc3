"""Estimates of an MLP run's peak memory (see playground.memory for the terms and how they were measured)."""

from __future__ import annotations

import math
from typing import Any

from playground.memory import FLOAT, OPTIMIZER_STATES, MemoryEstimate, finish, held
from playground.mlp.config import REGRESSION_2D, DataConfig, MLPRunConfig

# Activations whose backward needs their input, so a layer keeps both its pre-activation and its output;
# ReLU, tanh and sigmoid backward use the output only (PyTorch's derivatives.yaml).
KEEPS_INPUT = {"gelu", "silu", "elu", "leaky_relu"}
# (rows, features, classes) of scikit-learn's bundled tables (sklearn.datasets.load_*)
TABLE_SHAPES = {"iris": (150, 4, 3), "wine": (178, 13, 3), "breast_cancer": (569, 30, 2), "digits": (1797, 64, 10)}
GRID_POINTS = 60 * 60  # training.GRID_SIZE squared: the decision-boundary grid's points


def data_shape(data: DataConfig, table: Any = None) -> tuple[int, int, int]:
    """(rows, features, outputs) of a dataset, without building it. `table` is the uploaded DataFrame for
    "csv": its text columns count one feature per distinct value (they are one-hot encoded); without a table,
    the upload limits bound it. Outputs: classes, or 1 for regression."""
    if data.dataset in TABLE_SHAPES:
        return TABLE_SHAPES[data.dataset]
    if data.dataset != "csv":
        return data.n_samples, 2, 1 if data.dataset in REGRESSION_2D else max(2, data.n_classes)
    from playground.mlp.tables import MAX_CATEGORIES, MAX_CLASSES, MAX_COLUMNS, MAX_ROWS

    if table is None:
        return MAX_ROWS, MAX_COLUMNS * MAX_CATEGORIES, MAX_CLASSES
    from pandas.api.types import is_numeric_dtype

    features = [c for c in table.columns if str(c) != data.target and str(c) not in data.ignore]
    width = sum(1 if is_numeric_dtype(table[c]) else min(table[c].nunique(), MAX_CATEGORIES) for c in features)
    return len(table), max(1, width), MAX_CLASSES


def estimate(config: MLPRunConfig, table: Any = None) -> MemoryEstimate:
    """The peak memory of an MLP run (`table`: the uploaded DataFrame for a "csv" dataset).

    Training step, for a batch of B = min(batch_size, training rows) and hidden widths w_i: each layer keeps its
    output (B w_i floats; with its pre-activation too for KEEPS_INPUT activations, and a dropout output and
    1-byte mask with dropout), and backward holds two more B w_max gradients. Evaluation runs every row (and
    the decision-boundary grid) through the model without gradients: two N w_max tensors at a time.
    """
    rows, n_points, n_out = data_shape(config.data, table)
    n_in = len(config.data.features) if n_points == 2 else n_points  # a 2-D set's derived inputs (mlp/features.py)
    m, t = config.model, config.training
    widths = [n_in, *m.hidden_sizes, n_out]
    params = sum((a + 1) * b for a, b in zip(widths, widths[1:], strict=False))
    n_train = rows - math.ceil(rows * config.data.test_fraction)  # train_test_split rounds the test share up
    batch = min(t.batch_size, n_train)
    per_item = sum(w * (1 + (a in KEEPS_INPUT) + 1.25 * (m.dropout > 0))
                   for w, a in zip(m.hidden_sizes, m.activations, strict=True))
    widest = max(widths)
    train = held(FLOAT * batch * (per_item + 2 * widest + n_in + 2 * n_out), FLOAT * batch * widest)
    evaluated = rows + (GRID_POINTS if n_points == 2 else 0)
    evaluate = held(FLOAT * 2 * evaluated * widest, FLOAT * evaluated * widest)
    data = FLOAT * rows * (n_in + 1) * 3  # numpy arrays, the torch views of them, the joined splits
    lower = "batch_size or the hidden layers' widths"
    if evaluate > train:
        lower = "the number of samples or the hidden layers' widths"
    if FLOAT * params * (2 + OPTIMIZER_STATES[t.optimizer]) > max(train, evaluate):
        lower = "the hidden layers' widths or their number"
    return finish(params, t.optimizer, max(train, evaluate), 0, data, lower)


def batch_cap(config: MLPRunConfig, table: Any = None) -> int:
    """The training set's rows: a step never uses more."""
    rows, _, _ = data_shape(config.data, table)
    return rows - math.ceil(rows * config.data.test_fraction)  # train_test_split rounds the test share up
