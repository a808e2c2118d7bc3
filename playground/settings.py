"""Server settings for a shared server (a workshop, Community Cloud), and the per-run `Limits` taken from them.

For each setting an environment variable wins, then the `[server]` table of a TOML settings file,
then the built-in default. The file is `playground.toml` in the working directory (the app is started
from the repository root), or the path in $PLAYGROUND_SETTINGS; `playground.example.toml` shows every key.

    key                environment variable           default                     what it bounds
    max_jobs           PLAYGROUND_MAX_JOBS            one per GPU, else one per   runs training at once; more wait
                                                      two CPU cores (at least 1)  in a first-come first-served queue
    session_grace_s    PLAYGROUND_SESSION_GRACE_S     15                          seconds a run outlives its closed
                                                                                  page (a reconnect keeps the run)
    max_params         PLAYGROUND_MAX_PARAMS          5,000,000                   trainable parameters of one model
    max_job_seconds    PLAYGROUND_MAX_JOB_SECONDS     600                         training seconds of one run, queue
                                                                                  and paused time excluded
    max_run_memory_mb  PLAYGROUND_MAX_RUN_MEMORY_MB   256                         estimated peak memory of one run
                                                                                  in MB (playground.memory), the
                                                                                  app's own ~430 MB not counted
    turn_s             PLAYGROUND_TURN_S              2                           seconds of a run's turn when more
                                                                                  runs wait than train at once (0:
                                                                                  first come, first served to the
                                                                                  end); playground.turns
    turns_memory_mb    PLAYGROUND_TURNS_MEMORY_MB     512                         the runs kept in memory while they
                                                                                  take turns, at their estimated
                                                                                  peaks in MB; more wait unstarted
    executor           PLAYGROUND_EXECUTOR            thread                      where runs train: "thread" (threads
                                                                                  of the server process) or "ray" (Ray
                                                                                  actors: a local instance, or the
                                                                                  cluster $RAY_ADDRESS names;
                                                                                  playground.executors)

`max_jobs`, `max_params`, `max_run_memory_mb` and `turns_memory_mb` are whole numbers of at least 1, `session_grace_s`
and `turn_s` are 0 or more, `max_job_seconds` is more than 0, and `executor` is one of its names. A bad setting never
stops the server: a malformed file, an unknown key or a bad value is reported with `warnings.warn` (naming the file or
variable and the key) and skipped, so the next place in the order decides. A missing `playground.toml` is the usual
case and says nothing; a missing file that $PLAYGROUND_SETTINGS names is reported.
"""

from __future__ import annotations

import math
import os
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from playground.memory import over_budget  # which asks the playground's own estimate (playground.kinds)

ENV_SETTINGS = "PLAYGROUND_SETTINGS"
DEFAULT_PATH = "playground.toml"
TABLE = "server"


@dataclass(frozen=True)
class Settings:
    """The server's limits. Defaults are the built-in ones; `load` applies the file and the environment."""

    max_jobs: int | None = None  # runs training at once; None: one per GPU, else one per two CPU cores
    session_grace_s: float = 15.0  # covers a dropped connection; a reload is a new session and cannot reclaim
    # the run, which meanwhile holds a training place (with one place, a reload waited up to a minute at 60 s)
    max_params: int = 5_000_000  # every config the forms allow fits; lower it on a small shared server
    max_job_seconds: float = 600.0  # wall time of one run once it trains, time paused excluded
    # Community Cloud gives an app about 1 GB: the ~430 MB process, one 256 MB run and room for the estimate's error
    # (as low as 0.85 of a measured peak) and the pages' sessions stay under it. A fixed number, not the host's memory.
    max_run_memory_mb: int = 256
    # A turn of 2 s: at one place, each of 30 runs trains 2 s in 60 and a run's curves move every minute; shorter
    # turns cost more switching (a run waits at a step boundary, and each switch wakes the line).
    turn_s: float = 2.0
    # The runs in memory while they take turns, at their estimated peaks: Community Cloud's ~1 GB less the ~430 MB
    # process and room for the pages' sessions. 512 MB holds 38 runs of the MLP's moons preset (13 MB each) or 11 of
    # the attention playground's tiny-lm (45 MB); the sum of peaks over-counts, as a waiting run holds no activations.
    turns_memory_mb: int = 512
    executor: str = "thread"  # where runs train (playground.executors.EXECUTORS): in process unless set up for Ray


# key -> (environment variable, whole number?, smallest value allowed, is the smallest value itself allowed?)
_RULES: dict[str, tuple[str, bool, float, bool]] = {
    "max_jobs": ("PLAYGROUND_MAX_JOBS", True, 1, True),
    "session_grace_s": ("PLAYGROUND_SESSION_GRACE_S", False, 0, True),
    "max_params": ("PLAYGROUND_MAX_PARAMS", True, 1, True),
    "max_job_seconds": ("PLAYGROUND_MAX_JOB_SECONDS", False, 0, False),
    "max_run_memory_mb": ("PLAYGROUND_MAX_RUN_MEMORY_MB", True, 1, True),
    "turn_s": ("PLAYGROUND_TURN_S", False, 0, True),
    "turns_memory_mb": ("PLAYGROUND_TURNS_MEMORY_MB", True, 1, True),
}
# key -> (environment variable, the names allowed): settings that name a choice
_CHOICES: dict[str, tuple[str, tuple[str, ...]]] = {
    "executor": ("PLAYGROUND_EXECUTOR", ("thread", "ray")),  # playground.executors.EXECUTORS
}
assert set(_RULES) | set(_CHOICES) == {f.name for f in fields(Settings)}
ENV_VARS = {key: rule[0] for key, rule in [*_RULES.items(), *_CHOICES.items()]}


