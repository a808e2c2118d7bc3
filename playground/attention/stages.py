"""One head taken apart, and what each head does on the probe: the stages of attention and head statistics.

The stages come from the model's own code (`model.attention_stages`, `model.scale`, `model.apply_mask`): the
trainer keeps the raw scores Q K^T and each head's output of the probe at every evaluation (`AttentionViews`),
and `head_stages` rebuilds the scaled and masked scores from them with the same functions the forward pass uses.
The statistics summarise a head's attention (n_layers, n_heads, T, T) on one input in a few numbers:

- entropy, in nats: the mean over query positions of each row's entropy -sum_j w_ij ln w_ij (0 for a head that
  puts all its weight on one key; ln T for a uniform one);
- a pattern's share: the mean over query positions of the weight on that pattern's key, skipping positions where
  the pattern is undefined. "previous": key i-1 (no previous token at position 0); "self": key i; "first": key 0
  (position 0 is skipped: there the first token is the token itself); "mirror": key T-1-i (the reverse task's
  answer; measured only for tasks that are `mirrored`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from playground.attention.model import apply_mask, scale

PATTERNS = ("previous", "self", "first")  # measured for every task
MIRROR = "mirror"  # measured for mirrored tasks (reverse)


def patterns(mirrored: bool) -> tuple[str, ...]:
    """The pattern names measured for a task: PATTERNS, and MIRROR for a mirrored one."""
    return (*PATTERNS, MIRROR) if mirrored else PATTERNS


def pattern_keys(name: str, t: int) -> tuple[np.ndarray, np.ndarray]:
    """(query positions, key positions) where the pattern `name` is defined, for T = t. Raises ValueError for an
    unknown name."""
    queries = np.arange(t)
    if name == "previous":
        return queries[1:], queries[1:] - 1
    if name == "self":
        return queries, queries
    if name == "first":
        return queries[1:], np.zeros(t - 1, dtype=int)
    if name == MIRROR:
        return queries, t - 1 - queries
    raise ValueError(f"Unknown pattern {name!r}; there are {', '.join((*PATTERNS, MIRROR))}.")


def entropy(attention: np.ndarray) -> np.ndarray:
    """(..., T, T) rows summing to 1 -> (...) the mean over query rows of each row's entropy, in nats (0 ln 0 = 0)."""
    w = np.asarray(attention, dtype=np.float64)
    logs = np.log(np.where(w > 0, w, 1.0))
    return (-(w * logs).sum(-1)).mean(-1)


def shares(attention: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """(..., T, T) -> (len(names), ...) each pattern's share: the mean weight on its key over the query positions
    where it is defined (NaN where it is defined nowhere, as "previous" for T = 1)."""
    w = np.asarray(attention, dtype=np.float64)
    t = w.shape[-1]
    out = []
    for name in names:
        q, k = pattern_keys(name, t)
        out.append(w[..., q, k].mean(-1) if len(q) else np.full(w.shape[:-2], np.nan))
    return np.stack(out)


@dataclass(frozen=True)
class HeadStages:
    """softmax(Q K^T / sqrt(d_k)) V of one head on one input, each stage as float32 numpy arrays."""

    scores: np.ndarray  # (T, T) Q K^T
    scaled: np.ndarray  # (T, T) scores / sqrt(d_k)
    masked: np.ndarray  # (T, T) scaled with -inf where the query may not attend to the key
    weights: np.ndarray  # (T, T) the softmax over keys: the attention the page shows
    out: np.ndarray  # (T, d_k) the head's output, weights @ V
    d_k: int


def head_stages(scores: np.ndarray, mask: np.ndarray | None, weights: np.ndarray, out: np.ndarray) -> HeadStages:
    """One head's stages from its raw scores (T, T), the input's mask ((T, T) bool, True = may attend; None when
    all may), its attention weights (T, T) and output (T, d_k), as kept by the trainer: scaling and masking are the
    model's own functions."""
    d_k = out.shape[-1]
    scaled = scale(torch.as_tensor(scores), d_k)
    masked = apply_mask(scaled, None if mask is None else torch.as_tensor(mask))
    return HeadStages(np.asarray(scores, np.float32), scaled.numpy().astype(np.float32),
                      masked.numpy().astype(np.float32), np.asarray(weights, np.float32), np.asarray(out, np.float32),
                      d_k)


def formula(d_model: int, n_heads: int, t: int, causal: bool) -> str:
    """The caption of the stages: the formula with this model's sizes."""
    d_k = d_model // n_heads
    mask = " + M (causal mask: -∞ above the diagonal)" if causal else ""
    return (f"head = softmax(Q Kᵀ / √d_k{mask}) V with d_model = {d_model}, n_heads = {n_heads}, "
            f"d_k = d_model / n_heads = {d_k}: Q, K, V are {t} × {d_k}, the scores {t} × {t}, "
            f"1/√d_k = {1 / np.sqrt(d_k):.3f}.")
