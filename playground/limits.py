"""Per-job limits a shared server enforces, read from the environment.

    PLAYGROUND_MAX_PARAMS        trainable parameters per model (default 5,000,000: every config the
                                 forms allow fits; lower it on a small shared server)
    PLAYGROUND_MAX_JOB_SECONDS   wall time of one run once it trains, queue time excluded (default 600)

A run over a limit ends with a message that names the limit. Dataset sizes, epochs and steps are
bounded by the configs themselves (see playground.config), histories by playground.jobs.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_params: int = 5_000_000
    max_seconds: float = 600.0

    @classmethod
    def from_env(cls) -> Limits:
        """Limits from the environment; a malformed value is ignored with a warning."""
        return cls(max_params=int(_env("PLAYGROUND_MAX_PARAMS", cls.max_params)),
                   max_seconds=_env("PLAYGROUND_MAX_JOB_SECONDS", cls.max_seconds))

    def describe(self) -> str:
        return f"at most {self.max_params:,} parameters and {self.max_seconds / 60:g} minutes of training per run"


def _env(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        warnings.warn(f"{name} must be a positive number; got {raw!r}. Using {default:g}.", stacklevel=3)
        return default
    return value
