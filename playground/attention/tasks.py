"""Sequence tasks for the tiny Transformer: generated batches, held-out data, probes and tokenizers.

Every task is a pure function of a `TaskConfig` and an explicit `np.random.Generator`; nothing is
downloaded or read at import time. Three kinds:

- "tag" (encoder, a label per position): copy, reverse, sort and key_value recall. Symbols are single
  characters, so "31415926" and "3 1 4 1 5 9 2 6" are the same input. key_value reads "a3 c1 b7 = c"
  (seq_len 5; `example` gives one for any config): one token per key-value pair, "=", a query key;
  only the last position is scored (target "1"), so attention is a soft dictionary lookup: the query's
  row should light up the pair with its key.
- "classify" (encoder, [CLS] head): sentiment of template sentences with negation and "but", e.g.
  "the movie was not good" is negative; "the plot was dull but the music was great" is positive.
- "lm" (causal): next-character prediction on the built-in corpus or the user's text.

Targets use IGNORE (-100, PyTorch's cross-entropy default ignore_index) where nothing is scored.
Training draws from `np.random.default_rng([seed, 0])`; held-out data from `[seed, 1]`, sentiment
sentences are split by a hash of their text, and char_lm holds out the last tenth of the text.
"""

from __future__ import annotations

import functools
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from playground.attention.config import TaskConfig
from playground.attention.corpus import CORPUS

IGNORE = -100
SYMBOLS = "0123456789abcdefghijklmnop"  # copy / reverse / sort: the first vocab_size of these
KEYS, DIGITS = "abcdefghijklmnopqrstuvwxyz", "0123456789"  # key_value: keys and values
PAD, CLS = "[PAD]", "[CLS]"
PROBE_SEED = 1234  # fixed across runs so heatmaps are comparable
N_HELD_OUT = 512  # held-out sequences scored at each evaluation
N_HELD_OUT_WINDOWS = 64  # char_lm: held-out windows (64 x seq_len characters)
MAX_PROBE_LEN = 32  # char_lm probes are cut to this many characters to keep heatmaps readable

SUBJECTS = ("movie", "film", "plot", "story", "acting", "music", "ending", "cast")
POSITIVE = ("good", "great", "fun", "excellent", "wonderful", "lovely")
NEGATIVE = ("bad", "boring", "awful", "terrible", "dull", "poor")
INTENSIFIERS = ("very", "really", "quite", "so")
LABELS = ("negative", "positive")
SENTIMENT_PROBE = "the music was great but the movie was not good"
SENTIMENT_EXAMPLE = "the movie was not good"
EXAMPLE_DIGITS = "3141592653589793238462643383279502884197"  # copy / reverse / sort examples (cycled)
EXAMPLE_VALUES = "3174902856"  # key_value example values: distinct, so the answer names its pair


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

    kind: str  # "tag", "classify" or "lm"
    vocab: Vocabulary  # input tokens
    outputs: tuple[str, ...]  # output classes (tag: symbols; classify: LABELS; lm: the characters)
    pad_id: int | None  # input id masked as padding, if any
    metric_name: str  # "token accuracy", "accuracy" or "next-char accuracy"
    splits: tuple[np.ndarray, np.ndarray] | None = None  # char_lm: (train ids, held-out ids), read-only


@functools.lru_cache(maxsize=16)
def spec(cfg: TaskConfig) -> TaskSpec:
    """The task's vocabulary and output classes (cached per config)."""
    if cfg.task in ("copy", "reverse", "sort"):
        symbols = tuple(SYMBOLS[: cfg.vocab_size])
        return TaskSpec("tag", Vocabulary(symbols), symbols, None, "token accuracy")
    if cfg.task == "key_value":
        pairs = [k + d for k in KEYS[: cfg.vocab_size] for d in DIGITS]  # "a0" has id 0, "a1" id 1, ...
        return TaskSpec("tag", Vocabulary((*pairs, "=", *KEYS[: cfg.vocab_size])), tuple(DIGITS), None,
                        "token accuracy")
    if cfg.task == "sentiment":
        words = (PAD, CLS, "the", "was", "is", "not", "but", *SUBJECTS, *INTENSIFIERS, *POSITIVE, *NEGATIVE)
        return TaskSpec("classify", Vocabulary(words), LABELS, 0, "accuracy")
    text = cfg.text or CORPUS
    vocab = Vocabulary(sorted(set(text)))
    ids = np.array(vocab.encode(text), dtype=np.int64)
    cut = int(len(ids) * 0.9)
    train, held = ids[:cut], ids[cut:]
    train.setflags(write=False)
    held.setflags(write=False)
    return TaskSpec("lm", vocab, vocab.tokens, None, "next-char accuracy", (train, held))


