"""A session's run history on one page: the curves and results of its finished or stopped runs, kept to compare.

`RunRecord` is what a run leaves once it ends (or Restart, Train or Reset replaces it): its config, its loss and
metric curves bounded to a few thousand points (`Curves`), its final metrics, time and status; never weights or
views. `History` keeps a page's records, at most `limit` of them: past the limit the oldest unpinned run is
dropped (`History.next_drop` says which one before it happens). `differences(a, b)` names the settings in which
two configs of one playground differ, by their dotted field names and the field's standard labels
("learning rate 0.03 → 0.3").

Pure: plain data in and out, no threads, never imports streamlit or torch. The page keeps one History per page
in its session state (playground.ui.run_history), so it ends with the session.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from playground.series import downsample

HISTORY_LIMIT = 10  # runs kept per page and session, pinned ones included (TensorBoard keeps every run on disk;
# a workshop server keeps these in memory for every session: at most about 150 KB a run, nine curves of MAX_POINTS)
MAX_POINTS = 2000  # points per curve kept in a record (playground.plots draws at most as many)
X_AXES = ("step", "epoch", "wall time")  # what the curves' x axis can count
X_TITLES = {"step": "step", "epoch": "epoch", "wall time": "wall time (s)"}
MAX_VALUE_CHARS = 24  # characters of a setting's value in a difference's text
# A field's label is its name with spaces for underscores ("learning_rate": "learning rate"), except the standard
# terms written as they are (d_model, n_heads) and the names that alone would be unclear or ambiguous.
LABELS = {"model.hidden_sizes": "hidden layers", "data.seed": "data seed", "task.seed": "data seed",
          "task.text": "corpus", "task.task": "task", "data.dataset": "dataset", "model.d_model": "d_model",
          "model.n_heads": "n_heads", "model.n_layers": "n_layers", "model.d_ff": "d_ff",
          "task.seq_len": "sequence length", "data.n_samples": "samples", "data.n_classes": "classes"}


@dataclass(frozen=True)
class Curves:
    """A run's chart data: the training loss per step and the evaluations, bounded to `MAX_POINTS` each.

    step, loss, step_s: (n,) optimizer step (a bucket's mean), training loss, and wall seconds from the start of
    training (pauses included); eval_step, eval_s and the four eval series: (m,) at each evaluation.
    steps_per_epoch is None for a run counted in steps only (it has no epoch axis).
    """

    step: np.ndarray
    loss: np.ndarray
    step_s: np.ndarray
    eval_step: np.ndarray
    eval_s: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_metric: np.ndarray
    test_metric: np.ndarray
    steps_per_epoch: int | None = None

    @classmethod
    def from_snapshot(cls, snap: Any, max_points: int = MAX_POINTS) -> Curves:
        """The curves of a `playground.runlog.Snapshot`, each bounded to `max_points` by bucket means."""
        step, loss = downsample(snap.step_x, snap.step_loss, max_points)
        _, step_s = downsample(snap.step_x, snap.seconds_at(snap.step_x), max_points)  # the same buckets
        ev = snap.eval_series("step")
        eval_s = snap.eval_s if len(snap.eval_s) == len(ev) else snap.seconds_at(ev)
        series = [downsample(ev, values, max_points) for values in (
            eval_s, snap.eval_series("train_loss"), snap.eval_series("test_loss"),
            snap.eval_series("train_metric"), snap.eval_series("test_metric"))]
        eval_step = series[0][0]
        per_epoch = snap.started.steps_per_epoch if snap.started else None
        return cls(step, loss, step_s, eval_step, *(y for _, y in series), steps_per_epoch=per_epoch)

    def has_axis(self, axis: str) -> bool:
        """Whether this run can be drawn against `axis` (a run counted in steps has no epochs)."""
        return axis != "epoch" or bool(self.steps_per_epoch)

    def step_x(self, axis: str) -> np.ndarray:
        """The training loss's x values (n,) counted in `axis` (one of X_AXES). Raises ValueError for an axis
        the run lacks or an unknown one."""
        return self._x(axis, self.step, self.step_s)

    def eval_x(self, axis: str) -> np.ndarray:
        """The evaluations' x values (m,) counted in `axis`, as `step_x`."""
        return self._x(axis, self.eval_step, self.eval_s)

    def x_at(self, axis: str, steps: list[int], seconds_at) -> np.ndarray:
        """Optimizer steps (n,) counted in `axis`, as `step_x`; `seconds_at` maps steps to wall seconds
        (Snapshot.seconds_at). For marks drawn at given steps, such as the settings changed while it trained."""
        steps = np.asarray(steps, float)
        return self._x(axis, steps, seconds_at(steps) if axis == "wall time" else steps)

    def _x(self, axis: str, steps: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        if axis not in X_AXES:
            raise ValueError(f"x axis must be one of {', '.join(X_AXES)}; got {axis!r}.")
        if not self.has_axis(axis):
            raise ValueError("This run is counted in steps: it has no epochs.")
        if axis == "epoch":
            return np.asarray(steps, float) / self.steps_per_epoch  # epoch 1.5: halfway through the second
        return np.asarray(seconds if axis == "wall time" else steps, float)


@dataclass(frozen=True)
class RunRecord:
    """What one ended run leaves in the history. `number` counts the page's runs in this session from 1; `run` is
    the job's number (playground.jobs.Job.run), unique in the process. Final metrics are the last evaluation's
    (None before any)."""

    number: int
    run: int
    kind: str  # the playground's name (playground.kinds.Kind.name): a page loads settings of its own kind only
    config: Any
    curves: Curves
    status: str  # completed, stopped, diverged or failed
    steps: int
    elapsed_s: float  # wall seconds from the start of training to the end, pauses included
    metric_label: str  # e.g. "accuracy", "R²", "token accuracy"
    held_out: str  # the held-out split's name, "test" or "validation"
    final: dict[str, float] = field(default_factory=dict)  # train_loss, test_loss, train_metric, test_metric
    pinned: bool = False
    hidden: bool = False  # left off the charts (still in the table)

    @classmethod
    def from_snapshot(cls, snap: Any, kind: str, number: int = 0, status: str | None = None) -> RunRecord:
        """A record of a Snapshot of a run that trained (snap.started set); `status` replaces the snapshot's
        (a run replaced while it trains is recorded as "stopped")."""
        final = {}
        if snap.evals:
            last = snap.evals[-1]
            final = {name: float(getattr(last, name)) for name in
                     ("train_loss", "test_loss", "train_metric", "test_metric")}
        return cls(number, snap.run, kind, snap.config, Curves.from_snapshot(snap), status or snap.status,
                   snap.step, float(snap.elapsed_s), snap.started.metric.label, snap.started.held_out, final)


class History:
    """A page's run records, oldest first, at most `limit`: adding past it drops the oldest unpinned run. At most
    `limit - 1` runs can be pinned, so a place is always left for the next run. A run (by its job number) is
    recorded once: adding it again changes nothing. Not thread-safe (one session's script thread uses it)."""

    def __init__(self, kind: str, limit: int = HISTORY_LIMIT) -> None:
        if limit < 2:
            raise ValueError(f"A history keeps at least 2 runs; got a limit of {limit}.")
        self.kind, self.limit = kind, limit
        self.records: list[RunRecord] = []
        self.version = 0  # changes with every change (for caches of what is drawn from it)
        self._seen: set[int] = set()  # job numbers recorded, kept after their records go
        self._numbers = 0

    def __len__(self) -> int:
        return len(self.records)

    def recorded(self, run: int) -> bool:
        return run in self._seen

    def find(self, number: int) -> RunRecord:
        """The record numbered `number`. Raises KeyError for one not (or no longer) in the history."""
        for record in self.records:
            if record.number == number:
                return record
        raise KeyError(f"Run {number} is not in the history.")

    def add(self, record: RunRecord) -> RunRecord | None:
        """Keep `record` (numbered next) unless its run was recorded before; returns the run dropped to stay
        within the limit, if any. Raises ValueError for a record of another playground."""
        if record.kind != self.kind:
            raise ValueError(f"A {record.kind} run cannot go into the {self.kind} page's history.")
        if record.run in self._seen:
            return None
        dropped = self.next_drop()
        if dropped is not None:
            self.records.remove(dropped)
        self._seen.add(record.run)
        self._numbers += 1
        self.records.append(dataclasses.replace(record, number=self._numbers))
        self.version += 1
        return dropped

    def next_drop(self) -> RunRecord | None:
        """The run the next `add` drops: the oldest unpinned one once the history is full, else None."""
        if len(self.records) < self.limit:
            return None
        return next(r for r in self.records if not r.pinned)  # at most limit - 1 are pinned

    def pin(self, number: int, pinned: bool = True) -> None:
        """Pin (keep past the limit) or unpin run `number`. Raises ValueError when it would leave no unpinned
        place, KeyError for an unknown run."""
        record = self.find(number)
        if pinned and not record.pinned and sum(r.pinned for r in self.records) >= self.limit - 1:
            raise ValueError(f"At most {self.limit - 1} runs can be pinned: one place stays for the next run. "
                             "Unpin one first.")
        self._replace(record, pinned=pinned)

    def hide(self, number: int, hidden: bool = True) -> None:
        """Leave run `number` off the charts (or show it again). Raises KeyError for an unknown run."""
        self._replace(self.find(number), hidden=hidden)

    def delete(self, number: int, current_run: int | None = None) -> None:
        """Forget run `number`. Raises ValueError for the run the page shows now (job number `current_run`),
        KeyError for an unknown run."""
        record = self.find(number)
        if current_run is not None and record.run == current_run:
            raise ValueError(f"Run {number} is the one the charts show: Reset it first, or train another.")
        self.records.remove(record)
        self.version += 1

    def _replace(self, record: RunRecord, **changes: Any) -> None:
        self.records[self.records.index(record)] = dataclasses.replace(record, **changes)
        self.version += 1


@dataclass(frozen=True)
class Difference:
    """One setting in which two configs differ: its dotted field name, its label and both values."""

    name: str  # e.g. "training.learning_rate"
    label: str  # e.g. "learning rate"
    before: Any
    after: Any

    @property
    def text(self) -> str:
        """E.g. "learning rate 0.03 → 0.3"; a long value (a corpus) is named as changed."""
        before, after = _shown(self.before), _shown(self.after)
        if max(len(before), len(after)) > MAX_VALUE_CHARS:
            return f"{self.label} changed"
        return f"{self.label} {before} → {after}"


def label(name: str) -> str:
    """The standard label of a config field by its dotted name, e.g. "training.batch_size" -> "batch size"."""
    return LABELS.get(name, name.rpartition(".")[2].replace("_", " "))


def differences(a: Any, b: Any) -> tuple[Difference, ...]:
    """The settings in which config `a` (an earlier run's) differs from config `b` (the current one), in field
    order, each from a's value to b's. Raises ValueError for configs of two playgrounds (types differ)."""
    if type(a) is not type(b):
        raise ValueError(f"Settings of two playgrounds cannot be compared ({type(a).__name__} and "
                         f"{type(b).__name__}).")
    da, db = a.to_dict(), b.to_dict()
    out = []
    for part, fields in da.items():
        for name, value in fields.items():
            if value != db[part][name]:
                out.append(Difference(f"{part}.{name}", label(f"{part}.{name}"), value, db[part][name]))
    return tuple(out)


def describe(diffs: tuple[Difference, ...], limit: int = 60) -> str:
    """The differences as one line ("learning rate 0.03 → 0.3, batch size 32 → 64"), cut with "…" past `limit`
    characters; "same settings" for none."""
    text = ", ".join(d.text for d in diffs) or "same settings"
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _shown(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "on", False: "off", None: "none"}[value]
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return str(value) if value != "" else "(empty)"
