"""Command line: the same engine without the browser.

    python -m playground presets
    python -m playground train --preset NAME [--set key=value ...] [--schedule NAME=STEP:VALUE,...] [--json]
    python -m playground train --preset NAME --sweep KEY=V1,V2,... [--set ...] [--json]
    python -m playground script --preset NAME [--set key=value ...] > train.py

`--save-metrics` writes the run's metrics as CSV, a row per step and per evaluation (columns: see
playground.export.metrics_frame). `script` prints a runnable PyTorch script that trains the same model as a run of
these settings (playground.mlp.script, playground.attention.script); it is refused, with the reason, for data it
cannot rebuild (an uploaded table, an attention task other than the symbol tasks).

The server's `executor` setting applies (playground.settings): with "ray" the run trains in a Ray actor, and the
--json object's "executor" and "worker_pid" say what trained it. With --json, an attention preset's result
also has "heads": per layer and head, its final entropy (nats) and pattern shares on the probe (see
playground.attention.stages).

With --json the result also says "stopped_early" (true when early stopping ended the run) and "best_epoch" (the
evaluation with the lowest validation loss: its epoch, or its step for a run counted in steps; null when early
stopping is off), and "schedule", the setting changes the run applied; its final losses and metrics are those of the
weights the run ends with (the best ones, where restore_best_weights brought them back).

`--schedule learning_rate=100:0.001,200:0.0001` changes a running job's setting once that many steps are done, as
the page's widgets do while a run trains (playground.steering: learning_rate, weight_decay, batch_size; a batch size
in a run counted in epochs applies at the next epoch's start). It may be given once per setting.

`--set` takes a dotted field path (`training.learning_rate=0.5`) or a field name that is unique
across the config's parts (`learning_rate=0.5`); lists are comma-separated (`hidden_sizes=32,32`).
`--sweep` trains one variant per value (2 to 8; playground.sweep) in one job; with --json it prints one JSON object
per line for each variant (its value, status and final metrics), then one for the sweep (its `seconds`: the wall
time of training, from the sweep's start after its data and first models are built, as a run's `seconds`).
Exit status: 0 for a run that completed, stopped or diverged (its status says which), 2 for bad
settings (a run above the server's memory budget, `max_run_memory_mb`, included), 1 for a run that failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from playground import coach, export, kinds, steering
from playground.events import ACCURACY, Metric, RunFinished
from playground.settings import Limits

LIST_FIELDS = ("hidden_sizes", "activations", "features", "ignore")


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


def run_training(name: str, config: Any, show_progress: bool,
                 schedule: list[tuple[int, str, Any]] | None = None, metrics_path: str | None = None) -> dict[str, Any]:
    """Train through the job runner (a background thread, as in the app; in a Ray actor where the server's
    `executor` setting says "ray") and summarise the result. `schedule`: (step, setting, value) changes
    (steering.parse_schedule), given to the job before it starts; with `metrics_path`, write its metrics there as
    CSV (playground.export.metrics_csv)."""
    from playground import executors
    from playground.jobs import Job

    job = Job(config, executor=executors.shared())
    for step, setting, value in schedule or ():
        job.set_setting(setting, value, after_step=step)
    job.start()
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
    if metrics_path:
        with open(metrics_path, "w", newline="", encoding="utf-8") as f:
            f.write(export.metrics_csv(snap))
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
        **_stopping_summary(snap),
        **_views_summary(snap.views),
    }


def _stopping_summary(snap: Any) -> dict[str, Any]:
    """Early stopping's part of the JSON result (see the module docstring) and the changes the run applied."""
    end = snap.end if isinstance(snap.end, RunFinished) else None
    best = None if end is None else (end.best_epoch if end.best_epoch is not None else end.best_step)
    last = snap.evals[-1] if snap.evals else None
    out: dict[str, Any] = {"stopped_early": bool(end and end.stopped_early), "best_epoch": best,
                           "schedule": steering.schedule_record(snap.changes)}
    if last is not None and last.val_loss is not None:
        out |= {"validation_loss": last.val_loss, f"validation_{snap.started.metric.kind}": last.val_metric}
    return out


