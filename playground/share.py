"""Shareable links: a run config as URL query parameters and back.

Only settings that differ from the config type's defaults go into the URL, as "part.field=value"
(lists comma-separated), so links stay short and readable, e.g.
`?data.dataset=spiral&model.hidden_sizes=32,32&training.learning_rate=0.003`. The fields a config type
names in `not_shared` (a user's corpus, a CSV's column names) are never put in a URL. Parsing never
raises: a bad or tampered parameter is dropped with a notice and the others are kept (see `_drop_one` for
which one goes when settings conflict).

A classroom link adds `hide=` and `lock=`, comma-separated lists of field names ("training.learning_rate"): the
page opens with the link's settings, the hidden fields' controls not drawn and the locked ones drawn disabled
(`Classroom`, `classroom_query`, `classroom_from_query`). Unknown or malformed names, and a hidden or locked field
whose value in the link is not valid, are dropped with a notice; the rest of the link applies.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
HIDE, LOCK = "hide", "lock"  # a classroom link's query parameters
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")  # "part.field"
MAX_LIST_CHARS = 2_000  # a hide or lock list longer than every field name of a config together is not a lesson's


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


@dataclass(frozen=True)
class Classroom:
    """A classroom link's rules: the fields ("part.field") whose controls are hidden, and those drawn locked (with
    the link's value, disabled). A field both hidden and locked is hidden."""

    hidden: frozenset[str] = frozenset()
    locked: frozenset[str] = frozenset()

    @property
    def fixed(self) -> frozenset[str]:
        """The fields a student cannot change: hidden or locked."""
        return self.hidden | self.locked

    def __bool__(self) -> bool:
        return bool(self.hidden or self.locked)


def classroom_query(config: Any, hidden: Collection[str] = (), locked: Collection[str] = ()) -> dict[str, str]:
    """The query parameters of a classroom link: `config`'s settings (`to_query`) and the hidden and locked
    fields, sorted, each list only when it names a field."""
    query = to_query(config)
    for key, names in ((HIDE, hidden), (LOCK, [n for n in locked if n not in hidden])):
        if names:
            query[key] = ",".join(sorted(set(names)))
    return query


def fields_of(cls: type) -> list[str]:
    """Every field of config type `cls` a link can carry, as "part.field" (those in `not_shared` left out)."""
    return [f"{part}.{name}" for part, fields in cls().to_dict().items() for name in fields  # type: ignore[attr-defined]
            if (part, name) not in cls.not_shared]  # type: ignore[attr-defined]


def classroom_from_query(cls: type, params: Mapping[str, str],
                         allowed: Collection[str] | None = None) -> tuple[Classroom, list[str]]:
    """The classroom rules of a link for a config of type `cls`, and notices about what was ignored. Never raises.

    `allowed`: the fields the page can hide or lock (default: every field a link carries). A name that is not one of
    them, or not a field name at all, is ignored; so is a list longer than MAX_LIST_CHARS. A hidden or locked field
    whose value in the link is not valid (see `from_query`) is left free: the page shows it at its default.
    """
    allowed = set(fields_of(cls) if allowed is None else allowed)
    notices: list[str] = []
    lists: dict[str, set[str]] = {}
    for key in (HIDE, LOCK):
        raw = params.get(key, "")
        if len(raw) > MAX_LIST_CHARS:
            notices.append(f"Ignored the link's {key} list: {len(raw):,} characters is not a list of settings.")
            raw = ""
        names = [n.strip() for n in raw.split(",") if n.strip()]
        for name in [n for n in names if n not in allowed]:
            what = "unknown setting" if FIELD_NAME.fullmatch(name) else "malformed setting name"
            notices.append(f"Ignored the {what} {name[:60]!r} in the link's {key} list.")
        lists[key] = {n for n in names if n in allowed}
    config, _ = from_query(cls, params)  # its notices are the settings' own, shown where the settings are read
    for name in sorted(lists[HIDE] | lists[LOCK]):
        if name in params and not _took(config, name, params[name]):
            notices.append(f"The link fixes {name}, but its value {params[name][:60]!r} is not valid: that setting is "
                           "left free, at its default.")
            lists[HIDE].discard(name)
            lists[LOCK].discard(name)
    return Classroom(frozenset(lists[HIDE]), frozenset(lists[LOCK] - lists[HIDE])), notices


def _took(config: Any, name: str, raw: str) -> bool:
    """Whether `config` (read from a link) holds the link's value `raw` for field `name`."""
    part, _, field = name.partition(".")
    value = config.to_dict()[part][field]
    try:
        return _parse(raw, value) == value
    except ValueError:
        return False
