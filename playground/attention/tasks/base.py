"""What every sequence task shares: the `Task` protocol, vocabularies, batches, probes and specs.

A task is a small object that turns a `TaskConfig` and an explicit `np.random.Generator` into data: no
global RNG, nothing read at import time. Targets use IGNORE (-100, PyTorch's cross-entropy default
ignore_index) where nothing is scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np
import torch

if TYPE_CHECKING:
    from playground.attention.config import TaskConfig

IGNORE = -100
PAD, CLS = "[PAD]", "[CLS]"
PROBE_SEED = 1234  # fixed across runs so heatmaps are comparable
N_HELD_OUT = 512  # held-out sequences scored at each evaluation
TAG_NOTE = "Token accuracy counts every scored position; key_value scores only the answer."


def display(token: str) -> str:
    """A token as an axis label: space and newline made visible."""
    return {" ": "␣", "\n": "↵", "\t": "⇥"}.get(token, token)


class Vocabulary:
    """Token strings <-> ids, in the order given."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens = tuple(tokens)
        self._ids = {t: i for i, t in enumerate(self.tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Ids of `tokens`. Raises ValueError naming the first unknown token and its position."""
        for i, t in enumerate(tokens):
            if t not in self._ids:
                known = [display(s) for s in self.tokens if s not in (PAD, CLS)]
                known = " ".join(known) if len(known) <= 40 else f"{' '.join(known[:30])} ... {' '.join(known[-5:])}"
                raise ValueError(f"Unknown token {t!r} at position {i + 1}; this task knows: {known}")
        return [self._ids[t] for t in tokens]

    def decode(self, ids: Sequence[int]) -> list[str]:
        return [self.tokens[int(i)] for i in ids]


class Batch(NamedTuple):
    inputs: torch.Tensor  # (B, T) long token ids
    targets: torch.Tensor  # (B, T) long output ids, IGNORE where unscored; (B,) for "classify"


@dataclass(frozen=True)
class TaskSpec:
    """What a task looks like to a model: its kind, input vocabulary and output classes."""

    kind: str  # "tag" (a label per position), "classify" (one label, [CLS] head) or "lm" (causal, next token)
    vocab: Vocabulary  # input tokens
    outputs: tuple[str, ...]  # output classes (tag: symbols; classify: labels; lm: the characters)
    pad_id: int | None  # input id masked as padding, if any
    metric_name: str  # "token accuracy", "accuracy" or "next-char accuracy"
    splits: tuple[np.ndarray, np.ndarray] | None = None  # lm: (train ids, held-out ids), read-only


class Probe(NamedTuple):
    """A fixed example whose attention is shown over time."""

    inputs: torch.Tensor  # (1, T) long, no padding
    tokens: list[str]  # T display strings for the heatmap axes
    targets: list[str]  # expected output per scored position ("" where unscored); one label for sentiment


class Task(Protocol):
    """One sequence task. Every method is a pure function of the config (and a generator where it draws)."""

    name: str  # the value of TaskConfig.task
    label: str  # how the form names it, e.g. "key-value recall"
    uses_vocab_size: bool  # whether TaskConfig.vocab_size means anything to it
    takes_text: bool  # whether it trains on a corpus (TaskConfig.text), and so can generate text
    answer_only: bool  # whether its prediction for an input is the last position's output alone
    mirrored: bool  # whether position i should read position T-1-i: heads' "mirror" share is then measured
    n_held_out: int  # held-out examples scored at each evaluation
    note: str  # what its metric counts, shown beside the charts ("" if nothing to add)

    def validate(self, cfg: TaskConfig) -> None:
        """Raise ValueError, fit to show, for settings this task cannot use."""
        ...

    def spec(self, cfg: TaskConfig) -> TaskSpec: ...

    def batch(self, cfg: TaskConfig, n: int, rng: np.random.Generator, held_out: bool) -> tuple[np.ndarray, ...]:
        """(inputs (n, T), targets (n, T) or (n,)) as int64 arrays drawn with `rng` from the chosen split."""
        ...

    def probe(self, cfg: TaskConfig) -> Probe: ...

    def example(self, cfg: TaskConfig) -> str:
        """A valid input for `cfg`, to show the user: it passes `encode` for this exact config."""
        ...

    def help(self, cfg: TaskConfig) -> str:
        """What this config's model reads, in words, with an example."""
        ...

    def encode(self, cfg: TaskConfig, text: str) -> list[int]:
        """A user's input as input ids. Raises ValueError, fit to show, for empty, too long or unknown input."""
        ...


def check_length(tokens: list, limit: int, unit: str) -> None:
    """Raise ValueError for no tokens or more than `limit` of them."""
    if not tokens:
        raise ValueError(f"The input is empty; type up to {limit} {unit}.")
    if len(tokens) > limit:
        raise ValueError(f"The input has {len(tokens)} {unit}; this model takes at most {limit}.")
