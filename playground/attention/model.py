"""A tiny Transformer written out so every part can be shown, attention weights above all.

Token embedding + positional encoding -> `n_layers` pre-norm blocks -> final LayerNorm -> a head.
Each block is x + Dropout(MHSA(LN(x))) then x + Dropout(FF(LN(x))): the pre-norm arrangement
(Xiong et al., 2020, "On Layer Normalization in the Transformer Architecture"), which trains without
learning-rate warm-up, unlike the post-norm original (Vaswani et al., 2017, "Attention Is All You
Need"). Attention is softmax(Q K^T / sqrt(d_k)) V with explicit scores and masks, so `forward` can
return every layer's weights, taken after the softmax and before dropout.

Two forms: an encoder (bidirectional; padding positions are masked as keys) and a causal decoder
(position i sees positions <= i). Two heads: "tag" gives logits per position (B, T, n_outputs);
"cls" gives logits from position 0, a [CLS] token (Devlin et al., 2019), shape (B, n_outputs).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from playground.attention.config import TransformerConfig

ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "gelu": nn.GELU}
HEADS = ("tag", "cls")


class Stages(NamedTuple):
    """Each stage of softmax(Q K^T / sqrt(d_k)) V for a batch of heads, in the order they are computed."""

    scores: torch.Tensor  # (..., T, T) Q K^T, raw
    scaled: torch.Tensor  # (..., T, T) scores / sqrt(d_k)
    masked: torch.Tensor  # (..., T, T) scaled, -inf where a query may not attend to a key
    weights: torch.Tensor  # (..., T, T) softmax of masked over keys: rows sum to 1
    out: torch.Tensor  # (..., T, d_k) weights @ V (dropout applied to the weights first when training)


def scale(scores: torch.Tensor, d_k: int) -> torch.Tensor:
    """Q K^T / sqrt(d_k): keeps the scores' variance near 1 for unit-variance q and k (Vaswani et al., 2017, 3.2.1)."""
    return scores / math.sqrt(d_k)


