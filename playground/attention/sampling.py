"""How a language model's next-token distribution is reshaped before a draw: temperature, top-k and top-p.

One function, `adjusted`, used both to sample text (playground.attention.inference.sample) and to show the
distribution before and after the settings (`next_char`), so the bars show exactly what the draw uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

MAX_TEMPERATURE = 5.0


def check_settings(temperature: float, top_k: int, top_p: float, n_vocab: int) -> None:
    """Raise ValueError, fit to show, for a temperature outside [0, 5], top_k outside [0, n_vocab] or top_p
    outside (0, 1]."""
    if not 0 <= temperature <= MAX_TEMPERATURE:
        raise ValueError(f"temperature must be between 0 and {MAX_TEMPERATURE:g}; got {temperature!r}.")
    if not (isinstance(top_k, int) and 0 <= top_k <= n_vocab):
        raise ValueError(f"top_k must be between 0 (all) and {n_vocab}; got {top_k!r}.")
    if not 0 < top_p <= 1:
        raise ValueError(f"top_p must be above 0 and at most 1 (1 keeps all); got {top_p!r}.")


def adjusted(logits: torch.Tensor, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0) -> torch.Tensor:
    """logits (C,) -> the probabilities (C,) a draw uses, float32, summing to 1.

    temperature 0 puts all the mass on the most likely token (greedy); otherwise the logits are divided by it.
    top_k > 0 keeps the k largest (Fan et al., 2018); top_p < 1 then keeps the smallest set of most likely tokens
    whose probabilities sum to at least top_p, the nucleus (Holtzman et al., 2020), always at least one.
    """
    logits = logits.float()
    if temperature == 0:
        return torch.nn.functional.one_hot(logits.argmax(), len(logits)).float()
    logits = logits / temperature
    if 0 < top_k < len(logits):
        logits = logits.masked_fill(logits < logits.topk(top_k).values[-1], float("-inf"))
    probs = logits.softmax(-1)
    if top_p < 1:
        ranked, order = probs.sort(descending=True)
        before = ranked.cumsum(-1) - ranked  # the mass of the tokens ranked above each one
        drop = order[before >= top_p]  # a token is kept while the ones above it hold less than top_p
        probs = probs.index_fill(0, drop, 0.0)
        probs = probs / probs.sum()
    return probs


@dataclass(frozen=True)
class NextChar:
    """The next-character distribution after a prompt, as the model gives it and as a draw would use it."""

    chars: list[str]  # (C,) the characters, as displayed
    model: np.ndarray  # (C,) float32 softmax of the logits (temperature 1, nothing cut)
    draw: np.ndarray  # (C,) float32 after temperature, top-k and top-p


@torch.no_grad()
def next_char(model: torch.nn.Module, ids: torch.Tensor, chars: list[str], temperature: float, top_k: int,
              top_p: float) -> NextChar:
    """The distribution after `ids` ((1, T) ids, T within the model's context) from a causal model."""
    logits = model(ids)[0, -1].float().cpu()  # (C,)
    return NextChar(chars, logits.softmax(-1).numpy(), adjusted(logits, temperature, top_k, top_p).numpy())
