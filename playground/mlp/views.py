"""What the MLP trainer sends the page: a run's info once, and views for the charts at evaluations.

Frozen dataclasses of numpy arrays, computed by the trainer in eval mode without gradients; the page
never sees the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from playground.mlp.layer_stats import LayersView
from playground.mlp.network import NetworkView


@dataclass(frozen=True)
class Points:
    """The data points of a two-feature dataset, standardised as the model sees them."""

    x_train: np.ndarray  # (n_train, 2) float32
    y_train: np.ndarray  # (n_train,) class ids or target values
    x_test: np.ndarray  # (n_test, 2)
    y_test: np.ndarray  # (n_test,)


@dataclass(frozen=True)
class BoundaryGrid:
    """The model's output on a grid covering every point: the decision boundary's background."""

    x: np.ndarray  # (G,) float32 axis coordinates
    y: np.ndarray  # (H,)
    values: np.ndarray  # (H, G, C) class probabilities, or (H, G) predicted values for regression


@dataclass(frozen=True)
class MLPViews:
    """One evaluation's views: a confusion matrix (classes) or the predictions (regression), and the grid."""

    confusion: np.ndarray | None = None  # (C, C) counts on the test split, rows true class, columns predicted
    y_test_pred: np.ndarray | None = None  # (n_test,) predicted values on the test split (regression)
    grid: BoundaryGrid | None = None  # two-feature datasets only
    network: NetworkView | None = None  # two-feature datasets only: each neuron's picture and the weights
    layers: LayersView | None = None  # tables: each layer's weight matrix and the spread of its outputs


@dataclass(frozen=True)
class MLPRunInfo:
    """What the page needs to know about a run's data."""

    task: str  # "classification" or "regression"
    class_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    notes: tuple[str, ...]  # how the data was read or prepared, for the page
    n_train: int
    n_test: int
    y_test: np.ndarray  # (n_test,) for the prediction chart
    points: Points | None  # two-feature datasets only
    inputs: tuple[str, ...] = ()  # the network's inputs in order: the features, or those derived from them
    feature_mean: tuple[float, ...] = ()  # the standardisation of each of feature_names (mlp.data.Dataset)
    feature_std: tuple[float, ...] = ()
    target_mean: float | None = None  # regression: the target's standardisation
    target_std: float | None = None

    def weights_metadata(self) -> dict[str, object]:
        """What exported weights need beside the config to be used (playground.export.weights_bytes): the task,
        class, feature and input names, the features' standardisation (means and stds, in feature_names' order),
        the target's for regression, and how to apply them in one sentence ("usage")."""
        derived = self.inputs and tuple(self.inputs) != tuple(self.feature_names)
        steps = ["Standardise each feature as (value - feature_mean) / feature_std, in feature_names' order."]
        if derived:
            steps.append("The network's inputs, in inputs' order, are computed from the two standardised features "
                         "(x, y).")
        if self.task == "classification":
            steps.append("The output is one logit per class, in class_names' order (softmax for probabilities).")
        else:
            steps.append("The output is the standardised target: prediction * target_std + target_mean.")
        meta: dict[str, object] = {
            "task": self.task, "class_names": list(self.class_names), "feature_names": list(self.feature_names),
            "inputs": list(self.inputs or self.feature_names), "feature_mean": list(self.feature_mean),
            "feature_std": list(self.feature_std), "usage": " ".join(steps)}
        if self.task == "regression":
            meta.update(target_mean=self.target_mean, target_std=self.target_std)
        return meta