def apply_mask(scaled: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """-inf where `mask` (bool, broadcastable, True = may attend) is False, so softmax gives those keys 0."""
    return scaled if mask is None else scaled.masked_fill(~mask, float("-inf"))


def attention_stages(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None,
    dropout: nn.Module | None = None,
) -> Stages:
    """softmax(Q K^T / sqrt(d_k)) V stage by stage (see `scaled_dot_product_attention` for shapes)."""
    scores = q @ k.transpose(-2, -1)  # (..., T_q, T_k)
    scaled = scale(scores, q.shape[-1])
    masked = apply_mask(scaled, mask)
    weights = masked.softmax(dim=-1)  # (..., T_q, T_k)
    out = (dropout(weights) if dropout is not None else weights) @ v  # (..., T_q, d_k)
    return Stages(scores, scaled, masked, weights, out)


def scaled_dot_product_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None,
    dropout: nn.Module | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(Q K^T / sqrt(d_k)) V (Vaswani et al., 2017, eq. 1), returning output and weights.

    q, k, v: (..., T, d_k). mask: bool, broadcastable to (..., T, T), True where a query may attend
    to a key. Returns out (..., T, d_k) and the weights (..., T, T), rows summing to 1, taken before
    `dropout` (applied to the weights for the output only). Every query must be allowed at least one
    key, or its row is NaN. The same code as `attention_stages`, keeping only what training needs.
    """
    s = attention_stages(q, k, v, mask, dropout)
    return s.out, s.weights


def sinusoidal_positions(n_positions: int, d_model: int) -> torch.Tensor:
    """PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(...) (Vaswani et al., 2017, 3.5).

    Returns (n_positions, d_model) float32. An odd d_model drops the last cosine column.
    """
    pos = torch.arange(n_positions, dtype=torch.float32)[:, None]  # (P, 1)
    freq = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))
    pe = torch.zeros(n_positions, d_model)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq)[:, : d_model // 2]
    return pe


class MultiHeadSelfAttention(nn.Module):
    """n_heads parallel attention heads of width d_k = d_model / n_heads, concatenated and projected."""

    def __init__(self, d_model: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.n_heads, self.d_k = n_heads, d_model // n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)  # W_Q, W_K, W_V for all heads in one matrix
        self.out = nn.Linear(d_model, d_model)  # W_O
        self.dropout = nn.Dropout(dropout)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None, capture: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | Stages]:
        """x (B, T, d_model), mask bool broadcastable to (B, H, T, T) -> (B, T, d_model), weights (B, H, T, T);
        with `capture`, every stage (`Stages`, each (B, H, T, T) or (B, H, T, d_k)) in place of the weights."""
        b, t, d = x.shape
        qkv = self.qkv(x).view(b, t, 3, self.n_heads, self.d_k)  # (B, T, 3, H, d_k)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (B, H, T, d_k)
        if capture:
            stages = attention_stages(q, k, v, mask, self.dropout)
            heads, maps = stages.out, stages
        else:
            heads, maps = scaled_dot_product_attention(q, k, v, mask, self.dropout)  # (B, H, T, d_k), (B, H, T, T)
        return self.out(heads.transpose(1, 2).reshape(b, t, d)), maps


class Block(nn.Module):
    """One pre-norm Transformer block: self-attention then a position-wise feed-forward layer."""

    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.attn = MultiHeadSelfAttention(cfg.d_model, cfg.n_heads, cfg.dropout)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.ff = nn.Sequential(
            nn.Linear(cfg.d_model, cfg.d_ff), ACTIVATIONS[cfg.activation](), nn.Linear(cfg.d_ff, cfg.d_model)
        )
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None, capture: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | Stages]:
        """x (B, T, d_model) -> (B, T, d_model), attention weights (B, H, T, T) (or `Stages` with `capture`)."""
        a, weights = self.attn(self.ln1(x), mask, capture)
        x = x + self.dropout(a)
        x = x + self.dropout(self.ff(self.ln2(x)))
        return x, weights


class Transformer(nn.Module):
    """A tiny Transformer over token ids.

    vocab_size: input token ids are 0..vocab_size-1. n_outputs: classes of the head. causal: the
    decoder form (no padding then). head: "tag" or "cls". pad_id: the id whose positions are masked
    as keys in the encoder form (None: nothing is padding).
    """

    def __init__(
        self, vocab_size: int, n_outputs: int, cfg: TransformerConfig, *,
        causal: bool = False, head: str = "tag", pad_id: int | None = None,
    ) -> None:
        super().__init__()
        if head not in HEADS:
            raise ValueError(f"head must be one of {', '.join(HEADS)}; got {head!r}.")
        self.cfg, self.causal, self.head_kind, self.pad_id = cfg, causal, head, pad_id
        self.embed = nn.Embedding(vocab_size, cfg.d_model)
        if cfg.positional == "learned":
            self.positions = nn.Parameter(torch.randn(cfg.context, cfg.d_model) * 0.02)
        else:  # fixed, so not saved with the weights
            self.register_buffer("positions", sinusoidal_positions(cfg.context, cfg.d_model), persistent=False)
        self.dropout = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, n_outputs)

    def mask(self, tokens: torch.Tensor) -> torch.Tensor | None:
        """Bool (1 or B, 1, T, T), True where query i may attend to key j; None when all may."""
        t = tokens.shape[1]
        if self.causal:
            return torch.ones(t, t, dtype=torch.bool, device=tokens.device).tril()[None, None]  # (1, 1, T, T)
        if self.pad_id is None:
            return None
        keys = tokens != self.pad_id  # (B, T)
        return keys[:, None, None, :].expand(-1, 1, t, -1)  # (B, 1, T, T): padding is never a key

    def forward(
        self, tokens: torch.Tensor, return_attention: bool = False, return_stages: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]] | tuple[torch.Tensor, list[Stages]]:
        """tokens (B, T) long, T <= context -> logits (B, T, n_outputs) for "tag", (B, n_outputs) for "cls".

        With return_attention, also a list of n_layers tensors (B, n_heads, T, T); with return_stages, a list of
        n_layers `Stages` instead (every stage of every head, from the same code). Raises ValueError when T
        exceeds the context.
        """
        t = tokens.shape[1]
        if t > self.cfg.context:
            raise ValueError(f"The sequence has {t} tokens; this model's context is {self.cfg.context}.")
        mask = self.mask(tokens)
        x = self.dropout(self.embed(tokens) + self.positions[:t])  # (B, T, d_model)
        attention = []
        for block in self.blocks:
            x, weights = block(x, mask, return_stages)  # (B, T, d_model), (B, H, T, T) or Stages
            if return_attention or return_stages:  # else a no-grad pass frees each layer's maps before the next's
                attention.append(weights)
        x = self.ln_f(x)
        logits = self.head(x if self.head_kind == "tag" else x[:, 0])  # (B, T, n_out) or (B, n_out)
        return (logits, attention) if return_attention or return_stages else logits
