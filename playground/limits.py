"""Per-job limits a shared server enforces, taken from the server settings (see playground.settings).

    max_params    trainable parameters per model ($PLAYGROUND_MAX_PARAMS or `max_params`; default 5,000,000:
                  every config the forms allow fits; lower it on a small shared server)
    max_seconds   wall time of one run once it trains, time in the queue and paused excluded
                  ($PLAYGROUND_MAX_JOB_SECONDS or `max_job_seconds`; default 600)
    max_memory_mb the estimated peak memory of one run, in MB (playground.memory); a run above it is refused
                  before it starts ($PLAYGROUND_MAX_RUN_MEMORY_MB or `max_run_memory_mb`; default 256)

A run over a limit ends with a message that names the limit. Dataset sizes, epochs and steps are
bounded by the configs themselves (see playground.config), histories by playground.jobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playground.config import RunConfig, SequenceRunConfig
from playground.memory import over_budget
from playground.settings import Settings, load


@dataclass(frozen=True)
class Limits:
    max_params: int = Settings.max_params
    max_seconds: float = Settings.max_job_seconds
    max_memory_mb: int = Settings.max_run_memory_mb

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Limits:
        """Limits from `settings`, else from `playground.settings.load()` (environment, file, defaults)."""
        settings = settings or load()
        return cls(max_params=settings.max_params, max_seconds=settings.max_job_seconds,
                   max_memory_mb=settings.max_run_memory_mb)

    def memory_problem(self, config: Any, table: Any = None) -> str | None:
        """Why this server refuses `config` for its memory (a message naming the estimate in MB and the settings
        to lower), or None when it fits. `table`: an MLP run's uploaded DataFrame. Pure arithmetic, no torch."""
        if not isinstance(config, RunConfig | SequenceRunConfig):  # a test's stand-in trainer and config
            return None
        return over_budget(config, self.max_memory_mb, table)

    def duration(self) -> str:
        """`max_seconds` for people: "10 minutes", "90 seconds" (minutes from 2 minutes up), "1 second"."""
        s = self.max_seconds
        if s >= 120:
            return f"{s / 60:g} minutes"
        return f"{s:g} second{'s' * (s != 1)}"

    def describe(self) -> str:
        return f"at most {self.max_params:,} parameters and {self.duration()} of training per run"
