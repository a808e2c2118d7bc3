"""Datasets: generated 2-D sets, scikit-learn's bundled tables and the user's uploaded CSV.

`make_dataset(cfg)` turns a `DataConfig` into a `Dataset`: a train/test split (scikit-learn's
`train_test_split`, stratified for classes) with float32 features standardised by a `StandardScaler`
fitted on the training split only. Generated sets are pure functions of the config and a
`np.random.Generator` seeded with `cfg.seed`, so one config always gives the same arrays. Nothing is
downloaded and nothing is read at import time; the bundled tables ship inside scikit-learn.

Problems with a user's data raise `DataError`, whose message is written to be shown in the page.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn import datasets as skd
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from playground.mlp.config import REGRESSION_2D, DataConfig
from playground.mlp.tables import (  # noqa: F401  (re-exported: the upload limits belong with the datasets)
    MAX_CLASSES,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    DataError,
    infer_task,
    read_csv,
    table_arrays,
)


@dataclass(frozen=True)
class Dataset:
    """A train/test split ready for a model.

    Features are float32 and standardised with the training split's mean and std (the test split is
    scaled with the same statistics). Classification targets are int64 class ids 0..C-1 naming
    `class_names`; regression targets are float32, standardised with the training split's statistics.
    """

    x_train: np.ndarray  # (n_train, n_features) float32
    y_train: np.ndarray  # (n_train,) int64 class ids, or float32 standardised target
    x_test: np.ndarray  # (n_test, n_features) float32
    y_test: np.ndarray  # (n_test,)
    task: str  # "classification" or "regression"
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]  # () for regression
    notes: tuple[str, ...] = ()  # what was done to the data, in sentences for the page
    # The standardisation, fitted on the training split: x_scaled = (x - feature_mean) / feature_std per feature
    # (StandardScaler's mean_ and scale_; a constant column has std 1), and for regression the target's likewise.
    feature_mean: tuple[float, ...] = ()
    feature_std: tuple[float, ...] = ()
    target_mean: float | None = None  # regression only
    target_std: float | None = None

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes; 0 for regression."""
        return len(self.class_names) if self.task == "classification" else 0


# --- generated 2-D sets: (cfg, rng) -> x (n_samples, 2) float64, y (n_samples,) ----------------------

