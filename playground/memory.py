"""Estimates of the memory one training run adds to the server, to refuse a run before it starts.

A run's peak is its static memory (weights, gradients, optimizer state, dataset tensors) plus the larger of
a training step's activations and an evaluation's. All tensors are float32 (4 bytes). The terms:

    weights       4 P bytes for P trainable parameters
    gradients     4 P: one gradient per parameter (torch.Tensor.grad)
    optimizer     4 P k: k state tensors per parameter (torch.optim source): SGD 0, SGD with momentum 1
                  (momentum_buffer), RMSprop 1 (square_avg), Adam and AdamW 2 (exp_avg, exp_avg_sq)
    activations   what autograd saves for backward (derivatives.yaml in PyTorch's source says which inputs or
                  outputs each op keeps), per batch item and layer, plus the gradients alive during backward
    attention     the Transformer's attention maps: n_heads * seq_len^2 per layer per sequence; the softmax
                  output is saved, dropout on it keeps a second copy and a 1-byte mask, and a step's forward and
                  backward hold about TRANSIENT_MAPS more of one layer's maps at once
    data          the dataset's tensors: the MLP's features as numpy, torch and both splits joined for evaluation
    overhead      autograd, the allocator and kernels' workspace: a fixed FIXED_OVERHEAD plus OVERHEAD_FACTOR
                  of the rest (both measured, see benchmarks/memory_estimate.py); activations and attention
                  maps made of blocks under MMAP_MAX count HEAP_SLACK more (see `_held`)

The estimate leaves out the process itself (Python, torch, Streamlit: about 430 MB on its own), which the server
pays once, whatever the runs. tests/playground/test_memory.py checks estimates against measured peaks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

from playground.config import REGRESSION_2D, DataConfig, RunConfig, SequenceRunConfig

FLOAT = 4  # bytes per float32
MB = 2**20
OPTIMIZER_STATES = {"sgd": 0, "momentum": 1, "rmsprop": 1, "adam": 2, "adamw": 2}  # state tensors per parameter
# Activations whose backward needs their input, so a layer keeps both its pre-activation and its output;
# ReLU, tanh and sigmoid backward use the output only (PyTorch's derivatives.yaml).
KEEPS_INPUT = {"gelu", "silu", "elu", "leaky_relu"}
TRANSIENT_MAPS = 3  # attention-map-sized tensors alive at once besides the saved ones (scores, their gradients)
# glibc's malloc serves blocks under its mmap threshold (which grows with the blocks freed, up to 32 MB on 64-bit
# systems: mallopt(3)) from its heap and keeps them there when freed, so a step's many mid-sized temporaries leave
# about as much again in the process; larger blocks are mapped and unmapped one by one.
MMAP_MAX = 32 * MB
HEAP_SLACK = 1.0  # measured: a 2 x 512 MLP's step peaked at 84 MB with every block mapped, 189-205 MB without
FIXED_OVERHEAD = 12 * MB  # a first backward pass and optimizer step: autograd's and the allocator's own memory
OVERHEAD_FACTOR = 0.1  # the rest of what the allocator and kernels keep, on top of the tensors
# (rows, features, classes) of scikit-learn's bundled tables (sklearn.datasets.load_*)
TABLE_SHAPES = {"iris": (150, 4, 3), "wine": (178, 13, 3), "breast_cancer": (569, 30, 2), "digits": (1797, 64, 10)}
GRID_POINTS = 60 * 60  # training.GRID_SIZE squared: the decision-boundary grid's points
EVAL_CHUNK = (16, 128)  # sequence_training.eval_chunk: the batch size within these, per evaluation forward pass
HELD_OUT = 512  # tasks.N_HELD_OUT: held-out sequences


@dataclass(frozen=True)
class MemoryEstimate:
    """A run's estimated peak memory above the process's own, in bytes per term (see the module docstring)."""

    weights: int
    gradients: int
    optimizer: int
    activations: int
    attention: int
    data: int
    overhead: int
    lower: str  # the settings that would shrink the largest term, in words, e.g. "batch_size or seq_len"

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self) if f.name != "lower")

    @property
    def mb(self) -> float:
        return self.total / MB


def _held(nbytes: float, block: float) -> int:
    """Bytes the process holds for `nbytes` of short-lived tensors of about `block` bytes each (see MMAP_MAX)."""
    return round(nbytes * (1 + HEAP_SLACK * (block < MMAP_MAX)))


def _finish(params: int, optimizer: str, activations: int, attention: int, data: int,
            lower: str) -> MemoryEstimate:
    weights = FLOAT * params
    state = FLOAT * params * OPTIMIZER_STATES[optimizer]
    tensors = 2 * weights + state + activations + attention + data
    return MemoryEstimate(weights, weights, state, activations, attention, data,
                          FIXED_OVERHEAD + round(OVERHEAD_FACTOR * tensors), lower)


def data_shape(data: DataConfig, table: Any = None) -> tuple[int, int, int]:
    """(rows, features, outputs) of a dataset, without building it. `table` is the uploaded DataFrame for
    "csv": its text columns count one feature per distinct value (they are one-hot encoded); without a table,
    the upload limits bound it. Outputs: classes, or 1 for regression."""
    if data.dataset in TABLE_SHAPES:
        return TABLE_SHAPES[data.dataset]
    if data.dataset != "csv":
        return data.n_samples, 2, 1 if data.dataset in REGRESSION_2D else max(2, data.n_classes)
    from playground.tables import MAX_CATEGORIES, MAX_CLASSES, MAX_COLUMNS, MAX_ROWS

    if table is None:
        return MAX_ROWS, MAX_COLUMNS * MAX_CATEGORIES, MAX_CLASSES
    from pandas.api.types import is_numeric_dtype

    features = [c for c in table.columns if str(c) != data.target and str(c) not in data.ignore]
    width = sum(1 if is_numeric_dtype(table[c]) else min(table[c].nunique(), MAX_CATEGORIES) for c in features)
    return len(table), max(1, width), MAX_CLASSES


def mlp_estimate(config: RunConfig, table: Any = None) -> MemoryEstimate:
    """The peak memory of an MLP run (`table`: the uploaded DataFrame for a "csv" dataset).

    Training step, for a batch of B = min(batch_size, training rows) and hidden widths w_i: each layer keeps its
    output (B w_i floats; with its pre-activation too for KEEPS_INPUT activations, and a dropout output and
    1-byte mask with dropout), and backward holds two more B w_max gradients. Evaluation runs every row (and
    the decision-boundary grid) through the model without gradients: two N w_max tensors at a time.
    """
    rows, n_in, n_out = data_shape(config.data, table)
    m, t = config.model, config.training
    widths = [n_in, *m.hidden_sizes, n_out]
    params = sum((a + 1) * b for a, b in zip(widths, widths[1:], strict=False))
    n_train = rows - math.ceil(rows * config.data.test_fraction)  # train_test_split rounds the test share up
    batch = min(t.batch_size, n_train)
    per_item = sum(w * (1 + (a in KEEPS_INPUT) + 1.25 * (m.dropout > 0))
                   for w, a in zip(m.hidden_sizes, m.activations, strict=True))
    widest = max(widths)
    train = _held(FLOAT * batch * (per_item + 2 * widest + n_in + 2 * n_out), FLOAT * batch * widest)
    evaluated = rows + (GRID_POINTS if n_in == 2 else 0)
    evaluate = _held(FLOAT * 2 * evaluated * widest, FLOAT * evaluated * widest)
    data = FLOAT * rows * (n_in + 1) * 3  # numpy arrays, the torch views of them, the joined splits
    lower = "batch_size or the hidden layers' widths"
    if evaluate > train:
        lower = "the number of samples or the hidden layers' widths"
    if FLOAT * params * (2 + OPTIMIZER_STATES[t.optimizer]) > max(train, evaluate):
        lower = "the hidden layers' widths or their number"
    return _finish(params, t.optimizer, max(train, evaluate), 0, data, lower)


def sequence_sizes(config: SequenceRunConfig) -> tuple[int, int]:
    """(input vocabulary, output classes) of a sequence task, as playground.tasks.spec builds them."""
    task = config.task
    if task.task in ("copy", "reverse", "sort"):
        return task.vocab_size, task.vocab_size
    if task.task == "key_value":
        return 11 * task.vocab_size + 1, 10  # key-digit pairs, "=", the keys; values 0-9
    if task.task == "sentiment":
        return 31, 2  # [PAD], [CLS] and the template words
    from playground.corpus import CORPUS

    symbols = len(set(task.text or CORPUS))
    return symbols, symbols


def transformer_parameters(config: SequenceRunConfig) -> int:
    """Trainable parameters of playground.models.transformer.Transformer for this config."""
    m = config.model
    d, f = m.d_model, m.d_ff
    vocab, outputs = sequence_sizes(config)
    block = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * f + f) + (f * d + d)  # 2 LayerNorms, QKV, W_O, FF
    positions = m.context * d if m.positional == "learned" else 0
    return vocab * d + positions + m.n_layers * block + 2 * d + d * outputs + outputs


def sequence_estimate(config: SequenceRunConfig) -> MemoryEstimate:
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
    _, outputs = sequence_sizes(config)
    dropout = m.dropout > 0
    per_token = layers * (8 * d + 2 * m.d_ff + 2.5 * d * dropout) + 2 * d + 3 * outputs
    maps = h * n * n  # one layer's attention weights for one sequence
    chunk = min(EVAL_CHUNK[1], max(EVAL_CHUNK[0], b), 64 if task.task == "char_lm" else HELD_OUT)  # char_lm: 64
    train_maps = _held(FLOAT * b * maps * (layers * (1 + 1.25 * dropout) + TRANSIENT_MAPS), FLOAT * b * maps)
    eval_maps = _held(FLOAT * chunk * maps * TRANSIENT_MAPS, FLOAT * chunk * maps)  # one layer at a time
    activations = _held(FLOAT * b * n * per_token, FLOAT * b * n * max(d, m.d_ff))
    attention = max(train_maps, eval_maps)
    data = 8 * 2 * HELD_OUT * n  # held-out inputs and targets, int64
    if attention >= activations:
        lower = "seq_len, batch_size or n_heads (attention maps grow with the square of seq_len)"
    else:
        lower = "batch_size, n_layers, d_ff or d_model"
    return _finish(transformer_parameters(config), t.optimizer, activations, attention, data, lower)


def estimate(config: RunConfig | SequenceRunConfig, table: Any = None) -> MemoryEstimate:
    """The estimate for either playground's config (`table`: an MLP run's uploaded DataFrame). TypeError for
    anything else."""
    if isinstance(config, RunConfig):
        return mlp_estimate(config, table)
    if isinstance(config, SequenceRunConfig):
        return sequence_estimate(config)
    raise TypeError(f"No memory estimate for a {type(config).__name__}.")


def over_budget(config: RunConfig | SequenceRunConfig, budget_mb: float, table: Any = None) -> str | None:
    """A message fit to show when the run's estimate is above `budget_mb` megabytes (2^20 bytes), else None.

    It names the estimate, the budget and the settings to lower, and the largest batch_size that would fit
    with the other settings as they are, when a smaller batch is enough."""
    e = estimate(config, table)
    if e.mb <= budget_mb:
        return None
    message = (f"This run would need about {e.mb:,.0f} MB of memory (estimated); this server allows "
               f"{budget_mb:,.0f} MB per run. Lower {e.lower}.")
    fits = largest_batch(config, budget_mb, table)
    return message + (f" A batch_size of at most {fits:,} fits with the other settings as they are." if fits else "")


def largest_batch(config: RunConfig | SequenceRunConfig, budget_mb: float, table: Any = None) -> int | None:
    """The largest batch_size below the config's own whose estimate fits `budget_mb`; None if none does
    (the estimate grows with the batch, so a bisection finds it)."""
    t = config.training
    current = t.batch_size
    if isinstance(config, RunConfig):
        rows, _, _ = data_shape(config.data, table)
        current = min(current, rows - math.ceil(rows * config.data.test_fraction))  # at most the training set

    def fits(b: int) -> bool:
        return estimate(replace(config, training=replace(t, batch_size=b)), table).mb <= budget_mb

    if current <= 1 or not fits(1):
        return None
    low, high = 1, current - 1  # fits(low); find the largest
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return low
