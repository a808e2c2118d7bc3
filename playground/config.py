"""Run configuration: frozen, validated dataclasses for data, model and training settings.

A `RunConfig` is what a page builds from its widgets and what the trainer reads. Each part checks its
own invariants in `__post_init__` and raises `ValueError` with a message fit to show a user. Configs
hold names (dataset, activation, optimizer); registries elsewhere map names to code.

Round-trips: `to_dict` / `from_dict` (and `to_json` / `from_json`) are derived from the fields, so a
new field needs no serialisation code.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any, TypeVar

# Names the registries in data.py, models/ and training.py must provide. Kept here so validation
# does not need to import torch or scikit-learn.
CLASSIFICATION_2D = ("moons", "circles", "blobs", "xor", "spiral", "gaussian")
REGRESSION_2D = ("plane", "ripple")
TABULAR = ("iris", "wine", "breast_cancer", "digits")
DATASETS = CLASSIFICATION_2D + REGRESSION_2D + TABULAR + ("csv",)
TASKS = ("auto", "classification", "regression")
ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "silu", "tanh", "sigmoid", "identity")
INITS = ("default", "xavier", "kaiming")
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw", "rmsprop")
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "SGD with momentum 0.9", "adam": "Adam", "adamw": "AdamW",
                    "rmsprop": "RMSprop"}  # how pages and messages name them
DEVICES = ("auto", "cpu", "cuda", "mps")

MAX_HIDDEN_LAYERS = 8
MAX_WIDTH = 512
MIN_LEARNING_RATE = 1e-5
MAX_LEARNING_RATE = 10.0
MAX_SAMPLES = 10_000
MAX_EPOCHS = 10_000
MAX_BATCH_SIZE = 100_000


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    _check(value in choices, f"{name} must be one of {', '.join(choices)}; got {value!r}.")


def _check_range(name: str, value: float, low: float, high: float) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    _check(ok and low <= value <= high, f"{name} must be between {_number(low)} and {_number(high)}; got {value!r}.")


def _number(v: float) -> str:
    """1,000,000 for whole numbers (not 1e+06), 0.001 or 1e-05 otherwise."""
    return f"{int(v):,}" if float(v).is_integer() and abs(v) < 1e15 else f"{v:g}"


def _check_int(name: str, value: int, low: int, high: int) -> None:
    _check(isinstance(value, int) and not isinstance(value, bool), f"{name} must be a whole number; got {value!r}.")
    _check_range(name, value, low, high)


@dataclass(frozen=True)
class DataConfig:
    """Which dataset to build and how. Sizes are sample counts; `noise` is in feature units."""

    dataset: str = "moons"  # a name from DATASETS; "csv" means the user's uploaded table
    n_samples: int = 1000  # generated 2-D sets only; bundled and CSV sets use all their rows
    noise: float = 0.2  # std of Gaussian noise added to generated points
    n_classes: int = 3  # blobs / gaussian: classes; spiral: arms
    test_fraction: float = 0.2  # share of rows held out for testing (stratified for classes)
    seed: int = 0  # seeds generation and the train/test split
    target: str = ""  # csv only: the target column's name
    task: str = "auto"  # csv only: auto infers classification or regression from the target
    ignore: tuple[str, ...] = ()  # csv only: columns left out of the features (an id, a leak of the target)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ignore", tuple(str(c) for c in self.ignore))  # round-trips give lists
        _check(self.target not in self.ignore, f"The target column {self.target!r} can't also be left out.")
        _check_choice("dataset", self.dataset, DATASETS)
        _check_int("n_samples", self.n_samples, 20, MAX_SAMPLES)
        _check_range("noise", self.noise, 0.0, 2.0)
        _check_int("n_classes", self.n_classes, 2, 5)
        _check_range("test_fraction", self.test_fraction, 0.05, 0.5)
        _check_int("seed", self.seed, 0, 2**31 - 1)
        _check_choice("task", self.task, TASKS)
        _check(self.dataset != "csv" or bool(self.target), "A CSV dataset needs a target column.")


@dataclass(frozen=True)
class MLPConfig:
    """A multilayer perceptron: one width and one activation per hidden layer."""

    hidden_sizes: tuple[int, ...] = (16, 16)  # widths of the hidden layers, input to output
    activations: tuple[str, ...] = ("relu", "relu")  # one per hidden layer
    dropout: float = 0.0  # dropout probability after each hidden activation
    init: str = "default"  # weight initialisation: PyTorch's default, Xavier/Glorot or Kaiming/He

    def __post_init__(self) -> None:
        # JSON and URL round-trips give lists; store tuples so the config stays hashable.
        object.__setattr__(self, "hidden_sizes", tuple(self.hidden_sizes))
        object.__setattr__(self, "activations", tuple(self.activations))
        n = len(self.hidden_sizes)
        _check(n <= MAX_HIDDEN_LAYERS, f"An MLP has at most {MAX_HIDDEN_LAYERS} hidden layers; got {n}.")
        # Each field's own limits before the pairing: a link's width of 9999 is refused for its size, not for
        # disagreeing with the default activations' count (share._drop_one reports the first error).
        for i, width in enumerate(self.hidden_sizes):
            _check_int(f"width of hidden layer {i + 1}", width, 1, MAX_WIDTH)
        for a in self.activations:
            _check_choice("activation", a, ACTIVATIONS)
        n_act = len(self.activations)
        _check(n_act == n, f"Give one activation per hidden layer: {n} hidden layer{'s' * (n != 1)}, {n_act} "
                           f"activation{'s' * (n_act != 1)}.")
        _check_range("dropout", self.dropout, 0.0, 0.9)
        _check_choice("init", self.init, INITS)


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings. `batch_size` above the training-set size means full-batch."""

    optimizer: str = "adam"  # sgd, momentum (SGD with momentum 0.9), adam, adamw, rmsprop
    learning_rate: float = 0.01  # step size, 1e-5 to 10
    batch_size: int = 32  # examples per step; capped at the training-set size
    epochs: int = 100  # passes over the training set
    weight_decay: float = 0.0  # L2 penalty (decoupled for AdamW)
    seed: int = 0  # seeds initialisation, shuffling and dropout
    device: str = "auto"  # auto picks CUDA, then Apple MPS, then CPU

    def __post_init__(self) -> None:
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_range("learning_rate", self.learning_rate, MIN_LEARNING_RATE, MAX_LEARNING_RATE)
        _check_int("batch_size", self.batch_size, 1, MAX_BATCH_SIZE)
        _check_int("epochs", self.epochs, 1, MAX_EPOCHS)
        _check_range("weight_decay", self.weight_decay, 0.0, 1.0)
        _check_int("seed", self.seed, 0, 2**31 - 1)
        _check_choice("device", self.device, DEVICES)


