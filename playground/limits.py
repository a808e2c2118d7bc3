"""Per-job limits a shared server enforces, taken from the server settings (see playground.settings).

    max_params    trainable parameters per model ($PLAYGROUND_MAX_PARAMS or `max_params`; default 5,000,000:
                  every config the forms allow fits; lower it on a small shared server)
    max_seconds   wall time of one run once it trains, queue time excluded ($PLAYGROUND_MAX_JOB_SECONDS or
                  `max_job_seconds`; default 600)

A run over a limit ends with a message that names the limit. Dataset sizes, epochs and steps are
bounded by the configs themselves (see playground.config), histories by playground.jobs.
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.settings import Settings, load


@dataclass(frozen=True)
class Limits:
    max_params: int = Settings.max_params
    max_seconds: float = Settings.max_job_seconds

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Limits:
        """Limits from `settings`, else from `playground.settings.load()` (environment, file, defaults)."""
        settings = settings or load()
        return cls(max_params=settings.max_params, max_seconds=settings.max_job_seconds)

    def describe(self) -> str:
        s = self.max_seconds
        duration = f"{s / 60:g} minutes" if s >= 60 else f"{s:g} seconds"
        return f"at most {self.max_params:,} parameters and {duration} of training per run"
