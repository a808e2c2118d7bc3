"""Where a job's trainer runs: in a thread of this process (`ThreadExecutor`) or in a Ray actor (`RayExecutor`,
playground.ray_executor), as the server's `executor` setting says (playground.settings).

A `playground.jobs.Job` keeps its log, lock, limits and queue place in this process whatever the executor; the
executor only runs `trainer(config, emit, control, **inputs)` somewhere and delivers its events to `emit` in
this process, in order, honouring `control` (pause, resume, single step, stop) between steps. `shared(kind)` is
the process-wide executor of a kind, created on first use: for "ray" it connects to the cluster that $RAY_ADDRESS
names or starts a local Ray instance, and falls back to threads, with a warning in the log and a `notice` for Home,
when Ray is missing or cannot be reached. Thread-safe.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from playground.control import Control
from playground.events import Event

log = logging.getLogger(__name__)

THREAD, RAY = "thread", "ray"
EXECUTORS = (THREAD, RAY)  # the `executor` setting's values


@dataclass(frozen=True)
class Placement:
    """Where a run trains: the executor that trained it ("thread" or "ray"), the process id and the node."""

    executor: str
    worker_pid: int
    node: str  # the host name for a thread; the Ray node id for an actor


class Executor(Protocol):
    """Runs trainers for jobs. `run` is called in the job's own thread in this process and returns when the run
    has ended (its last event emitted); it never raises for a failing trainer (errors are events)."""

    name: str  # "thread" or "ray": the executor that actually trains (after any fallback)
    notice: str  # why this is not the executor the settings asked for, or ""

    def slots(self) -> int: ...  # jobs it can train at once (the cap's default, playground.registry)
    def describe(self) -> str: ...  # one line for Home: what trains the runs

    def run(self, trainer: Callable[..., None], config: Any, emit: Callable[[Event], None], control: Control,
            inputs: dict[str, Any], placed: Callable[[Placement], None]) -> None: ...

    def close(self) -> None: ...  # stop every worker it holds (it starts new ones if used again)


class ThreadExecutor:
    """Today's behaviour: the trainer runs in the job's own thread, in this process.

    Every job's Python shares this process's GIL, so one job per two CPU cores is the default cap (see
    playground.registry.default_max_running)."""

    name = THREAD

    def __init__(self, notice: str = "") -> None:
        self.notice = notice

    def slots(self) -> int:
        import torch

        return torch.cuda.device_count() or max(1, (os.cpu_count() or 1) // 2)

    def describe(self) -> str:
        return "threads of the server process"

    def run(self, trainer: Callable[..., None], config: Any, emit: Callable[[Event], None], control: Control,
            inputs: dict[str, Any], placed: Callable[[Placement], None]) -> None:
        placed(Placement(THREAD, os.getpid(), socket.gethostname()))
        trainer(config, emit, control, **inputs)

    def close(self) -> None:
        pass


_shared: dict[str, Executor] = {}
_shared_lock = threading.Lock()


def shared(kind: str | None = None) -> Executor:
    """The process-wide executor for `kind` ("thread" or "ray"; default: the `executor` setting), created on first
    use (for Ray: connected or started then, which takes seconds). A Ray executor that cannot be had is a
    `ThreadExecutor` whose `notice` says why; it is not tried again in this process."""
    if kind is None:
        from playground.settings import load

        kind = load().executor
    with _shared_lock:
        if kind not in _shared:
            _shared[kind] = connect(kind)
        return _shared[kind]


def connect(kind: str, environ: dict[str, str] | None = None) -> Executor:
    """A new executor of `kind`; for "ray", connected to $RAY_ADDRESS (from `environ`, default os.environ) or to
    a local Ray instance started on this machine's cores. Never raises: falls back to threads with a warning."""
    if kind != RAY:
        return ThreadExecutor()
    environ = os.environ if environ is None else environ
    address = environ.get("RAY_ADDRESS", "").strip() or None
    where = f"the Ray cluster at {address}" if address else "a local Ray instance"
    if address:
        _use_token_if_any()
    try:
        from playground.ray_executor import RayExecutor
    except ImportError as e:
        return _fall_back(f"Ray is not installed ({e}); install it with pip install -e \".[ray]\".")
    try:
        return RayExecutor.connect(address)
    except Exception as e:  # any failure to reach Ray leaves the server running on threads
        hint = "" if isinstance(e, ConnectionRefusedError) or not address else (
            " (if the cluster uses token authentication, give this server its token as RAY_AUTH_TOKEN)")
        return _fall_back(f"Could not use {where}: {type(e).__name__}: {e}{hint}.")


def _use_token_if_any() -> None:
    """Before Ray is imported: turn its token authentication on for this process when a token is at hand and
    nothing says otherwise.

    Ray 2.60's `ray start --head` requires a token while a client's RAY_AUTH_MODE still defaults to "disabled",
    so a server given only RAY_ADDRESS would be refused (after ~20 s of retries); the token is RAY_AUTH_TOKEN,
    RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token, where `ray start --head` writes it (Ray's docs: token-auth)."""
    if os.environ.get("RAY_AUTH_MODE") or "ray" in sys.modules:  # Ray reads it once, when it is imported
        return
    if os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH") or (
            Path.home() / ".ray" / "auth_token").is_file():
        os.environ["RAY_AUTH_MODE"] = "token"


def _fall_back(reason: str) -> ThreadExecutor:
    notice = f"{reason} Runs train in threads of the server process instead."
    log.warning("executor = ray: %s", notice)
    warnings.warn(notice, stacklevel=3)
    return ThreadExecutor(notice=notice)


def shutdown() -> None:
    """Stop every worker of every shared executor and disconnect from Ray (interpreter exit; a test session's end)."""
    with _shared_lock:
        executors = list(_shared.values())
        _shared.clear()
    for executor in executors:
        getattr(executor, "shutdown", executor.close)()