@dataclass(frozen=True)
class RunConfig:
    """Everything one MLP training run needs, apart from an uploaded table."""

    data: DataConfig = field(default_factory=DataConfig)
    model: MLPConfig = field(default_factory=MLPConfig)
    training: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        return from_dict(cls, d)

    @classmethod
    def from_json(cls, text: str) -> RunConfig:
        """Parse JSON text. Raises ValueError for bad JSON, unknown keys or out-of-bounds values."""
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"Not valid JSON: {e}") from None
        return cls.from_dict(d)


T = TypeVar("T")


def to_dict(obj: Any) -> dict[str, Any]:
    """A nested dict of plain JSON values (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(obj)))


def from_dict(cls: type[T], d: Any) -> T:
    """Build dataclass `cls` from a nested dict. Missing keys take defaults.

    Raises ValueError for unknown keys or invalid values.
    """
    _check(isinstance(d, dict), f"{cls.__name__} settings must be an object; got {type(d).__name__}.")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(d) - set(fields))
    _check(not unknown, f"Unknown {cls.__name__} settings: {', '.join(unknown)}.")
    kwargs = {}
    hints = {f.name: f.type for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for name, value in d.items():
        sub = _dataclass_for(cls, hints[name])
        kwargs[name] = from_dict(sub, value) if sub is not None else value
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ValueError(str(e)) from None


def _dataclass_for(owner: type, hint: Any) -> type | None:
    """The dataclass named by a field's (string) annotation, or None for plain values."""
    if isinstance(hint, str):
        module = __import__(owner.__module__, fromlist=["_"])
        hint = getattr(module, hint, None)
    return hint if dataclasses.is_dataclass(hint) else None


# --- Sequence tasks and the tiny Transformer (the attention playground) ---

SEQUENCE_TASKS = ("copy", "reverse", "sort", "key_value", "sentiment", "char_lm")
ALGORITHMIC_TASKS = ("copy", "reverse", "sort", "key_value")
TRANSFORMER_ACTIVATIONS = ("relu", "gelu")
POSITIONALS = ("sinusoidal", "learned")
MAX_SEQ_LEN = 128
MAX_VOCAB_SIZE = 26  # algorithmic symbols: 0-9 then a-p; key_value: keys a-z
SENTIMENT_MAX_TOKENS = 14  # [CLS] plus the longest template sentence in tasks.py
MAX_TEXT_CHARS = 100_000
MAX_TEXT_SYMBOLS = 200  # distinct characters a character language model may use
MAX_TOKENS_PER_STEP = 32_768  # batch_size * seq_len: bounds attention memory on a shared server


def _check_text(text: str, seq_len: int) -> None:
    """A user's corpus must be plain text: bounded, long enough to hold out a tenth, not binary."""
    n, need, distinct = len(text), 10 * (seq_len + 1), len(set(text))
    _check(n <= MAX_TEXT_CHARS, f"The text is too long: {n:,} characters; at most {MAX_TEXT_CHARS:,}.")
    _check(n >= need, f"The text is too short: {n:,} character{'s' * (n != 1)}; seq_len {seq_len} needs at least "
                      f"{need:,} (a tenth is held out for validation).")
    bad = next((c for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0), None)
    _check(bad is None, f"The text contains the control character {bad!r}: is it a binary file? Use plain text.")
    _check(distinct <= MAX_TEXT_SYMBOLS, f"The text uses {distinct} distinct characters; at most {MAX_TEXT_SYMBOLS}.")


