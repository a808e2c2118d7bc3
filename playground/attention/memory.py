"""Estimates of a Transformer run's peak memory (see playground.memory for the terms and how they were measured)."""

from __future__ import annotations

from typing import Any

from playground.attention import tasks
from playground.attention.config import AttentionRunConfig
from playground.memory import FLOAT, MemoryEstimate, finish, held

TRANSIENT_MAPS = 3  # attention-map-sized tensors alive at once besides the saved ones (scores, their gradients)
EVAL_CHUNK = (16, 128)  # training.eval_chunk: the batch size within these, per evaluation forward pass
HELD_OUT = 512  # tasks.N_HELD_OUT: held-out sequences


def sizes(config: AttentionRunConfig) -> tuple[int, int]:
    """(input vocabulary, output classes) of the config's task, from its spec (vocabularies only, no model)."""
    s = tasks.spec(config.task)
    return len(s.vocab), len(s.outputs)


def transformer_parameters(config: AttentionRunConfig) -> int:
    """Trainable parameters of playground.attention.model.Transformer for this config."""
    m = config.model
    d, f = m.d_model, m.d_ff
    vocab, outputs = sizes(config)
    block = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * f + f) + (f * d + d)  # 2 LayerNorms, QKV, W_O, FF
    positions = m.context * d if m.positional == "learned" else 0
    return vocab * d + positions + m.n_layers * block + 2 * d + d * outputs + outputs


def estimate(config: AttentionRunConfig, table: Any = None) -> MemoryEstimate:
    """The peak memory of a Transformer run.

    Per token and layer a step keeps 8 d_model + 2 d_ff floats (the LayerNorms' inputs and outputs, Q, K and V,
    the heads joined, the feed-forward's hidden layer before and after its activation), plus 2.5 d_model with
    dropout; per sequence and layer, n_heads seq_len^2 attention weights (2.25 times that with dropout), and
    TRANSIENT_MAPS more of one layer's maps at once. The logits (B, T, outputs) are kept with their log-softmax
    and gradient. An evaluation runs a batch's worth of sequences (see EVAL_CHUNK) without gradients, one
    layer's maps at a time.
    """
    m, t, task = config.model, config.training, config.task
    b, n, d, h, layers = t.batch_size, task.seq_len, m.d_model, m.n_heads, m.n_layers
    _, outputs = sizes(config)
    dropout = m.dropout > 0
    per_token = layers * (8 * d + 2 * m.d_ff + 2.5 * d * dropout) + 2 * d + 3 * outputs
    maps = h * n * n  # one layer's attention weights for one sequence
    held_out = tasks.task_of(task).n_held_out  # sequences held out (char_lm: windows)
    chunk = min(EVAL_CHUNK[1], max(EVAL_CHUNK[0], b), held_out)
    train_maps = held(FLOAT * b * maps * (layers * (1 + 1.25 * dropout) + TRANSIENT_MAPS), FLOAT * b * maps)
    eval_maps = held(FLOAT * chunk * maps * TRANSIENT_MAPS, FLOAT * chunk * maps)  # one layer at a time
    activations = held(FLOAT * b * n * per_token, FLOAT * b * n * max(d, m.d_ff))
    attention = max(train_maps, eval_maps)
    data = 8 * 2 * HELD_OUT * n  # held-out inputs and targets, int64
    if attention >= activations:
        lower = "seq_len, batch_size or n_heads (attention maps grow with the square of seq_len)"
    else:
        lower = "batch_size, n_layers, d_ff or d_model"
    return finish(transformer_parameters(config), t.optimizer, activations, attention, data, lower)


def batch_cap(config: AttentionRunConfig, table: Any = None) -> int:
    """Generated data has no set size: the config's own batch."""
    return config.training.batch_size
