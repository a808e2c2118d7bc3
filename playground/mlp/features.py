"""Derived input features for two-feature datasets, as tensorflow/playground offers: x, y, x², y², x·y, sin x,
sin y of a point (x, y), chosen per run (`DataConfig.features`). A small network on the right features learns
what otherwise takes depth (the "spiral-features" preset).

The names are config names (plain ASCII, for links and JSON); `LABELS` are what the page shows.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from playground.mlp.config import FEATURES

LABELS = {"x": "x", "y": "y", "x2": "x²", "y2": "y²", "xy": "x·y", "sin_x": "sin x", "sin_y": "sin y"}
_MAKERS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "x": lambda x, y: x,
    "y": lambda x, y: y,
    "x2": lambda x, y: x * x,
    "y2": lambda x, y: y * y,
    "xy": lambda x, y: x * y,
    "sin_x": lambda x, y: torch.sin(x),
    "sin_y": lambda x, y: torch.sin(y),
}
assert set(_MAKERS) == set(FEATURES) == set(LABELS)


def derive(points: torch.Tensor, names: tuple[str, ...]) -> torch.Tensor:
    """(n, 2) points (x, y) -> (n, len(names)) features, one column per name in order. Raises KeyError for a
    name not in FEATURES (configs check their names)."""
    x, y = points[:, 0], points[:, 1]
    return torch.stack([_MAKERS[name](x, y) for name in names], 1)


def is_plain(names: tuple[str, ...]) -> bool:
    """Whether the features are the point itself, (x, y): nothing to derive."""
    return tuple(names) == ("x", "y")
