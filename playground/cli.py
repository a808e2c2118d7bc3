"""Command line: the same engine without the browser.

    python -m playground presets
    python -m playground train --preset NAME [--set key=value ...] [--json]

The server's `executor` setting applies (playground.settings): with "ray" the run trains in a Ray actor, and the
--json object's "executor" and "worker_pid" say what trained it. With --json, an attention preset's result
also has "heads": per layer and head, its final entropy (nats) and pattern shares on the probe (see
playground.attention.stages).

`--set` takes a dotted field path (`training.learning_rate=0.5`) or a field name that is unique
across the config's parts (`learning_rate=0.5`); lists are comma-separated (`hidden_sizes=32,32`).
Exit status: 0 for a run that completed, stopped or diverged (its status says which), 2 for bad
settings (a run above the server's memory budget, `max_run_memory_mb`, included), 1 for a run that failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from playground import coach, kinds
from playground.events import ACCURACY, Metric
from playground.settings import Limits

LIST_FIELDS = ("hidden_sizes", "activations")


def apply_overrides(config: Any, assignments: list[str]) -> Any:
    """A new config with each `key=value` applied. Raises ValueError naming the bad key or value."""
    d = config.to_dict()
    for item in assignments:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ValueError(f"--set needs key=value; got {item!r}.")
        path = _resolve_key(d, key.strip())
        parent = d
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = _parse_value(raw.strip(), list_like=path[-1] in LIST_FIELDS)
    keys = [a.partition("=")[0].strip().split(".")[-1] for a in assignments]
    model = d.get("model", {})
    if "hidden_sizes" in keys and "activations" not in keys and "activations" in model:
        # New depth, same activation: repeat the last one (ReLU for a net that had none).
        last = model["activations"][-1] if model["activations"] else "relu"
        n = len(model["hidden_sizes"])
        model["activations"] = [*model["activations"], *[last] * n][:n]
    return type(config).from_dict(d)


def _resolve_key(d: dict, key: str) -> list[str]:
    if "." in key:
        path = key.split(".")
        node = d
        for part in path:
            if not isinstance(node, dict) or part not in node:
                raise ValueError(f"Unknown setting {key!r}.")
            node = node[part]
        return path
    matches = [[part, key] for part, sub in d.items() if isinstance(sub, dict) and key in sub]
    if len(matches) != 1:
        where = " or ".join(".".join(m) for m in matches) if matches else None
        raise ValueError(f"Ambiguous setting {key!r}: write {where}." if where else f"Unknown setting {key!r}.")
    return matches[0]


def _parse_value(raw: str, list_like: bool) -> Any:
    if list_like:
        return [] if raw == "" else [_parse_value(v.strip(), False) for v in raw.split(",")]
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _progress(snap) -> str:
    total = max(snap.total_steps, 1)
    done = int(30 * snap.step / total)
    eta = f" eta {snap.eta_s:4.0f}s" if snap.eta_s is not None else ""
    loss = f" loss {snap.step_loss[-1]:.4f}" if len(snap.step_loss) else ""
    bar = "#" * done + "." * (30 - done)
    return f"\r[{bar}] step {snap.step}/{snap.total_steps}{loss} {snap.steps_per_second:7.0f} steps/s{eta}"


def run_training(name: str, config: Any, show_progress: bool) -> dict[str, Any]:
    """Train through the job runner (a background thread, as in the app; in a Ray actor where the server's
    `executor` setting says "ray") and summarise the result."""
    from playground import executors
    from playground.jobs import Job

    job = Job(config, executor=executors.shared()).start()
    try:
        while job.alive:
            job.thread.join(0.1)
            if show_progress:
                print(_progress(job.snapshot()), end="", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        job.stop(join_timeout=10)
    if show_progress:
        print(file=sys.stderr)
    snap = job.snapshot()
    last = snap.evals[-1] if snap.evals else None
    metric = snap.started.metric if snap.started else Metric(ACCURACY, "accuracy")
    key = metric.kind  # "token accuracy", "next-char accuracy": the task's accuracy
    return {
        "preset": name,
        "status": snap.status,
        "message": snap.message,
        "metric": metric.label,
        "train_loss": last.train_loss if last else None,
        "test_loss": last.test_loss if last else None,
        f"train_{key}": last.train_metric if last else None,
        f"test_{key}": last.test_metric if last else None,
        "steps": snap.step,
        "seconds": round(snap.elapsed_s, 3),
        "device": snap.started.device if snap.started else None,
        "executor": job.placement.executor if job.placement else None,  # "thread" after a fallback from Ray
        "worker_pid": job.placement.worker_pid if job.placement else None,  # the process that trained the run
        "diagnoses": [d.to_json() for d in coach.diagnose(coach.RunHistory.from_snapshot(snap))],
        **_views_summary(snap.views),
    }


def _views_summary(views: Any) -> dict[str, Any]:
    """What a playground's latest views add to the JSON result (their `summary()`, e.g. the attention heads'
    statistics), or nothing for views without one."""
    summary = getattr(views, "summary", None)
    return summary() if callable(summary) else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m playground", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("presets", help="list the presets")
    tr = sub.add_parser("train", help="train a preset headlessly")
    tr.add_argument("--preset", default=kinds.KINDS[0].default_preset)
    tr.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting")
    tr.add_argument("--json", action="store_true", help="print one JSON object with the result")
    args = parser.parse_args(argv)
    table = kinds.all_presets()
    if args.command == "presets":
        width = max(map(len, table))
        for name, preset in table.items():
            print(f"{name:<{width}}  {preset.description}")
        return 0
    if args.preset not in table:
        print(f"error: unknown preset {args.preset!r}; choose from {', '.join(table)}.", file=sys.stderr)
        return 2
    try:
        config = apply_overrides(table[args.preset].config, args.set)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if refused := Limits.from_settings().memory_problem(config):  # the server's budget applies here too
        print(f"error: {refused}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    result = run_training(args.preset, config, show_progress=sys.stderr.isatty())
    if args.json:
        print(json.dumps(result))
    else:
        labels = {"seconds": "training seconds"}
        for k, v in result.items():
            if v not in ("", None) and k != "diagnoses":
                label = labels.get(k, k)
                print(f"{label:>26}: {v:.4f}" if isinstance(v, float) else f"{label:>26}: {v}")
        print(f"{'wall seconds (set-up too)':>26}: {time.perf_counter() - t0:.2f}")
        for d in result["diagnoses"]:
            print(f"{'coach (' + d['kind'] + ')':>26}: {d['message']}")
    return 1 if result["status"] == "failed" else 0
