"""Copy, reverse and sort: tag every position of a string of symbols (the algorithmic tasks).

Symbols are single characters (the first vocab_size of 0-9 then a-p), so "31415926" and "3 1 4 1 5 9 2 6"
are the same input. Each task is one transformation of the input row: the identity, its mirror image, or
the row sorted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from playground.attention.tasks.base import (
    N_HELD_OUT,
    PROBE_SEED,
    TAG_NOTE,
    Probe,
    TaskSpec,
    Vocabulary,
    check_length,
    display,
)

if TYPE_CHECKING:
    from playground.attention.config import TaskConfig

POSITION = 0  # its tasks' place in the form's list of tasks
SYMBOLS = "0123456789abcdefghijklmnop"  # the first vocab_size of these
EXAMPLE_DIGITS = "3141592653589793238462643383279502884197"  # examples (cycled)


def draw(cfg: TaskConfig, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, T) symbol ids drawn uniformly."""
    return rng.integers(0, cfg.vocab_size, size=(n, cfg.seq_len))


@dataclass(frozen=True)
class SymbolTask:
    """A label per position: `transform` of the input row (a `Task`)."""

    name: str
    label: str
    transform: Callable[[np.ndarray], np.ndarray]  # (n, T) ids -> (n, T) target ids
    uses_vocab_size: bool = True
    takes_text: bool = False
    answer_only: bool = False
    mirrored: bool = False  # whether position i reads position T-1-i (a head's "mirror" share is measured)
    n_held_out: int = N_HELD_OUT
    note: str = TAG_NOTE
    script_targets: str = ""  # `transform` as Python source over an (n, T) array `x`, for a runnable script

    def validate(self, cfg: TaskConfig) -> None:
        pass

    def spec(self, cfg: TaskConfig) -> TaskSpec:
        symbols = tuple(SYMBOLS[: cfg.vocab_size])
        return TaskSpec("tag", Vocabulary(symbols), symbols, None, "token accuracy")

    def batch(self, cfg: TaskConfig, n: int, rng: np.random.Generator, held_out: bool) -> tuple[np.ndarray, ...]:
        x = draw(cfg, n, rng)  # the held-out split differs only by the generator's seed
        return x, self.transform(x)

    def probe(self, cfg: TaskConfig) -> Probe:
        s, rng = self.spec(cfg), np.random.default_rng(PROBE_SEED)
        if cfg.vocab_size >= cfg.seq_len:  # distinct symbols make the pattern (and the axes) unambiguous
            x = rng.permutation(cfg.vocab_size)[None, : cfg.seq_len]
        else:
            x = draw(cfg, 1, rng)
        x, y = torch.as_tensor(x), list(self.transform(x)[0])
        return Probe(x, [display(t) for t in s.vocab.decode(x[0])], [s.outputs[int(i)] for i in y])

    def example(self, cfg: TaskConfig) -> str:
        """seq_len digits of pi (mod vocab_size), e.g. "3 1 4 1 5 9 2 6"."""
        digits = (EXAMPLE_DIGITS * (cfg.seq_len // len(EXAMPLE_DIGITS) + 1))[: cfg.seq_len]
        return " ".join(SYMBOLS[int(d) % cfg.vocab_size] for d in digits)

    def help(self, cfg: TaskConfig) -> str:
        return (f"Exactly {cfg.seq_len} symbols from {SYMBOLS[0]}-{SYMBOLS[cfg.vocab_size - 1]}, one per "
                f"character (spaces ignored), e.g. '{self.example(cfg)}'.")

    def encode(self, cfg: TaskConfig, text: str) -> list[int]:
        """Exactly seq_len symbols, whitespace ignored."""
        tokens = [c for c in text if not c.isspace()]
        check_length(tokens, cfg.seq_len, "symbols")
        ids = self.spec(cfg).vocab.encode(tokens)
        if len(tokens) != cfg.seq_len:
            raise ValueError(f"This model reads exactly {cfg.seq_len} symbols (one per character, spaces ignored), "
                             f"e.g. '{self.example(cfg)}'; the input has {len(tokens)}.")
        return ids


TASKS = (
    SymbolTask("copy", "copy", lambda x: x, script_targets="x"),
    SymbolTask("reverse", "reverse", lambda x: x[:, ::-1], mirrored=True, script_targets="x[:, ::-1]"),
    SymbolTask("sort", "sort digits", lambda x: np.sort(x, axis=1), script_targets="np.sort(x, axis=1)"),
)
