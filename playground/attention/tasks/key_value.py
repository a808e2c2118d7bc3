"""Key-value recall: "a3 c1 b7 = c" -> 1. Attention as a soft dictionary lookup.

One token per key-value pair (a key a-z and a digit), "=", then a query key (seq_len 5 for two pairs);
only the last position is scored, with the value paired with the query, so the query's row of the
attention should light up the pair with its key.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import torch

from playground.attention.tasks.base import (
    IGNORE,
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

POSITION = 1  # its tasks' place in the form's list of tasks
KEYS, DIGITS = "abcdefghijklmnopqrstuvwxyz", "0123456789"
EXAMPLE_VALUES = "3174902856"  # example values: distinct, so the answer names its pair


class KeyValueTask:
    """The key_value task (a `Task`)."""

    name = "key_value"
    label = "key-value recall"
    uses_vocab_size = True  # the number of distinct keys
    takes_text = False
    answer_only = True
    mirrored = False
    n_held_out = N_HELD_OUT
    note = TAG_NOTE

    def validate(self, cfg: TaskConfig) -> None:
        pairs = cfg.seq_len - 2
        if not 1 <= pairs <= cfg.vocab_size:
            raise ValueError(f"key_value with seq_len {cfg.seq_len} has {pairs} key-value pairs (plus '=' and the "
                             f"query) and needs 1 to vocab_size ({cfg.vocab_size}) distinct keys.")

    def spec(self, cfg: TaskConfig) -> TaskSpec:
        pairs = [k + d for k in KEYS[: cfg.vocab_size] for d in DIGITS]  # "a0" has id 0, "a1" id 1, ...
        return TaskSpec("tag", Vocabulary((*pairs, "=", *KEYS[: cfg.vocab_size])), tuple(DIGITS), None,
                        "token accuracy")

    def batch(self, cfg: TaskConfig, n: int, rng: np.random.Generator, held_out: bool) -> tuple[np.ndarray, ...]:
        """(n, T) inputs "kv kv ... = q" and (n, T) targets: the value paired with q at the last position."""
        v, pairs = cfg.vocab_size, cfg.seq_len - 2
        keys = rng.permuted(np.tile(np.arange(v), (n, 1)), axis=1)[:, :pairs]  # (n, P) distinct per row
        values = rng.integers(0, 10, size=(n, pairs))  # (n, P) digits
        which = rng.integers(0, pairs, size=n)  # (n,) the queried pair
        x = np.empty((n, cfg.seq_len), dtype=np.int64)
        x[:, :pairs] = keys * 10 + values  # pair token ids, as in spec()
        x[:, -2], x[:, -1] = 10 * v, 10 * v + 1 + keys[np.arange(n), which]  # "=", the query key
        y = np.full((n, cfg.seq_len), IGNORE, dtype=np.int64)
        y[:, -1] = values[np.arange(n), which]
        return x, y

    def probe(self, cfg: TaskConfig) -> Probe:
        s = self.spec(cfg)
        x, y = self.batch(cfg, 1, np.random.default_rng(PROBE_SEED), held_out=False)
        x, targets = torch.as_tensor(x), ["" if i == IGNORE else s.outputs[int(i)] for i in y[0]]
        return Probe(x, [display(t) for t in s.vocab.decode(x[0])], targets)

    def example(self, cfg: TaskConfig) -> str:
        """seq_len - 2 pairs and a query, e.g. "a3 c1 b7 d4 e9 f0 = c" for seq_len 8 (the answer is 1)."""
        n = cfg.seq_len - 2
        keys = list(KEYS[:n])
        if n >= 3:
            keys[1], keys[2] = keys[2], keys[1]  # "a c b ...": the query is not simply the first key
        pairs = [k + EXAMPLE_VALUES[i % len(EXAMPLE_VALUES)] for i, k in enumerate(keys)]
        return f"{' '.join(pairs)} = {keys[min(1, n - 1)]}"

    def help(self, cfg: TaskConfig) -> str:
        return (f"Exactly {cfg.seq_len} tokens: {cfg.seq_len - 2} key-value pairs (a key {KEYS[0]}-"
                f"{KEYS[cfg.vocab_size - 1]} and a digit, e.g. a3), '=' and one of the keys to look up "
                f"(spaces optional), e.g. '{self.example(cfg)}'.")

    def encode(self, cfg: TaskConfig, text: str) -> list[int]:
        """ "a3 c1 = c" (seq_len - 2 pairs, spaces optional) with distinct keys and a query among them."""
        tokens = self._tokens(cfg, text)
        check_length(tokens, cfg.seq_len, "tokens")
        ids = self.spec(cfg).vocab.encode(tokens)
        if len(tokens) != cfg.seq_len:
            raise ValueError(f"This model reads exactly {cfg.seq_len} tokens ({cfg.seq_len - 2} key-value pairs like "
                             f"a3, '=' and a query key), e.g. '{self.example(cfg)}'; the input has {len(tokens)}.")
        keys = [t[0] for t in tokens[:-2]]
        if len(set(keys)) != len(keys) or tokens[-1] not in keys:
            raise ValueError(f"Give each key once and ask for one of them, e.g. '{self.example(cfg)}'.")
        return ids

    def _tokens(self, cfg: TaskConfig, text: str) -> list[str]:
        """ "a3 c1 b7 = c" (spaces optional) -> ["a3", "c1", "b7", "=", "c"]; [] for blank text."""
        compact = "".join(text.split())
        if not compact:
            return []
        m = re.fullmatch(r"((?:[a-z][0-9])+)=([a-z])", compact)
        if m is None:
            raise ValueError("Write key-value pairs (a letter and a digit), '=' and a key, "
                             f"e.g. '{self.example(cfg)}'.")
        pairs = m.group(1)
        return [pairs[i : i + 2] for i in range(0, len(pairs), 2)] + ["=", m.group(2)]


TASKS = (KeyValueTask(),)