def display(token: str) -> str:
    """A token as an axis label: space and newline made visible."""
    return {" ": "␣", "\n": "↵", "\t": "⇥"}.get(token, token)


def _symbols(cfg: TaskConfig, n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, cfg.vocab_size, size=(n, cfg.seq_len))  # (n, T)


def _key_value(cfg: TaskConfig, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
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


_TAGGERS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "copy": lambda x: x,
    "reverse": lambda x: x[:, ::-1],
    "sort": lambda x: np.sort(x, axis=1),
}


def _clause(rng: np.random.Generator) -> list[str]:
    """ "the S was [not] [very] ADJ" with each part drawn independently."""
    u = rng.random(7)  # one draw per choice: indexing is ~10x faster than rng.choice on a tuple
    words = ["the", SUBJECTS[int(u[0] * len(SUBJECTS))], ("was", "is")[int(u[1] * 2)]]
    words += ["not"] * int(u[2] < 0.5) + [INTENSIFIERS[int(u[3] * len(INTENSIFIERS))]] * int(u[4] < 0.3)
    return [*words, (POSITIVE if u[5] < 0.5 else NEGATIVE)[int(u[6] * len(POSITIVE))]]


def sentiment_label(words: Sequence[str]) -> int:
    """1 (positive) or 0 (negative): the last adjective's polarity, flipped by a "not" in its clause.

    The clause is what follows the last "but", so "the plot was dull but the music was great" is
    positive. Raises ValueError when the clause has no known adjective.
    """
    clause = list(words)[len(words) - list(reversed(words)).index("but") :] if "but" in words else list(words)
    adjectives = [w for w in clause if w in POSITIVE or w in NEGATIVE]
    if not adjectives:
        raise ValueError("The sentence has no adjective this task knows.")
    return int((adjectives[-1] in POSITIVE) != ("not" in clause))


def _sentence(rng: np.random.Generator, held_out: bool) -> list[str]:
    """One sentence (a clause, or two joined by "but") from its split."""
    while True:
        words = _clause(rng)
        if rng.random() < 0.4:
            words += ["but", *_clause(rng)]
        if (zlib.crc32(" ".join(words).encode()) % 5 == 0) == held_out:  # a fifth of sentences held out
            return words


def sentiment_words(text: str) -> list[str]:
    """Lower-cased words of a sentence, punctuation dropped."""
    return text.lower().translate(str.maketrans("", "", ".,!?;:\"'")).split()


def make_batch(cfg: TaskConfig, batch_size: int, rng: np.random.Generator, held_out: bool = False) -> Batch:
    """`batch_size` examples drawn with `rng`. Inputs (B, T) long; targets (B, T), or (B,) for sentiment.

    `held_out` selects the held-out sentences (sentiment) or text (char_lm); other tasks differ only
    by the generator's seed. Sentiment inputs are [CLS] + words, padded with [PAD] to seq_len.
    """
    s = spec(cfg)
    if cfg.task in _TAGGERS:
        x = _symbols(cfg, batch_size, rng)
        y = _TAGGERS[cfg.task](x)
    elif cfg.task == "key_value":
        x, y = _key_value(cfg, batch_size, rng)
    elif cfg.task == "sentiment":
        x = np.full((batch_size, cfg.seq_len), s.pad_id, dtype=np.int64)
        y = np.empty(batch_size, dtype=np.int64)
        for i in range(batch_size):
            words = _sentence(rng, held_out)
            x[i, : len(words) + 1], y[i] = s.vocab.encode([CLS, *words]), sentiment_label(words)
    else:
        ids = s.splits[1 if held_out else 0]
        starts = rng.integers(0, len(ids) - cfg.seq_len, size=batch_size)  # windows of T + 1 characters
        window = ids[starts[:, None] + np.arange(cfg.seq_len + 1)]  # (B, T + 1)
        x, y = window[:, :-1], window[:, 1:]
    return Batch(torch.as_tensor(np.ascontiguousarray(x)), torch.as_tensor(np.ascontiguousarray(y)))


