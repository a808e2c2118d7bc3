"""The Ray executor: each job trains in a Ray actor, on this machine's cores or on a Ray cluster's nodes.

The actor (`TrainingActor` in playground.ray_actor: one CPU and, where the cluster has GPUs, a share of one) runs
the unchanged `trainer(config, emit, control, **inputs)` in a thread of its own and buffers the events. In this
process the job's thread follows it (`RayExecutor.run`): it drains the buffer every DRAIN_S seconds into the
job's `emit`, so a page's refresh reads the job's log and never waits on a remote call, and it forwards the job's
`Control` (pause, resume, single step, stop) to the actor's. While the actor waits paused, the job's thread waits in the
job's own `Control.wait`, which lends the job's queue place exactly as a trainer in a thread does.

Actors outlive their runs: an idle actor (torch imported, ~5 s to start) waits in a pool for the next job, as
many as the cluster has slots. A worker that dies mid-run ends its job as "failed" with a message that says so;
the other jobs go on. `RayExecutor.connect` starts a local Ray instance (`ray.init(address="local")`, on every
core, no dashboard; Ray generates its authentication token itself) or connects to the cluster $RAY_ADDRESS names.
"""

from __future__ import annotations

import atexit
import math
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import RayActorError

from playground.control import Command, Control
from playground.events import Event, RunFailed, RunFinished, StepEnded
from playground.executors import RAY, Placement
from playground.ray_actor import TrainingActor

DRAIN_S = 0.2  # how often the job's thread collects the actor's events (5 times a second)
POLL_S = 0.05  # how often it looks at the job's control while a drain waits
START_TIMEOUT_S = 300.0  # an actor waits this long for a CPU to free up on a busy cluster before the run fails
STOP_GRACE_S = 10.0  # after a stop, the actor's trainer has this long to end before the actor is killed
WATCH_RESEND_S = 0.5  # a page's reads (Control.watch) reach the actor at most this often, a remote call each
CALL_TIMEOUT_S = 60.0  # a drain that takes longer than this means the actor or its node is gone
CONNECT_TIMEOUT_S = 3.0  # a Ray address that does not accept a TCP connection in this long is unreachable


class WorkerDied(Exception):
    """The actor training a run is gone (its process was killed, its node lost)."""


