"""The attention playground's run configuration: a sequence task, a tiny Transformer, training in steps.

An `AttentionRunConfig` is what the attention page builds from its widgets and what
`playground.attention.training` reads. Each part checks its own invariants in `__post_init__` and raises
`ValueError` with a message fit to show a user (helpers and round-trips: playground.config).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from playground.attention.tasks import DEFAULT_TASK, TASK_NAMES, TASKS
from playground.config import (
    MAX_SEED,
    Serialisable,
    check,
    check_choice,
    check_early_stopping,
    check_int,
    check_optimisation,
    check_range,
)

TRANSFORMER_ACTIVATIONS = ("relu", "gelu")
POSITIONALS = ("sinusoidal", "learned")
MAX_SEQ_LEN = 128
MAX_VOCAB_SIZE = 26  # algorithmic symbols: 0-9 then a-p; key_value: keys a-z
MAX_TOKENS_PER_STEP = 32_768  # batch_size * seq_len: bounds attention memory on a shared server


@dataclass(frozen=True)
class TaskConfig:
    """A sequence task. All sequences are `seq_len` tokens long (sentiment: at most, padded)."""

    task: str = DEFAULT_TASK  # a name from tasks.TASK_NAMES
    seq_len: int = 8  # tokens per sequence; char_lm: the training window
    vocab_size: int = 10  # algorithmic tasks: distinct symbols (key_value: keys; values are 0-9)
    seed: int = 0  # seeds the training stream; held-out data use a stream derived from it
    text: str = ""  # char_lm only: the user's corpus; empty means the built-in one

    def __post_init__(self) -> None:
        check(isinstance(self.text, str), f"text must be a string; got {type(self.text).__name__}.")
        object.__setattr__(self, "text", self.text.replace("\r\n", "\n").replace("\r", "\n"))
        check_choice("task", self.task, TASK_NAMES)
        check_int("seq_len", self.seq_len, 2, MAX_SEQ_LEN)
        check_int("vocab_size", self.vocab_size, 2, MAX_VOCAB_SIZE)
        check_int("seed", self.seed, 0, MAX_SEED)
        TASKS[self.task].validate(self)  # what the task itself needs (a long enough seq_len, a usable corpus)


@dataclass(frozen=True)
class TransformerConfig:
    """A tiny Transformer: `n_layers` blocks of multi-head self-attention and a feed-forward layer."""

    d_model: int = 64  # width of the residual stream; divisible by n_heads
    n_heads: int = 2  # attention heads per layer; each has d_k = d_model / n_heads
    n_layers: int = 2  # Transformer blocks
    d_ff: int = 128  # hidden width of each feed-forward layer (Vaswani et al. use 4 * d_model)
    activation: str = "relu"  # feed-forward activation: relu or gelu
    positional: str = "sinusoidal"  # sinusoidal (Vaswani et al., 2017) or learned position embeddings
    dropout: float = 0.0  # on attention weights, sub-layer outputs and embeddings during training
    context: int = 64  # the longest sequence the model accepts, in tokens

    def __post_init__(self) -> None:
        check_int("d_model", self.d_model, 16, 256)
        check_int("n_heads", self.n_heads, 1, 8)
        d, h = self.d_model, self.n_heads
        check(d % h == 0, f"d_model ({d}) must be divisible by n_heads ({h}).")
        check_int("n_layers", self.n_layers, 1, 6)
        check_int("d_ff", self.d_ff, 8, 1024)
        check_choice("activation", self.activation, TRANSFORMER_ACTIVATIONS)
        check_choice("positional", self.positional, POSITIONALS)
        check_range("dropout", self.dropout, 0.0, 0.5)
        check_int("context", self.context, 2, 256)


@dataclass(frozen=True)
class AttentionTrainConfig:
    """Optimisation settings for sequence tasks, counted in steps: generated data has no epochs."""

    optimizer: str = "adam"  # sgd, momentum (SGD with momentum 0.9), adam, adamw, rmsprop
    learning_rate: float = 0.003  # step size, 1e-5 to 10
    batch_size: int = 64  # sequences per step
    steps: int = 1000  # optimizer steps
    weight_decay: float = 0.0  # L2 penalty (decoupled for AdamW)
    seed: int = 0  # seeds initialisation and dropout
    device: str = "auto"  # auto picks CUDA, then Apple MPS, then CPU
    eval_every: int = 50  # steps between evaluations (and attention snapshots)
    # Early stopping (Keras's names): it watches a validation split of the training examples, never the test split.
    patience: int = 0  # evaluations without a lower validation loss before the run stops; 0 is off
    restore_best_weights: bool = False  # when patience stops the run, end with the best evaluation's weights
    validation_fraction: float = 0.2  # the validation sample, as a share of the sequences one eval_every block trains
    # on (see attention.training.validation_size), when early stopping is on
    target_metric: float | None = None  # stop once the validation metric reaches this; None is off

    def __post_init__(self) -> None:
        check_optimisation(self)
        check_early_stopping(self)
        check_int("batch_size", self.batch_size, 1, 1024)
        check_int("steps", self.steps, 1, 100_000)
        check_int("eval_every", self.eval_every, 1, 10_000)


@dataclass(frozen=True)
class AttentionRunConfig(Serialisable):
    """Everything one Transformer training run needs."""

    not_shared: ClassVar[frozenset[tuple[str, str]]] = frozenset({("task", "text")})  # a corpus: large, private

    task: TaskConfig = field(default_factory=TaskConfig)
    model: TransformerConfig = field(default_factory=TransformerConfig)
    training: AttentionTrainConfig = field(default_factory=AttentionTrainConfig)

    def __post_init__(self) -> None:
        t, b = self.task.seq_len, self.training.batch_size
        check(t <= self.model.context, f"seq_len ({t}) is longer than the model's context ({self.model.context}).")
        check(t * b <= MAX_TOKENS_PER_STEP, f"batch_size x seq_len ({b} x {t} = {b * t:,} tokens) is over "
                                             f"{MAX_TOKENS_PER_STEP:,} per step; lower one of them.")
