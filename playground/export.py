"""Exports: weights as safetensors (never pickle), configs as JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from safetensors.numpy import save as _save

from playground.events import SettingChanged
from playground.steering import schedule_record


def weights_bytes(state: dict[str, np.ndarray], config: Any = None) -> bytes:
    """Serialise a weights copy (name -> array) to safetensors bytes; the config JSON goes in the
    metadata under "config" so the file describes its own architecture."""
    metadata = {"config": config.to_json()} if config is not None else None
    return _save({k: np.ascontiguousarray(v) for k, v in state.items()}, metadata=metadata)


def config_json(config: Any, changes: Sequence[SettingChanged] = ()) -> str:
    """The config as JSON: its starting settings, and where settings changed while it trained (playground.steering),
    a "schedule" list of {"step", "name", "value"} as `--schedule` takes them."""
    d = config.to_dict()
    if changes:
        d["schedule"] = schedule_record(changes)
    return json.dumps(d, indent=2)