class RayExecutor:
    """Trains each job in a `TrainingActor`. Thread-safe: `run` is called from many jobs' threads at once."""

    name = RAY
    notice = ""

    def __init__(self, address: str | None = None, started_local: bool = False) -> None:
        self.address = address
        self._started_local = started_local
        self._lock = threading.Lock()
        self._idle: list[Any] = []  # actor handles waiting for a run
        self._busy: list[Any] = []
        resources = ray.cluster_resources()
        self._cpus = int(resources.get("CPU", 1))
        gpus = resources.get("GPU", 0.0)
        # A GPU share per actor, so that every slot of a cluster with GPUs can use one (jobs are small).
        self._num_gpus = min(1.0, gpus / max(1, self._cpus)) if gpus else 0.0
        # Threaded (max_concurrency): a drain that waits must not hold up a pause or a stop sent meanwhile.
        self._actor_class = ray.remote(TrainingActor).options(num_cpus=1, num_gpus=self._num_gpus,
                                                               max_concurrency=4)

    @classmethod
    def connect(cls, address: str | None = None) -> RayExecutor:
        """Connect to the Ray cluster at `address` ("host:port", "ray://host:port", "auto"), or start a local
        instance on every core of this machine when None. Raises when it cannot be reached (ConnectionError
        at once when nothing listens at the address). Prestarts one actor per slot."""
        if address:
            _check_reachable(address)
        started_local = False
        if not ray.is_initialized():  # else this process already joined a Ray instance (a test session)
            if address:
                _init_in_keeper(address=address, log_to_driver=False)
            else:
                _init_in_keeper(address="local", num_cpus=os.cpu_count() or 1, include_dashboard=False,
                                log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": _code_path()}})
                started_local = True
        executor = cls(address, started_local=started_local)
        atexit.register(executor._at_exit)  # after Ray's own exit hook, so it runs first: jobs end, then Ray
        executor.prestart(executor.slots())
        return executor

    def slots(self) -> int:
        """The cluster's CPUs: one job per CPU (each actor takes one)."""
        return max(1, self._cpus)

    def describe(self) -> str:
        where = f"the Ray cluster at {self.address}" if self.address else "a local Ray instance"
        nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
        gpu = f" sharing {self._num_gpus:.2g} of a GPU each" if self._num_gpus else ""
        return f"Ray actors on {where} ({nodes} node{'s' * (nodes != 1)}, {self._cpus} CPUs{gpu})"

    def prestart(self, n: int) -> None:
        """Start actors until `n` wait idle (they come up in the background)."""
        with self._lock:
            while len(self._idle) + len(self._busy) < n:
                self._idle.append(self._actor_class.remote())

    def actors(self) -> int:
        """Actors held now, idle and busy."""
        with self._lock:
            return len(self._idle) + len(self._busy)

    def _take(self) -> Any:
        with self._lock:
            actor = self._idle.pop(0) if self._idle else self._actor_class.remote()
            self._busy.append(actor)
            return actor

    def _give_back(self, actor: Any, reusable: bool) -> None:
        with self._lock:
            held = any(a is actor for a in self._busy)
            self._busy = [a for a in self._busy if a is not actor]
            if held and reusable and len(self._idle) + len(self._busy) < self.slots():
                self._idle.append(actor)
                return
        _kill(actor)

    def run(self, trainer: Callable[..., None], config: Any, emit: Callable[[Event], None], control: Control,
            inputs: dict[str, Any], placed: Callable[[Placement], None]) -> None:
        """Train in an actor and deliver its events to `emit` in this (the job's) thread; see the module doc."""
        actor = self._take()
        follower = _Follower(actor, emit, control)
        reusable = False
        try:
            where = follower.wait(actor.where.remote(), START_TIMEOUT_S)
            if where is None:  # stopped while the actor came up
                emit(RunFinished("stopped", 0, 0.0))
                reusable = True
                return
            placed(Placement(RAY, *where))
            follower.pid, follower.node = where
            ray.get(actor.start.remote(trainer, config, inputs, control.paused), timeout=CALL_TIMEOUT_S)
            reusable = follower.follow()
        except (RayActorError, WorkerDied) as e:
            emit(RunFailed("failed", follower.died_message(e), follower.step, follower.seconds()))
        except Exception as e:  # the cluster itself is gone or failing: the run fails, the server goes on
            emit(RunFailed("failed", f"Lost the Ray cluster while training: {type(e).__name__}: {e}",
                           follower.step, follower.seconds()))
        finally:
            self._give_back(actor, reusable)

    def close(self) -> None:
        """Kill every actor, idle or busy (a busy one's run fails); later runs start new ones."""
        with self._lock:
            actors = self._idle + self._busy
            self._idle, self._busy = [], []
        for actor in actors:
            _kill(actor)

    def shutdown(self) -> None:
        """Kill every actor and leave Ray (stopping the local instance this process started)."""
        self.close()
        if ray.is_initialized():
            ray.shutdown()
        _keeper_done.set()

    def _at_exit(self) -> None:
        jobs = sys.modules.get("playground.jobs")  # not imported at exit: an import then fails
        if jobs is not None:
            jobs.stop_all()  # every job's run ends while Ray is still there to end it
        self.shutdown()


class _Follower:
    """The job's side of one run in an actor: drains its events, forwards the job's control to it."""

    def __init__(self, actor: Any, emit: Callable[[Event], None], control: Control) -> None:
        self.actor, self.emit, self.control = actor, emit, control
        self.step = 0
        self.pid: int | None = None
        self.node = ""
        self.t0 = time.perf_counter()
        self._answered = 0  # the actor's parks that this side has waited through
        self._paused = control.paused  # the pause state last sent to the actor
        self._stop_by: float | None = None  # when a stop was sent: the deadline for the actor's trainer to end
        self._turn_sent = False  # the end of the job's current turn was sent to the actor
        self._watched_sent = -math.inf  # the job's watched_until last sent to the actor

    def seconds(self) -> float:
        return time.perf_counter() - self.t0

    def wait(self, ref: Any, timeout: float) -> Any:
        """ray.get(ref), giving up (None) if the job is stopped first; WorkerDied after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not ray.wait([ref], timeout=0.1)[0]:
            if self.control.stopped:
                return None
            if time.monotonic() > deadline:
                raise WorkerDied(f"no Ray worker came up within {timeout:g} s (is the cluster full?)")
        return ray.get(ref)

    def follow(self) -> bool:
        """Drain and steer until the trainer ends; True if the actor may train another run. Each drain waits in the
        actor up to DRAIN_S for the end or a pause; meanwhile the job's control is watched every POLL_S."""
        drain, asked = None, 0.0
        while True:
            self._forward()
            if self._stop_by is not None and time.monotonic() > self._stop_by:
                self.emit(RunFinished("stopped", self.step, self.seconds()))  # the trainer would not end: kill it
                return False
            if drain is None:
                drain, asked = self.actor.drain.remote(DRAIN_S, self._answered), time.monotonic()
            if not ray.wait([drain], timeout=POLL_S)[0]:
                if time.monotonic() - asked > CALL_TIMEOUT_S:
                    raise WorkerDied(f"it has not answered for {CALL_TIMEOUT_S:g} s")
                continue
            events, done, parks, parked = ray.get(drain)
            drain = None
            for event in events:
                if type(event) is StepEnded:
                    self.step = event.step
                self.emit(event)
            if done:
                return True
            if parked and parks > self._answered and self._stop_by is None:
                self._answered = parks
                self._wait_here()

    def _forward(self) -> None:
        """Send the job's stop or pause state to the actor when it changed, and its queued setting changes."""
        if getattr(self.control, "has_changes", False):  # live setting changes, where Control takes them
            for name, value, after_step in _take_queued(self.control):
                self.actor.change.remote(name, value, after_step)
        until = self.control.watched_until
        if until > self._watched_sent + WATCH_RESEND_S:  # a page reads the run: frames are captured in the actor too
            self._watched_sent = until
            self.actor.watch.remote(until - time.perf_counter())  # a duration: the actor's clock is its own
        if self.control.turn_over and not self._turn_sent:  # the queue ended the job's turn (playground.turns)
            self._turn_sent = True
            self.actor.end_turn.remote()
        if self.control.stopped:
            if self._stop_by is None:
                self.actor.stop.remote()
                self._stop_by = time.monotonic() + STOP_GRACE_S
        elif self.control.paused != self._paused:
            self._paused = self.control.paused
            (self.actor.pause if self._paused else self.actor.resume).remote()

    def _wait_here(self) -> None:
        """The actor has lent its place at a step boundary (paused, or its turn over): wait in the job's own control
        (lending the job's place in the queue, taking one again), then tell the actor what to do and let it go on.
        A first `wait` may only use up the turn's one step that this side never saw: it waits again then."""
        command = self.control.wait()
        if command is Command.RUN and self.control.turn_over:
            command = self.control.wait()
        self._turn_sent = False
        if command is Command.STEP:
            self.actor.step.remote()
        elif command is Command.RUN:
            self._paused = False
            self.actor.resume.remote()
        if command is not Command.STOP:  # STOP: `_forward` sends it, which also ends the actor's wait
            self.actor.grant.remote()

    def died_message(self, error: Exception) -> str:
        where = f" (process {self.pid} on node {self.node[:12]})" if self.pid else ""
        reason = str(error).strip().splitlines()[0][:200].rstrip(".") if str(error).strip() else type(error).__name__
        return (f"The Ray worker training this run{where} died at step {self.step:,}: {reason}. "
                "The server and the other runs go on; press Train to start again.")


def _take_queued(control: Control) -> list[tuple[str, float, int | None]]:
    """Every queued setting change of `control` with its step (`Control.change`), removed: the actor's control
    applies them. Reads the queue itself, as `Control.take_changes` drops the step a change waits for."""
    with control._cond:
        changes, control._changes = control._changes, []
    return changes


def _kill(actor: Any) -> None:
    try:
        ray.kill(actor, no_restart=True)
    except Exception:  # already gone, or Ray itself is shutting down
        pass


_keeper_done = threading.Event()


def _init_in_keeper(**kwargs: Any) -> None:
    """`ray.init(**kwargs)` in a thread that lives until `shutdown`. A local instance's processes (GCS, raylet)
    are killed when the thread that started them ends (Ray has the kernel signal them when their parent dies, and
    Linux counts the parent thread): started from a Streamlit script run, whose thread ends with the run, they
    died seconds later. Raises what ray.init raised."""
    started, failed = threading.Event(), []

    def keep() -> None:
        try:
            ray.init(**kwargs)
        except BaseException as e:
            failed.append(e)
            return
        finally:
            started.set()
        _keeper_done.wait()

    _keeper_done.clear()
    threading.Thread(target=keep, name="ray-instance", daemon=True).start()
    started.wait()
    if failed:
        raise failed[0]


def _code_path() -> str:
    """PYTHONPATH for a local instance's workers: the folder this server's `playground` package is imported from
    first, so that an actor runs the same code as the server (a source checkout beside an installed copy)."""
    import playground

    root = str(Path(playground.__file__).resolve().parents[1])
    return os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH", "")]))


def _check_reachable(address: str) -> None:
    """ConnectionError at once when nothing accepts a TCP connection at `address` (ray.init would retry for
    about 20 s); addresses without a port ("auto") are left to Ray."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as e:
        raise ConnectionError(f"nothing answers at {address} ({e.strerror or e})") from None
