"""Steering a running job: the settings that may change while it trains, their checks, and schedules.

A change goes from the page (playground.jobs.Job.set_setting) or the command line's `--schedule` to the job's
`Control`, which the training loop reads between steps (playground.loop): the runner applies it
(`Runner.apply`), and a `SettingChanged` event marks it in the run's log, on the loss chart and in the exported
config's "schedule". `learning_rate` and `weight_decay` apply at the next optimizer step (the optimizer's
parameter groups are updated, as torch's own learning-rate schedulers do); `batch_size` at the next epoch of a run
counted in epochs (an epoch's batches are cut when it starts) and at the next step of a run counted in steps.

A change is checked as a new run's settings are: the config with the new value must pass the config's own checks
and the server's memory budget (playground.memory), else ValueError with a message fit to show.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from playground.events import SettingChanged

STEERABLE = ("learning_rate", "weight_decay", "batch_size")  # training-part fields a running job may change
LABELS = {"learning_rate": "learning rate", "weight_decay": "weight decay", "batch_size": "batch size"}


def changed_config(config: Any, name: str, value: Any, limits: Any = None, table: Any = None) -> Any:
    """`config` with its training part's `name` set to `value`, checked as a new run's settings: the config's
    own checks, and `limits.memory_problem` (a playground.settings.Limits) when given (`table`: an MLP run's
    uploaded DataFrame). Raises ValueError with a message fit to show for a setting that cannot change while a
    run trains, a value out of bounds, or a run over the memory budget."""
    if name not in STEERABLE:
        raise ValueError(f"{name!r} can't change while a run trains; only {', '.join(STEERABLE)} can. "
                         "Press Restart to train with it.")
    training = dataclasses.replace(config.training, **{name: value})  # the part's own checks
    new = dataclasses.replace(config, training=training)  # and the config's (batch_size x seq_len)
    refused = limits.memory_problem(new, table) if limits is not None else None
    if refused:
        raise ValueError(f"Can't change {LABELS[name]} to {value}: {refused}")
    return new


def parse_schedule(items: Sequence[str]) -> list[tuple[int, str, Any]]:
    """(step, setting, value) changes from `--schedule` items "NAME=STEP:VALUE[,STEP:VALUE...]", sorted by step.
    A change at STEP applies once STEP optimizer steps are done (STEP 0: before the first). Raises ValueError
    naming the bad item."""
    out = []
    for item in items:
        name, sep, rest = item.partition("=")
        name = name.strip().split(".")[-1]  # "training.learning_rate" too
        if not sep or name not in STEERABLE:
            raise ValueError(f"--schedule needs NAME=STEP:VALUE[,STEP:VALUE...] with NAME one of "
                             f"{', '.join(STEERABLE)}; got {item!r}.")
        for pair in rest.split(","):
            step, colon, raw = pair.partition(":")
            try:
                at = int(step)
                value: Any = int(raw) if name == "batch_size" else float(raw)
            except ValueError:
                at, colon = -1, ""
            if not colon or at < 0:
                raise ValueError(f"--schedule {name}: each change is STEP:VALUE with STEP a whole number of "
                                 f"steps (0 or more); got {pair!r}.")
            out.append((at, name, value))
    return sorted(out, key=lambda c: c[0])


def check_schedule(config: Any, schedule: Sequence[tuple[int, str, Any]], limits: Any = None) -> None:
    """Check every change of `schedule` (from `parse_schedule`) in turn, on the settings the earlier ones made.
    Raises ValueError naming the step of the first bad one."""
    for step, name, value in schedule:
        try:
            config = changed_config(config, name, value, limits)
        except ValueError as e:
            raise ValueError(f"--schedule {name} at step {step}: {e}") from None


def schedule_record(changes: Sequence[SettingChanged]) -> list[dict[str, Any]]:
    """A run's changes as the exported config's "schedule": [{"step", "name", "value"}], in the order applied
    (`step`: the steps done before the change applied, as `--schedule` takes it)."""
    return [{"step": c.step, "name": c.name, "value": c.new} for c in changes]


def describe(change: SettingChanged) -> str:
    """A change in words, e.g. "learning rate 0.01 → 0.1" (a marker's label)."""
    return f"{LABELS.get(change.name, change.name)} {change.old:g} → {change.new:g}"
