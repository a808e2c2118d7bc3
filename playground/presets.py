"""The one shape of a preset: a named starting point that is a complete, valid config of one playground."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Preset:
    description: str  # one or two sentences shown under the picker (and as a lesson in presenter mode)
    config: Any  # a complete run config of the preset's playground
    reference: float | None = None  # held-out score measured with the preset's seed on CPU, where known