@dataclass(frozen=True)
class TaskConfig:
    """A sequence task. All sequences are `seq_len` tokens long (sentiment: at most, padded)."""

    task: str = "reverse"  # a name from SEQUENCE_TASKS
    seq_len: int = 8  # tokens per sequence; char_lm: the training window
    vocab_size: int = 10  # algorithmic tasks: distinct symbols (key_value: keys; values are 0-9)
    seed: int = 0  # seeds the training stream; held-out data use a stream derived from it
    text: str = ""  # char_lm only: the user's corpus; empty means the built-in one

    def __post_init__(self) -> None:
        _check(isinstance(self.text, str), f"text must be a string; got {type(self.text).__name__}.")
        object.__setattr__(self, "text", self.text.replace("\r\n", "\n").replace("\r", "\n"))
        _check_choice("task", self.task, SEQUENCE_TASKS)
        _check_int("seq_len", self.seq_len, 2, MAX_SEQ_LEN)
        _check_int("vocab_size", self.vocab_size, 2, MAX_VOCAB_SIZE)
        _check_int("seed", self.seed, 0, 2**31 - 1)
        if self.task == "key_value":
            pairs = self.seq_len - 2
            _check(1 <= pairs <= self.vocab_size, f"key_value with seq_len {self.seq_len} has {pairs} key-value pairs "
                   f"(plus '=' and the query) and needs 1 to vocab_size ({self.vocab_size}) distinct keys.")
        if self.task == "sentiment":
            _check(self.seq_len >= SENTIMENT_MAX_TOKENS,
                   f"sentiment sentences need seq_len of at least {SENTIMENT_MAX_TOKENS}; got {self.seq_len}.")
        if self.task == "char_lm" and self.text:
            _check_text(self.text, self.seq_len)


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
        _check_int("d_model", self.d_model, 16, 256)
        _check_int("n_heads", self.n_heads, 1, 8)
        d, h = self.d_model, self.n_heads
        _check(d % h == 0, f"d_model ({d}) must be divisible by n_heads ({h}).")
        _check_int("n_layers", self.n_layers, 1, 6)
        _check_int("d_ff", self.d_ff, 8, 1024)
        _check_choice("activation", self.activation, TRANSFORMER_ACTIVATIONS)
        _check_choice("positional", self.positional, POSITIONALS)
        _check_range("dropout", self.dropout, 0.0, 0.5)
        _check_int("context", self.context, 2, 256)


@dataclass(frozen=True)
class SequenceTrainConfig:
    """Optimisation settings for sequence tasks, counted in steps: generated data has no epochs."""

    optimizer: str = "adam"  # as TrainConfig
    learning_rate: float = 0.003  # step size, 1e-5 to 10
    batch_size: int = 64  # sequences per step
    steps: int = 1000  # optimizer steps
    weight_decay: float = 0.0  # L2 penalty (decoupled for AdamW)
    seed: int = 0  # seeds initialisation and dropout
    device: str = "auto"  # auto picks CUDA, then Apple MPS, then CPU
    eval_every: int = 50  # steps between evaluations (and attention snapshots)

    def __post_init__(self) -> None:
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_range("learning_rate", self.learning_rate, MIN_LEARNING_RATE, MAX_LEARNING_RATE)
        _check_int("batch_size", self.batch_size, 1, 1024)
        _check_int("steps", self.steps, 1, 100_000)
        _check_range("weight_decay", self.weight_decay, 0.0, 1.0)
        _check_int("seed", self.seed, 0, 2**31 - 1)
        _check_choice("device", self.device, DEVICES)
        _check_int("eval_every", self.eval_every, 1, 10_000)


@dataclass(frozen=True)
class SequenceRunConfig:
    """Everything one Transformer training run needs. Not a `RunConfig` subclass: jobs dispatch on type."""

    task: TaskConfig = field(default_factory=TaskConfig)
    model: TransformerConfig = field(default_factory=TransformerConfig)
    training: SequenceTrainConfig = field(default_factory=SequenceTrainConfig)

    def __post_init__(self) -> None:
        t, b = self.task.seq_len, self.training.batch_size
        _check(t <= self.model.context, f"seq_len ({t}) is longer than the model's context ({self.model.context}).")
        _check(t * b <= MAX_TOKENS_PER_STEP, f"batch_size x seq_len ({b} x {t} = {b * t:,} tokens) is over "
                                             f"{MAX_TOKENS_PER_STEP:,} per step; lower one of them.")

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SequenceRunConfig:
        return from_dict(cls, d)

    @classmethod
    def from_json(cls, text: str) -> SequenceRunConfig:
        """Parse JSON text. Raises ValueError for bad JSON, unknown keys or out-of-bounds values."""
        return RunConfig.from_json.__func__(cls, text)  # the same parsing, building this class
