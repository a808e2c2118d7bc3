"""A character language model: predict the next character of the built-in story or the user's text.

The model is causal; the last tenth of the text is held out. The corpus must be plain text: bounded,
long enough to hold out a tenth, and not binary.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np
import torch

from playground.attention.corpus import CORPUS
from playground.attention.tasks.base import Probe, TaskSpec, Vocabulary, check_length, display

if TYPE_CHECKING:
    from playground.attention.config import TaskConfig

POSITION = 3  # its tasks' place in the form's list of tasks
MAX_TEXT_CHARS = 100_000
MAX_TEXT_SYMBOLS = 200  # distinct characters a character language model may use
N_HELD_OUT_WINDOWS = 64  # held-out windows (64 x seq_len characters)
MAX_PROBE_LEN = 32  # probes are cut to this many characters to keep heatmaps readable


def check_text(text: str, seq_len: int) -> None:
    """A user's corpus must be plain text: bounded, long enough to hold out a tenth, not binary."""
    n, need, distinct = len(text), 10 * (seq_len + 1), len(set(text))
    if n > MAX_TEXT_CHARS:
        raise ValueError(f"The text is too long: {n:,} characters; at most {MAX_TEXT_CHARS:,}.")
    if n < need:
        raise ValueError(f"The text is too short: {n:,} character{'s' * (n != 1)}; seq_len {seq_len} needs at least "
                         f"{need:,} (a tenth is held out for validation).")
    bad = next((c for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0), None)
    if bad is not None:
        raise ValueError(f"The text contains the control character {bad!r}: is it a binary file? Use plain text.")
    if distinct > MAX_TEXT_SYMBOLS:
        raise ValueError(f"The text uses {distinct} distinct characters; at most {MAX_TEXT_SYMBOLS}.")


@functools.lru_cache(maxsize=16)
def _spec(text: str) -> TaskSpec:
    vocab = Vocabulary(sorted(set(text)))
    ids = np.array(vocab.encode(text), dtype=np.int64)
    cut = int(len(ids) * 0.9)
    train, held = ids[:cut], ids[cut:]
    train.setflags(write=False)
    held.setflags(write=False)
    return TaskSpec("lm", vocab, vocab.tokens, None, "next-char accuracy", (train, held))


class CharLMTask:
    """The char_lm task (a `Task`)."""

    name = "char_lm"
    label = "character language model"
    uses_vocab_size = False
    takes_text = True
    answer_only = True  # the next character
    mirrored = False
    n_held_out = N_HELD_OUT_WINDOWS
    note = ""

    def validate(self, cfg: TaskConfig) -> None:
        if cfg.text:
            check_text(cfg.text, cfg.seq_len)

    def spec(self, cfg: TaskConfig) -> TaskSpec:
        return _spec(cfg.text or CORPUS)

    def batch(self, cfg: TaskConfig, n: int, rng: np.random.Generator, held_out: bool) -> tuple[np.ndarray, ...]:
        """Windows of seq_len + 1 characters from the chosen split: inputs (n, T) and the next characters (n, T)."""
        ids = self.spec(cfg).splits[1 if held_out else 0]
        starts = rng.integers(0, len(ids) - cfg.seq_len, size=n)
        window = ids[starts[:, None] + np.arange(cfg.seq_len + 1)]  # (n, T + 1)
        return window[:, :-1], window[:, 1:]

    def probe(self, cfg: TaskConfig) -> Probe:
        """Held-out text from its first word boundary, at most MAX_PROBE_LEN characters."""
        s = self.spec(cfg)
        held, n = s.splits[1], min(cfg.seq_len, MAX_PROBE_LEN)
        room = held[: len(held) - n - 1]  # start after the first space that leaves room for n + 1 characters
        start = next((i + 1 for i, c in enumerate(room) if s.vocab.tokens[c] == " "), 0)
        ids = held[start : start + n + 1]
        x, targets = torch.as_tensor(ids[None, :-1].copy()), [display(t) for t in s.vocab.decode(ids[1:])]
        return Probe(x, [display(t) for t in s.vocab.decode(x[0])], targets)

    def example(self, cfg: TaskConfig) -> str:
        """The first words of the training text."""
        text = cfg.text or CORPUS
        words = text[: min(cfg.seq_len, 16)]
        cut = words.rfind(" ")
        return words[:cut + 1] if cut > 0 else words

    def help(self, cfg: TaskConfig) -> str:
        return f"Up to {cfg.seq_len} characters that appear in the training text, e.g. '{self.example(cfg)}'."

    def encode(self, cfg: TaskConfig, text: str) -> list[int]:
        """Up to seq_len characters of the training text's alphabet."""
        tokens = list(text)
        check_length(tokens, cfg.seq_len, "characters")
        return self.spec(cfg).vocab.encode(tokens)


TASKS = (CharLMTask(),)
