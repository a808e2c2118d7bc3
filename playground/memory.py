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
pays once, whatever the runs. Each playground estimates its own runs (`playground/<playground>/memory.py`, named
in playground.kinds); tests/playground/{mlp,attention}/test_memory.py check estimates against measured peaks.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Protocol

FLOAT = 4  # bytes per float32
MB = 2**20
OPTIMIZER_STATES = {"sgd": 0, "momentum": 1, "rmsprop": 1, "adam": 2, "adamw": 2}  # state tensors per parameter
# glibc's malloc serves blocks under its mmap threshold (which grows with the blocks freed, up to 32 MB on 64-bit
# systems: mallopt(3)) from its heap and keeps them there when freed, so a step's many mid-sized temporaries leave
# about as much again in the process; larger blocks are mapped and unmapped one by one.
MMAP_MAX = 32 * MB
HEAP_SLACK = 1.0  # measured: a 2 x 512 MLP's step peaked at 84 MB with every block mapped, 189-205 MB without
FIXED_OVERHEAD = 12 * MB  # a first backward pass and optimizer step: autograd's and the allocator's own memory
OVERHEAD_FACTOR = 0.1  # the rest of what the allocator and kernels keep, on top of the tensors


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


def held(nbytes: float, block: float) -> int:
    """Bytes the process holds for `nbytes` of short-lived tensors of about `block` bytes each (see MMAP_MAX)."""
    return round(nbytes * (1 + HEAP_SLACK * (block < MMAP_MAX)))


def finish(params: int, optimizer: str, activations: int, attention: int, data: int,
           lower: str) -> MemoryEstimate:
    """The estimate from a run's parameter count, optimizer, activations, attention maps and data (bytes each);
    weights, gradients, optimizer state and the overhead follow from them."""
    weights = FLOAT * params
    state = FLOAT * params * OPTIMIZER_STATES[optimizer]
    tensors = 2 * weights + state + activations + attention + data
    return MemoryEstimate(weights, weights, state, activations, attention, data,
                          FIXED_OVERHEAD + round(OVERHEAD_FACTOR * tensors), lower)


class Estimator(Protocol):
    """A playground's memory module (named by playground.kinds): its runs' estimates."""

    def estimate(self, config: Any, table: Any = None) -> MemoryEstimate: ...

    def batch_cap(self, config: Any, table: Any = None) -> int:
        """The largest batch a step of this config can use (an MLP's is its training set)."""
        ...


def _estimator(config: Any) -> Estimator | None:
    from playground import kinds  # the table of playgrounds, which imports this module's users

    kind = kinds.find(config)
    return kind.memory() if kind is not None else None


def estimate(config: Any, table: Any = None) -> MemoryEstimate:
    """The estimate for any playground's config (`table`: an MLP run's uploaded DataFrame). TypeError for a
    config no playground owns."""
    estimator = _estimator(config)
    if estimator is None:
        raise TypeError(f"No memory estimate for a {type(config).__name__}.")
    return estimator.estimate(config, table)


def over_budget(config: Any, budget_mb: float, table: Any = None) -> str | None:
    """A message fit to show when the run's estimate is above `budget_mb` megabytes (2^20 bytes), else None.

    It names the estimate, the budget and the settings to lower, and the largest batch_size that would fit
    with the other settings as they are, when a smaller batch is enough. None too for a config no playground owns
    (a test's stand-in)."""
    if _estimator(config) is None:
        return None
    e = estimate(config, table)
    if e.mb <= budget_mb:
        return None
    message = (f"This run would need about {e.mb:,.0f} MB of memory (estimated); this server allows "
               f"{budget_mb:,.0f} MB per run. Lower {e.lower}.")
    fits = largest_batch(config, budget_mb, table)
    return message + (f" A batch_size of at most {fits:,} fits with the other settings as they are." if fits else "")


def largest_batch(config: Any, budget_mb: float, table: Any = None) -> int | None:
    """The largest batch_size below the config's own whose estimate fits `budget_mb`; None if none does
    (the estimate grows with the batch, so a bisection finds it)."""
    t = config.training
    current = min(t.batch_size, _estimator(config).batch_cap(config, table))

    def fits(b: int) -> bool:
        return estimate(replace(config, training=replace(t, batch_size=b)), table).mb <= budget_mb

    if current <= 1 or not fits(1):
        return None
    low, high = 1, current - 1  # fits(low); find the largest
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return low
