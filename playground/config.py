"""Config helpers both playgrounds share: checks, a serialisable base, and the optimisation settings.

A playground's config is a frozen dataclass made of small parts (data or task, model, training). Each part
checks its own invariants in `__post_init__` with the `check*` helpers, which raise `ValueError` with a
message fit to show a user. Configs hold names (dataset, activation, optimizer); registries elsewhere map
names to code.

Round-trips: `Serialisable.to_dict` / `from_dict` (and `to_json` / `from_json`) are derived from the
fields, so a new field needs no serialisation code.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any, ClassVar, Self, TypeVar

# Optimisation settings both playgrounds offer (the optimizer registry is playground.torchkit.OPTIMIZERS).
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw", "rmsprop")
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "SGD with momentum 0.9", "adam": "Adam", "adamw": "AdamW",
                    "rmsprop": "RMSprop"}  # how pages and messages name them
DEVICES = ("auto", "cpu", "cuda", "mps")
MIN_LEARNING_RATE = 1e-5
MAX_LEARNING_RATE = 10.0
MAX_SEED = 2**31 - 1


def check(ok: bool, message: str) -> None:
    """Raise ValueError(`message`) unless `ok`."""
    if not ok:
        raise ValueError(message)


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    check(value in choices, f"{name} must be one of {', '.join(choices)}; got {value!r}.")


def check_range(name: str, value: float, low: float, high: float) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    check(ok and low <= value <= high, f"{name} must be between {_number(low)} and {_number(high)}; got {value!r}.")


def _number(v: float) -> str:
    """1,000,000 for whole numbers (not 1e+06), 0.001 or 1e-05 otherwise."""
    return f"{int(v):,}" if float(v).is_integer() and abs(v) < 1e15 else f"{v:g}"


def check_int(name: str, value: int, low: int, high: int) -> None:
    check(isinstance(value, int) and not isinstance(value, bool), f"{name} must be a whole number; got {value!r}.")
    check_range(name, value, low, high)


def check_optimisation(part: Any) -> None:
    """The settings every training part has: optimizer, learning_rate, weight_decay, seed and device."""
    check_choice("optimizer", part.optimizer, OPTIMIZERS)
    check_range("learning_rate", part.learning_rate, MIN_LEARNING_RATE, MAX_LEARNING_RATE)
    check_range("weight_decay", part.weight_decay, 0.0, 1.0)
    check_int("seed", part.seed, 0, MAX_SEED)
    check_choice("device", part.device, DEVICES)


MAX_PATIENCE = 1000  # evaluations


def check_early_stopping(part: Any) -> None:
    """The early-stopping settings every training part has (named as Keras's EarlyStopping callback names them):
    `patience` (evaluations without a lower validation loss before the run stops; 0 is off), `restore_best_weights`,
    `validation_fraction` (the share of the training examples held out to decide, used when early stopping is on),
    and `target_metric` (stop once the validation metric reaches it; None is off)."""
    check_int("patience", part.patience, 0, MAX_PATIENCE)
    check(isinstance(part.restore_best_weights, bool),
          f"restore_best_weights must be true or false; got {part.restore_best_weights!r}.")
    check_range("validation_fraction", part.validation_fraction, 0.05, 0.5)
    if part.target_metric is not None:
        check_range("target_metric", part.target_metric, -1.0, 1.0)  # accuracy is in [0, 1], R² at most 1


def early_stopping_on(part: Any) -> bool:
    """Whether a training part asks for early stopping (a patience, or a target metric)."""
    return part.patience > 0 or part.target_metric is not None


class Serialisable:
    """JSON and dict round-trips for a frozen dataclass of dataclass parts, derived from its fields.

    `not_shared` names the (part, field) pairs that never go into a shared link (playground.share): text too
    large for a URL, or private to the user.
    """

    not_shared: ClassVar[frozenset[tuple[str, str]]] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Self:
        return from_dict(cls, d)

    @classmethod
    def from_json(cls, text: str) -> Self:
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
    check(isinstance(d, dict), f"{cls.__name__} settings must be an object; got {type(d).__name__}.")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(d) - set(fields))
    check(not unknown, f"Unknown {cls.__name__} settings: {', '.join(unknown)}.")
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
