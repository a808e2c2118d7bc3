"""Sequence tasks for the tiny Transformer: the `TASKS` registry and what the trainer and pages ask of a task.

Each task is a small object (the `Task` protocol in `base`) in a module per family: `symbols` (copy,
reverse, sort), `key_value` (recall), `sentiment` (with negation), `char_lm` (a character language
model). Every module of this package but `base` lists its tasks in `TASKS` and its place in the form's list
in `POSITION`; `TASKS` here collects them, so adding a task is one module (and a preset). Nothing outside this
package compares task names. The functions here take a `TaskConfig` and dispatch on its task through `TASKS`.

Every task is a pure function of the config and an explicit `np.random.Generator`; nothing is downloaded
or read at import time. Training draws from `np.random.default_rng([seed, 0])`, held-out data from
`[seed, 1]`; sentiment sentences are split by a hash of their text, and char_lm holds out the last tenth
of the text.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import TYPE_CHECKING

import numpy as np
import torch

from playground.attention.tasks.base import (  # noqa: F401  (the package's vocabulary)
    CLS,
    IGNORE,
    N_HELD_OUT,
    PAD,
    Batch,
    Probe,
    Task,
    TaskSpec,
    Vocabulary,
    display,
)
from playground.attention.tasks.char_lm import MAX_TEXT_CHARS  # noqa: F401  (the corpus form's limit)

if TYPE_CHECKING:
    from playground.attention.config import TaskConfig


def _families() -> list:
    """The task modules of this package (all but `base`), in their POSITION order."""
    names = [m.name for m in pkgutil.iter_modules(__path__) if m.name != "base"]
    return sorted((importlib.import_module(f"{__name__}.{name}") for name in names), key=lambda m: m.POSITION)


TASKS: dict[str, Task] = {task.name: task for family in _families() for task in family.TASKS}
TASK_NAMES = tuple(TASKS)
DEFAULT_TASK = "reverse"


def task_of(cfg: TaskConfig) -> Task:
    return TASKS[cfg.task]


@functools.lru_cache(maxsize=16)
def spec(cfg: TaskConfig) -> TaskSpec:
    """The task's vocabulary and output classes (cached per config)."""
    return TASKS[cfg.task].spec(cfg)


def make_batch(cfg: TaskConfig, batch_size: int, rng: np.random.Generator, held_out: bool = False) -> Batch:
    """`batch_size` examples drawn with `rng`. Inputs (B, T) long; targets (B, T), or (B,) for a "classify" task.

    `held_out` selects the held-out sentences (sentiment) or text (char_lm); other tasks differ only
    by the generator's seed.
    """
    x, y = TASKS[cfg.task].batch(cfg, batch_size, rng, held_out)
    return Batch(torch.as_tensor(np.ascontiguousarray(x)), torch.as_tensor(np.ascontiguousarray(y)))


def train_rng(cfg: TaskConfig) -> np.random.Generator:
    """The training stream's generator."""
    return np.random.default_rng([cfg.seed, 0])


def held_out(cfg: TaskConfig, n: int | None = None) -> Batch:
    """n held-out examples (default: the task's `n_held_out`), the same every call for a config (generator
    seeded with [seed, 1])."""
    n = n or TASKS[cfg.task].n_held_out
    return make_batch(cfg, n, np.random.default_rng([cfg.seed, 1]), held_out=True)


def probe(cfg: TaskConfig) -> Probe:
    """The task's probe: the same for every run of a config (a fixed seed, a fixed sentence or text)."""
    return TASKS[cfg.task].probe(cfg)


def example(cfg: TaskConfig) -> str:
    """A valid input for `cfg`, to show the user: it passes `encode` for this exact config."""
    return TASKS[cfg.task].example(cfg)


def input_help(cfg: TaskConfig) -> str:
    """What this config's model reads, in words, with an example (for help text and messages)."""
    return TASKS[cfg.task].help(cfg)


def encode(cfg: TaskConfig, text: str) -> torch.Tensor:
    """A user's input as (1, T) ids. Raises ValueError, fit to show, for empty, too long or unknown input.

    Algorithmic tasks take exactly seq_len symbols (whitespace ignored); key_value takes "a3 c1 = c"
    (seq_len - 2 pairs) with distinct keys and a query among them. Sentiment takes up to seq_len - 1 known words;
    char_lm up to seq_len characters.
    """
    return torch.tensor([TASKS[cfg.task].encode(cfg, text)])