def run_sweep(name: str, config: Any, text: str, as_json: bool) -> int:
    """Train the sweep `text` ("KEY=V1,V2,...") of `config` and print its variants; the exit status."""
    from playground import sweep

    try:
        spec = sweep.parse(config, text)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if refused := sweep.memory_problem(spec, Limits.from_settings().max_memory_mb):
        print(f"error: {refused}", file=sys.stderr)
        return 2
    show = sys.stderr.isatty()
    snap = sweep.run(spec, progress=(lambda s: print(_progress(s), end="", file=sys.stderr, flush=True)) if show
                     else None)
    rows = [{"preset": name, **row} for row in (sweep.results(snap) if snap.started else [])]
    total = {"preset": name, "sweep": spec.setting, "values": list(spec.values), "status": snap.status,
             "message": snap.message, "seconds": round(snap.elapsed_s, 3),
             "device": snap.started.device if snap.started else None}
    print(file=sys.stderr) if show else None
    for row in [*rows, total]:
        print(json.dumps(row) if as_json else "  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                                       for k, v in row.items() if v not in ("", None)))
    return 1 if snap.status == "failed" else 0


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
    tr.add_argument("--schedule", action="append", default=[], metavar="NAME=STEP:VALUE[,STEP:VALUE...]",
                    help="change learning_rate, weight_decay or batch_size once STEP steps are done")
    tr.add_argument("--json", action="store_true", help="print one JSON object with the result")
    tr.add_argument("--sweep", metavar="KEY=V1,V2,...", help="train one variant per value of a setting")
    add_export_arguments(sub, tr)
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
    limits = Limits.from_settings()
    try:
        config = apply_overrides(table[args.preset].config, args.set)
        if args.command == "script":
            return print_script(args.preset, config)
        schedule = steering.parse_schedule(args.schedule)
        steering.check_schedule(config, schedule, limits)  # each change as the page's widgets are checked
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    # the server's budget applies here too; a metrics file that can't be written is refused before the run
    if refused := limits.memory_problem(config) or export.unwritable(args.save_metrics):
        print(f"error: {refused}", file=sys.stderr)
        return 2
    if args.sweep:
        return run_sweep(args.preset, config, args.sweep, args.json)
    t0 = time.perf_counter()
    result = run_training(args.preset, config, show_progress=sys.stderr.isatty(), schedule=schedule,
                          metrics_path=args.save_metrics)
    if args.json:
        print(json.dumps(result))
    else:
        labels = {"seconds": "training seconds"}
        for k, v in result.items():
            if v not in ("", None, []) and k != "diagnoses":
                label = labels.get(k, k)
                print(f"{label:>26}: {v:.4f}" if isinstance(v, float) else f"{label:>26}: {v}")
        print(f"{'wall seconds (set-up too)':>26}: {time.perf_counter() - t0:.2f}")
        for d in result["diagnoses"]:
            print(f"{'coach (' + d['kind'] + ')':>26}: {d['message']}")
    return 1 if result["status"] == "failed" else 0


def add_export_arguments(sub: Any, train: argparse.ArgumentParser) -> None:
    """The train command's --save-metrics, and the script command."""
    train.add_argument("--save-metrics", metavar="PATH", help="write the run's metrics (steps, evaluations) as CSV")
    sc = sub.add_parser("script", help="print a runnable PyTorch script of a preset's run")
    sc.add_argument("--preset", default=kinds.KINDS[0].default_preset)
    sc.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting")


def print_script(name: str, config: Any) -> int:
    """Print the runnable script of `config` (exit status 0), or say on stderr why there is none (2)."""
    render = kinds.kind_of(config).script()
    if render is None:
        offered = " and ".join(k.title for k in kinds.KINDS if k.script_path)
        print(f"error: no runnable script for {name!r}, a preset of the {kinds.kind_of(config).title}: scripts are "
              f"exported for the {offered} only.", file=sys.stderr)
        return 2
    try:
        print(render(config), end="")
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
