"""Sentiment with negation: classify template sentences, with "not" and "but", from a [CLS] token.

"the movie was not good" is negative; "the plot was dull but the music was great" is positive (what
follows the last "but" decides). Sentences are drawn word by word; a fifth of them, chosen by a hash of
their text, are held out, so no held-out sentence is ever trained on.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from playground.attention.tasks.base import CLS, N_HELD_OUT, PAD, Probe, TaskSpec, Vocabulary, check_length, display

if TYPE_CHECKING:
    from playground.attention.config import TaskConfig

POSITION = 2  # its tasks' place in the form's list of tasks
SUBJECTS = ("movie", "film", "plot", "story", "acting", "music", "ending", "cast")
POSITIVE = ("good", "great", "fun", "excellent", "wonderful", "lovely")
NEGATIVE = ("bad", "boring", "awful", "terrible", "dull", "poor")
INTENSIFIERS = ("very", "really", "quite", "so")
LABELS = ("negative", "positive")
MAX_TOKENS = 14  # [CLS] plus the longest sentence drawn here: two clauses of six words joined by "but"
PROBE = "the music was great but the movie was not good"
EXAMPLE = "the movie was not good"


def label(words: Sequence[str]) -> int:
    """1 (positive) or 0 (negative): the last adjective's polarity, flipped by a "not" in its clause.

    The clause is what follows the last "but", so "the plot was dull but the music was great" is
    positive. Raises ValueError when the clause has no known adjective.
    """
    clause = list(words)[len(words) - list(reversed(words)).index("but") :] if "but" in words else list(words)
    adjectives = [w for w in clause if w in POSITIVE or w in NEGATIVE]
    if not adjectives:
        raise ValueError("The sentence has no adjective this task knows.")
    return int((adjectives[-1] in POSITIVE) != ("not" in clause))


def words_of(text: str) -> list[str]:
    """Lower-cased words of a sentence, punctuation dropped."""
    return text.lower().translate(str.maketrans("", "", ".,!?;:\"'")).split()


def _clause(rng: np.random.Generator) -> list[str]:
    """ "the S was [not] [very] ADJ" with each part drawn independently."""
    u = rng.random(7)  # one draw per choice: indexing is ~10x faster than rng.choice on a tuple
    words = ["the", SUBJECTS[int(u[0] * len(SUBJECTS))], ("was", "is")[int(u[1] * 2)]]
    words += ["not"] * int(u[2] < 0.5) + [INTENSIFIERS[int(u[3] * len(INTENSIFIERS))]] * int(u[4] < 0.3)
    return [*words, (POSITIVE if u[5] < 0.5 else NEGATIVE)[int(u[6] * len(POSITIVE))]]


def _sentence(rng: np.random.Generator, held_out: bool) -> list[str]:
    """One sentence (a clause, or two joined by "but") from its split."""
    while True:
        words = _clause(rng)
        if rng.random() < 0.4:
            words += ["but", *_clause(rng)]
        if (zlib.crc32(" ".join(words).encode()) % 5 == 0) == held_out:  # a fifth of sentences held out
            return words


@functools.cache
def _spec() -> TaskSpec:
    words = (PAD, CLS, "the", "was", "is", "not", "but", *SUBJECTS, *INTENSIFIERS, *POSITIVE, *NEGATIVE)
    return TaskSpec("classify", Vocabulary(words), LABELS, 0, "accuracy")


class SentimentTask:
    """The sentiment task (a `Task`)."""

    name = "sentiment"
    label = "sentiment with negation"
    uses_vocab_size = False
    takes_text = False
    answer_only = False
    mirrored = False
    n_held_out = N_HELD_OUT
    note = ""

    def validate(self, cfg: TaskConfig) -> None:
        if cfg.seq_len < MAX_TOKENS:
            raise ValueError(f"sentiment sentences need seq_len of at least {MAX_TOKENS}; got {cfg.seq_len}.")

    def spec(self, cfg: TaskConfig) -> TaskSpec:
        return _spec()

    def batch(self, cfg: TaskConfig, n: int, rng: np.random.Generator, held_out: bool) -> tuple[np.ndarray, ...]:
        """Inputs [CLS] + words, padded with [PAD] to seq_len (n, T); targets (n,) labels."""
        s = _spec()
        x = np.full((n, cfg.seq_len), s.pad_id, dtype=np.int64)
        y = np.empty(n, dtype=np.int64)
        for i in range(n):
            words = _sentence(rng, held_out)
            x[i, : len(words) + 1], y[i] = s.vocab.encode([CLS, *words]), label(words)
        return x, y

    def probe(self, cfg: TaskConfig) -> Probe:
        x = torch.tensor([self.encode(cfg, PROBE)])
        return Probe(x, [display(t) for t in _spec().vocab.decode(x[0])], [LABELS[label(PROBE.split())]])

    def example(self, cfg: TaskConfig) -> str:
        return EXAMPLE

    def help(self, cfg: TaskConfig) -> str:
        return f"A sentence of up to {cfg.seq_len - 1} known words, e.g. '{self.example(cfg)}'."

    def encode(self, cfg: TaskConfig, text: str) -> list[int]:
        """Up to seq_len - 1 known words after [CLS]."""
        tokens = words_of(text)
        check_length(tokens, cfg.seq_len - 1, "words")
        vocab = _spec().vocab
        ids = vocab.encode(tokens)
        return vocab.encode([CLS]) + ids


TASKS = (SentimentTask(),)