def _rule_text(key: str) -> str:
    if key in _CHOICES:
        return "one of " + ", ".join(repr(name) for name in _CHOICES[key][1])
    _, whole, least, inclusive = _RULES[key]
    kind = "a whole number" if whole else "a number of seconds"
    return f"{kind} {'of at least' if inclusive else 'greater than'} {least:g}"


def _check(key: str, value: object) -> int | float | str:
    """The value as the setting's type; ValueError if it breaks the key's rule (bools are not numbers)."""
    if key in _CHOICES:
        name = value.strip().lower() if isinstance(value, str) else value
        if name not in _CHOICES[key][1]:
            raise ValueError
        return name
    _, whole, least, inclusive = _RULES[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError
    try:
        number = float(value)
    except OverflowError:  # a TOML integer beyond any float
        raise ValueError from None
    if not math.isfinite(number) or number < least or (number == least and not inclusive):
        raise ValueError
    if whole:
        if not number.is_integer():
            raise ValueError
        return int(value)
    return number


def _read_file(path: Path, named: bool) -> dict[str, int | float | str]:
    """The valid keys of the file's [server] table; everything wrong is warned about and skipped."""
    try:
        with path.open("rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        if named:
            warnings.warn(f"Settings file {path} (from ${ENV_SETTINGS}) not found. Using the defaults.", stacklevel=3)
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        warnings.warn(f"Settings file {path} could not be read ({e}). Using the defaults.", stacklevel=3)
        return {}
    for name in doc:
        if name != TABLE:
            warnings.warn(f"Settings file {path}: unknown key {name!r} (settings go in a [{TABLE}] table); "
                          "ignored.", stacklevel=3)
    table = doc.get(TABLE, {})
    if not isinstance(table, dict):
        warnings.warn(f"Settings file {path}: {TABLE!r} must be a table ([{TABLE}]); ignored.", stacklevel=3)
        return {}
    values: dict[str, int | float | str] = {}
    for key, raw in table.items():
        if key not in _RULES and key not in _CHOICES:
            warnings.warn(f"Settings file {path}: unknown key {key!r} in [{TABLE}] (known: {', '.join(ENV_VARS)}); "
                          "ignored.", stacklevel=3)
            continue
        try:
            values[key] = _check(key, raw)
        except ValueError:
            warnings.warn(f"Settings file {path}: [{TABLE}] {key} must be {_rule_text(key)}; got {raw!r}. "
                          "Using the default.", stacklevel=3)
    return values


def _show(value: int | float | str | None) -> str:
    if value is None:
        return "the default"
    if isinstance(value, str):
        return repr(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def _read_env(environ: Mapping[str, str], fallback: Settings) -> dict[str, int | float | str]:
    values: dict[str, int | float | str] = {}
    for key, (name, *_) in [*_RULES.items(), *_CHOICES.items()]:
        raw = environ.get(name, "").strip()
        if not raw:
            continue
        try:
            values[key] = _check(key, raw if key in _CHOICES else float(raw))
        except ValueError:
            warnings.warn(f"{name} must be {_rule_text(key)}; got {raw!r}. Using {_show(getattr(fallback, key))}.",
                          stacklevel=3)
    return values


def settings_path(environ: Mapping[str, str] | None = None) -> Path:
    """The settings file in use: $PLAYGROUND_SETTINGS, else playground.toml in the working directory."""
    environ = os.environ if environ is None else environ
    return Path(environ.get(ENV_SETTINGS, "").strip() or DEFAULT_PATH)


def load(environ: Mapping[str, str] | None = None, path: str | os.PathLike[str] | None = None) -> Settings:
    """The settings: environment over file over defaults. Never raises for bad input; warns instead.

    `environ` defaults to `os.environ` and `path` to `settings_path(environ)`; tests pass both.
    """
    environ = os.environ if environ is None else environ
    named = path is not None or bool(environ.get(ENV_SETTINGS, "").strip())
    from_file = replace(Settings(), **_read_file(Path(path) if path is not None else settings_path(environ), named))
    return replace(from_file, **_read_env(environ, from_file))


@dataclass(frozen=True)
class Limits:
    """Per-run limits a shared server enforces: a run over one ends with a message that names it. Dataset sizes,
    epochs and steps are bounded by the configs themselves, histories by playground.jobs."""

    max_params: int = Settings.max_params
    max_seconds: float = Settings.max_job_seconds
    max_memory_mb: int = Settings.max_run_memory_mb  # a run whose estimated peak (playground.memory) is above it is
    # refused before it starts

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Limits:
        """Limits from `settings`, else from `load()` (environment, file, defaults)."""
        settings = settings or load()
        return cls(max_params=settings.max_params, max_seconds=settings.max_job_seconds,
                   max_memory_mb=settings.max_run_memory_mb)

    def memory_problem(self, config: Any, table: Any = None) -> str | None:
        """Why this server refuses `config` for its memory (a message naming the estimate in MB and the settings
        to lower), or None when it fits or no playground owns the config (a test's stand-in trainer). `table`: an
        MLP run's uploaded DataFrame. Arithmetic on the config, no model built."""
        return over_budget(config, self.max_memory_mb, table)

    def duration(self) -> str:
        """`max_seconds` for people: "10 minutes", "90 seconds" (minutes from 2 minutes up), "1 second"."""
        s = self.max_seconds
        if s >= 120:
            return f"{s / 60:g} minutes"
        return f"{s:g} second{'s' * (s != 1)}"

    def describe(self) -> str:
        return f"at most {self.max_params:,} parameters and {self.duration()} of training per run"
