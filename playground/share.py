"""Shareable links: a run config as URL query parameters and back.

Only settings that differ from the config type's defaults go into the URL, as "part.field=value"
(lists comma-separated), so links stay short and readable, e.g.
`?data.dataset=spiral&model.hidden_sizes=32,32&training.learning_rate=0.003`. The fields a config type
names in `not_shared` (a user's corpus, a CSV's column names) are never put in a URL. Parsing never
raises: a bad or tampered parameter is dropped with a notice and the others are kept (see `_drop_one` for
which one goes when settings conflict).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


def to_query(config: Any) -> dict[str, str]:
    """The URL query parameters for `config`: its non-default fields as strings."""
    d, default = config.to_dict(), type(config)().to_dict()
    out = {}
    for part, fields in d.items():
        for name, value in fields.items():
            if value != default[part][name] and (part, name) not in config.not_shared:
                out[f"{part}.{name}"] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return out


def from_query(cls: type[T], params: Mapping[str, str]) -> tuple[T, list[str]]:
    """A config of type `cls` from URL parameters, and notices about anything that was ignored.

    Parameters without a dot (e.g. "presenter") belong to the page and are skipped silently.
    """
    default = cls().to_dict()  # type: ignore[attr-defined]
    d: dict[str, dict[str, Any]] = {part: {} for part in default}
    notices: list[str] = []
    for key, raw in params.items():
        part, _, name = key.partition(".")
        if not name:
            continue
        if part not in default or name not in default[part] or (part, name) in cls.not_shared:
            notices.append(f"Ignored the unknown link setting {key!r}.")
            continue
        try:
            d[part][name] = _parse(raw, default[part][name])
        except ValueError:
            notices.append(f"Ignored {key}={raw!r}: not a valid value.")
    while True:
        try:
            return cls.from_dict(d), notices  # type: ignore[attr-defined]
        except ValueError as e:
            error = e
        dropped = _drop_one(cls, d, error)
        if dropped is None:
            notices.append(f"The link's settings were not valid ({error}); using the defaults instead.")
            return cls(), notices
        part, name, reason = dropped
        notices.append(f"Ignored {part}.{name}={params[f'{part}.{name}']!r}: {reason}")
        del d[part][name]


def _drop_one(cls: type, d: dict[str, dict[str, Any]], error: ValueError) -> tuple[str, str, str] | None:
    """The setting to drop from `d` (invalid as a whole with `error`) and why: the first one without which the
    rest is valid, else the first one invalid on its own (with the defaults around it); None if neither."""
    fields = [(part, name) for part, f in d.items() for name in f]
    for part, name in fields:
        rest = {p: {n: v for n, v in f.items() if (p, n) != (part, name)} for p, f in d.items()}
        try:
            cls.from_dict(rest)  # type: ignore[attr-defined]
        except ValueError:
            continue
        return part, name, str(error)
    for part, name in fields:
        try:
            cls.from_dict({part: {name: d[part][name]}})  # type: ignore[attr-defined]
        except ValueError as own:
            return part, name, str(own)
    return None


def _parse(raw: str, like: Any) -> Any:
    """`raw` as the type of the default value `like`. Raises ValueError."""
    if isinstance(like, bool):
        if raw.lower() not in ("true", "false"):
            raise ValueError(raw)
        return raw.lower() == "true"
    if isinstance(like, int):
        return int(raw)
    if isinstance(like, float):
        return float(raw)
    if like is None:  # an optional number that is off by default (target_metric)
        return None if raw.lower() in ("", "none") else float(raw)
    if isinstance(like, list):
        items = [s.strip() for s in raw.split(",") if s.strip()]
        if like and all(isinstance(v, int) for v in like):  # a list of numbers (layer widths) takes only numbers
            return [int(s) for s in items]
        return [int(s) if s.lstrip("-").isdigit() else s for s in items]
    return raw