Generator = Callable[[DataConfig, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def _seed(rng: np.random.Generator) -> int:
    """An int seed for scikit-learn's `random_state`, drawn from our generator."""
    return int(rng.integers(2**31 - 1))


def _moons(cfg: DataConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return skd.make_moons(cfg.n_samples, noise=cfg.noise, random_state=_seed(rng))


def _circles(cfg: DataConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return skd.make_circles(cfg.n_samples, noise=cfg.noise, factor=0.5, random_state=_seed(rng))


def _blobs(cfg: DataConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Random centres in a box; cluster std grows with noise but stays above 0 so clusters have extent.
    return skd.make_blobs(cfg.n_samples, centers=cfg.n_classes, cluster_std=0.5 + cfg.noise,
                          center_box=(-4.0, 4.0), random_state=_seed(rng))


def _xor(cfg: DataConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-1.0, 1.0, size=(cfg.n_samples, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)  # class 1 in quadrants I and III, labelled before noise
    return x + rng.normal(0.0, cfg.noise, x.shape), y


def _spiral(cfg: DataConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    k, n = cfg.n_classes, cfg.n_samples
    y = np.arange(n) % k
    t = rng.uniform(0.0, 1.0, n)  # position along the arm
    angle = 3.0 * np.pi * t + 2.0 * np.pi * y / k  # 1.5 turns per arm, arms evenly rotated
    x = 2.0 * t[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return x + rng.normal(0.0, cfg.noise, x.shape), y


def _gaussian(cfg: DataConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    k, n = cfg.n_classes, cfg.n_samples
    y = np.arange(n) % k
    phi = 2.0 * np.pi * np.arange(k) / k
    centres = 2.0 * np.column_stack([np.cos(phi), np.sin(phi)])  # evenly spaced on a circle of radius 2
    return centres[y] + rng.normal(0.0, 0.5 + cfg.noise, (n, 2)), y


def _plane(cfg: DataConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-2.0, 2.0, size=(cfg.n_samples, 2))
    return x, x[:, 0] + 0.5 * x[:, 1] + rng.normal(0.0, cfg.noise, cfg.n_samples)


def _ripple(cfg: DataConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-3.0, 3.0, size=(cfg.n_samples, 2))
    return x, np.sin(x[:, 0]) * np.cos(x[:, 1]) + rng.normal(0.0, cfg.noise, cfg.n_samples)


GENERATORS: dict[str, Generator] = {
    "moons": _moons, "circles": _circles, "blobs": _blobs, "xor": _xor, "spiral": _spiral,
    "gaussian": _gaussian, "plane": _plane, "ripple": _ripple,
}
LOADERS = {"iris": skd.load_iris, "wine": skd.load_wine, "breast_cancer": skd.load_breast_cancer,
           "digits": skd.load_digits}  # bundled with scikit-learn; loaded only when asked for


def make_dataset(cfg: DataConfig, table: pd.DataFrame | None = None) -> Dataset:
    """Build, split and scale the dataset `cfg` names.

    Generated sets (`GENERATORS`): `cfg.n_samples` points with features ("x1", "x2"); moons, circles and
    blobs come from sklearn.datasets.make_moons / make_circles / make_blobs. Bundled sets (`LOADERS`):
    all rows of sklearn.datasets.load_<name>, with its feature and class names. These ignore `table`.
    `cfg.dataset == "csv"` builds from `table` (see `playground.mlp.tables`) with `cfg.target`, `cfg.task` and
    `cfg.ignore`.

    Raises DataError when the table is missing or unusable; the message says why.
    """
    notes: list[str] = []
    if cfg.dataset == "csv":
        if table is None:
            raise DataError("Upload a CSV file first.")
        x, y, task, features, classes = table_arrays(table, cfg.target, cfg.task, notes, cfg.ignore)
    elif cfg.dataset in LOADERS:
        bunch = LOADERS[cfg.dataset]()
        x, y, task = bunch.data, bunch.target, "classification"
        features = tuple(str(f) for f in bunch.feature_names)
        classes = tuple(str(c) for c in bunch.target_names)
    else:
        x, y = GENERATORS[cfg.dataset](cfg, np.random.default_rng(cfg.seed))
        task = "regression" if cfg.dataset in REGRESSION_2D else "classification"
        features = ("x1", "x2")
        classes = tuple(str(c) for c in range(int(y.max()) + 1)) if task == "classification" else ()
    return _split_and_scale(np.asarray(x, np.float64), np.asarray(y), task, features, classes, cfg, notes)


def _stratify(y: np.ndarray, task: str, fraction: float) -> np.ndarray | None:
    """`y` where a split of `fraction` of the rows can keep every class's share, else None."""
    if task != "classification":
        return None
    counts = np.bincount(y)
    counts = counts[counts > 0]
    n_test = math.ceil(fraction * len(y))  # train_test_split rounds the test share up
    # Stratifying needs two members per class and room for every class in both splits.
    return y if counts.min() >= 2 and min(n_test, len(y) - n_test) >= len(counts) else None


def _split_and_scale(x: np.ndarray, y: np.ndarray, task: str, features: tuple[str, ...],
                     classes: tuple[str, ...], cfg: DataConfig, notes: list[str]) -> Dataset:
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=cfg.test_fraction, random_state=cfg.seed,
                                              stratify=_stratify(y, task, cfg.test_fraction))
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is caught below, with the columns named
        scaler = StandardScaler().fit(x_tr)  # train split only: the test split must not leak into the scaling
        x_tr, x_te = scaler.transform(x_tr).astype(np.float32), scaler.transform(x_te).astype(np.float32)
    _check_scaled(np.isfinite(x_tr).all(0) & np.isfinite(x_te).all(0), [repr(f) for f in features])
    if task == "regression":
        with np.errstate(over="ignore", invalid="ignore"):
            y_scaler = StandardScaler().fit(y_tr.reshape(-1, 1))
            y_tr, y_te = (y_scaler.transform(v.reshape(-1, 1)).ravel().astype(np.float32) for v in (y_tr, y_te))
        _check_scaled(np.array([np.isfinite(y_tr).all() and np.isfinite(y_te).all()]), ("the target",))
        target = float(y_scaler.mean_[0]), float(y_scaler.scale_[0])
        if cfg.dataset == "csv":
            notes.append(f"Standardised the target (training mean {target[0]:.4g}, std {target[1]:.4g}).")
    else:
        y_tr, y_te = y_tr.astype(np.int64), y_te.astype(np.int64)
        target = (None, None)
    return Dataset(x_tr, y_tr, x_te, y_te, task, tuple(features), tuple(classes), tuple(notes),
                   tuple(float(v) for v in scaler.mean_), tuple(float(v) for v in scaler.scale_), *target)


def validation_split(data: Dataset, fraction: float, seed: int) -> tuple[Dataset, np.ndarray, np.ndarray]:
    """(`data` with `fraction` of its training rows taken out, those rows' features and targets): the validation
    split early stopping watches (playground.early_stopping), from the training rows only, never the test rows.
    Stratified for classes where it can be, seeded by `seed` (the data seed). Needs at least two training rows.
    The rows were scaled with the whole training split's statistics, as Keras's validation_split takes its rows
    from the data as given."""
    x_tr, x_val, y_tr, y_val = train_test_split(data.x_train, data.y_train, test_size=fraction, random_state=seed,
                                                stratify=_stratify(data.y_train, data.task, fraction))
    return dataclasses.replace(data, x_train=x_tr, y_train=y_tr), x_val, y_val


def _check_scaled(finite: np.ndarray, names: list[str] | tuple[str, ...]) -> None:
    """Raise DataError naming (as `names` says them) the columns whose standardised values are not all finite
    (`finite`: one flag per column): values so large (about 1e154 and up) that their variance overflows, or
    beyond float32 once scaled. Training on them would turn the loss into NaN at the first step and blame the
    learning rate."""
    if finite.all():
        return
    bad = ", ".join(n for n, ok in zip(names, finite, strict=True) if not ok)
    raise DataError(f"Values too large to standardise in {bad}: divide them by a power of ten first, or leave the "
                    "column out.")