def train_rng(cfg: TaskConfig) -> np.random.Generator:
    """The training stream's generator."""
    return np.random.default_rng([cfg.seed, 0])


def held_out(cfg: TaskConfig, n: int | None = None) -> Batch:
    """n held-out examples (default N_HELD_OUT, or N_HELD_OUT_WINDOWS for char_lm), the same every call
    for a config (generator seeded with [seed, 1])."""
    n = n or (N_HELD_OUT_WINDOWS if cfg.task == "char_lm" else N_HELD_OUT)
    return make_batch(cfg, n, np.random.default_rng([cfg.seed, 1]), held_out=True)


class Probe(NamedTuple):
    """A fixed example whose attention is shown over time."""

    inputs: torch.Tensor  # (1, T) long, no padding
    tokens: list[str]  # T display strings for the heatmap axes
    targets: list[str]  # expected output per scored position ("" where unscored); one label for sentiment


def probe(cfg: TaskConfig) -> Probe:
    """The task's probe: the same for every run of a config (a fixed seed, a fixed sentence or text)."""
    s = spec(cfg)
    rng = np.random.default_rng(PROBE_SEED)
    if cfg.task in _TAGGERS:
        if cfg.vocab_size >= cfg.seq_len:  # distinct symbols make the pattern (and the axes) unambiguous
            x = rng.permutation(cfg.vocab_size)[None, : cfg.seq_len]
        else:
            x = _symbols(cfg, 1, rng)
        x, y = torch.as_tensor(x), list(_TAGGERS[cfg.task](x)[0])
        targets = [s.outputs[int(i)] for i in y]
    elif cfg.task == "key_value":
        x, y = _key_value(cfg, 1, rng)
        x, targets = torch.as_tensor(x), ["" if i == IGNORE else s.outputs[int(i)] for i in y[0]]
    elif cfg.task == "sentiment":
        x, targets = encode(cfg, SENTIMENT_PROBE), [LABELS[sentiment_label(SENTIMENT_PROBE.split())]]
    else:
        held, n = s.splits[1], min(cfg.seq_len, MAX_PROBE_LEN)
        room = held[: len(held) - n - 1]  # start after the first space that leaves room for n + 1 characters
        start = next((i + 1 for i, c in enumerate(room) if s.vocab.tokens[c] == " "), 0)
        ids = held[start : start + n + 1]
        x, targets = torch.as_tensor(ids[None, :-1].copy()), [display(t) for t in s.vocab.decode(ids[1:])]
    return Probe(x, [display(t) for t in s.vocab.decode(x[0])], targets)


def example(cfg: TaskConfig) -> str:
    """A valid input for `cfg`, to show the user: it passes `encode` for this exact config.

    copy/reverse/sort: seq_len digits of pi (mod vocab_size), e.g. "3 1 4 1 5 9 2 6"; key_value:
    seq_len - 2 pairs and a query, e.g. "a3 c1 b7 d4 e9 f0 = c" for seq_len 8 (the answer is 1);
    sentiment: a negated sentence; char_lm: the first words of the training text.
    """
    if cfg.task in _TAGGERS:
        digits = (EXAMPLE_DIGITS * (cfg.seq_len // len(EXAMPLE_DIGITS) + 1))[: cfg.seq_len]
        return " ".join(SYMBOLS[int(d) % cfg.vocab_size] for d in digits)
    if cfg.task == "key_value":
        n = cfg.seq_len - 2
        keys = list(KEYS[:n])
        if n >= 3:
            keys[1], keys[2] = keys[2], keys[1]  # "a c b ...": the query is not simply the first key
        pairs = [k + EXAMPLE_VALUES[i % len(EXAMPLE_VALUES)] for i, k in enumerate(keys)]
        return f"{' '.join(pairs)} = {keys[min(1, n - 1)]}"
    if cfg.task == "sentiment":
        return SENTIMENT_EXAMPLE
    text = cfg.text or CORPUS
    words = text[: min(cfg.seq_len, 16)]
    cut = words.rfind(" ")
    return words[:cut + 1] if cut > 0 else words


def input_help(cfg: TaskConfig) -> str:
    """What this config's model reads, in words, with an example (for help text and messages)."""
    if cfg.task in _TAGGERS:
        return (f"Exactly {cfg.seq_len} symbols from {SYMBOLS[0]}-{SYMBOLS[cfg.vocab_size - 1]}, one per "
                f"character (spaces ignored), e.g. '{example(cfg)}'.")
    if cfg.task == "key_value":
        return (f"Exactly {cfg.seq_len} tokens: {cfg.seq_len - 2} key-value pairs (a key {KEYS[0]}-"
                f"{KEYS[cfg.vocab_size - 1]} and a digit, e.g. a3), '=' and one of the keys to look up "
                f"(spaces optional), e.g. '{example(cfg)}'.")
    if cfg.task == "sentiment":
        return f"A sentence of up to {cfg.seq_len - 1} known words, e.g. '{example(cfg)}'."
    return f"Up to {cfg.seq_len} characters that appear in the training text, e.g. '{example(cfg)}'."


def encode(cfg: TaskConfig, text: str) -> torch.Tensor:
    """A user's input as (1, T) ids. Raises ValueError, fit to show, for empty, too long or unknown input.

    Algorithmic tasks take exactly seq_len symbols (whitespace ignored); key_value takes "a3 c1 = c"
    (seq_len - 2 pairs) with distinct keys and a query among them. Sentiment takes up to seq_len - 1 known words;
    char_lm up to seq_len characters.
    """
    s = spec(cfg)
    if cfg.task == "sentiment":
        tokens = sentiment_words(text)
        limit, unit = cfg.seq_len - 1, "words"
    elif cfg.task == "char_lm":
        tokens, limit, unit = list(text), cfg.seq_len, "characters"
    elif cfg.task == "key_value":
        tokens, limit, unit = _pair_tokens(cfg, text), cfg.seq_len, "tokens"
    else:
        tokens, limit, unit = [c for c in text if not c.isspace()], cfg.seq_len, "symbols"
    if not tokens:
        raise ValueError(f"The input is empty; type up to {limit} {unit}.")
    if len(tokens) > limit:
        raise ValueError(f"The input has {len(tokens)} {unit}; this model takes at most {limit}.")
    ids = s.vocab.encode(tokens)
    if s.kind == "tag" and len(tokens) != cfg.seq_len:
        if cfg.task == "key_value":
            what = f"{cfg.seq_len - 2} key-value pairs like a3, '=' and a query key"
        else:
            what = "one per character, spaces ignored"
        raise ValueError(f"This model reads exactly {cfg.seq_len} {unit} ({what}), e.g. '{example(cfg)}'; "
                         f"the input has {len(tokens)}.")
    if cfg.task == "key_value":
        keys = [t[0] for t in tokens[:-2]]
        if len(set(keys)) != len(keys) or tokens[-1] not in keys:
            raise ValueError(f"Give each key once and ask for one of them, e.g. '{example(cfg)}'.")
    return torch.tensor([s.vocab.encode([CLS]) + ids if s.kind == "classify" else ids])


def _pair_tokens(cfg: TaskConfig, text: str) -> list[str]:
    """ "a3 c1 b7 = c" (spaces optional) -> ["a3", "c1", "b7", "=", "c"]; [] for blank text."""
    compact = "".join(text.split())
    if not compact:
        return []
    m = re.fullmatch(r"((?:[a-z][0-9])+)=([a-z])", compact)
    if m is None:
        raise ValueError(f"Write key-value pairs (a letter and a digit), '=' and a key, e.g. '{example(cfg)}'.")
    pairs = m.group(1)
    return [pairs[i : i + 2] for i in range(0, len(pairs), 2)] + ["=", m.group(2)]
