"""Many users on one server: N simultaneous sessions train the default MLP preset on one `streamlit run`.

What a workshop does to the server, measured without browsers (thirty Chromiums cannot run on two
cores): each session is a real websocket client speaking Streamlit's own protocol, as the browser's
frontend does. It opens the MLP page (a `rerun_script` BackMsg for page "mlp"), presses Train (the
button's widget id with `trigger_value`), and, like the frontend's timers, reruns the live fragment
every `auto_rerun` interval the server asks for until a full rerun stops asking; it keeps the
frontend's message cache too. Every session presses Train at the same moment, once all pages have
loaded. Per N, a fresh server, started as the browser tests start it, with
PLAYGROUND_SESSION_GRACE_S=5. One row per N:

  done, fail     jobs that reached "completed" / anything else (failed, diverged, stopped, or "lost":
                 the session never saw its job end within the time limit)
  queue wait     how long each job showed "queued, position k" on its page: median and longest
  steps/s        per job (the final progress text: steps / seconds of the whole run), and all jobs
                 together (their steps / the span from the first job starting to the last one ending),
                 against one job alone (the N=1 row; run first when not asked for)
  update p50/p95 time between successive redraws of the live panel (its progress bar delta) received
                 by each session while its job trained, pooled over sessions
  queued p95     the same while jobs waited in the queue (that page refreshes every QUEUED_UPDATE_S)
  RSS MB         the server's resident memory (psutil, sampled every 0.25 s): before (one session has
                 loaded the page, so torch and the engine are imported, and left), peak, and after
  job threads    the server's threads named "playground-job": most at once, and how many are still
                 alive AFTER_S seconds after every session left

Runs are shortened to EPOCHS epochs (the preset trains 100) through the page's URL,
`?training.epochs=30`, so N = 1, 10 and 30 take about three minutes together; `--epochs 100` runs the
preset as it is (N = 30 then takes several minutes, more on a busy machine).

"Leaving" is a workshop's ending: when every job has finished, each session sets Epochs to
LEAVE_EPOCHS, presses Train once more and closes its tab as soon as the new run shows queued or
running, so N long jobs are abandoned mid-run and the server must stop them once the grace period is
over (a reaper pass every 0.5 s). "after" is measured AFTER_S s later. The server log is scanned for
tracebacks, and the notes under the table say what went wrong, how much CPU the server, this load
generator and other processes on the machine used, and whether any session went without updates.

Python 3.11 does not give threads their names at the OS level, so the server is started with a
`sitecustomize` (written to a temporary folder on its PYTHONPATH) that copies each Python thread's name
to the OS thread (prctl PR_SET_NAME) when it starts; /proc/<pid>/task/*/comm then shows
"playground-job". Nothing else in the server changes.

Caveats: the load generator runs on the same cores as the server; other work on the machine skews
every number (a warning says so); the queue cap is the app's (PLAYGROUND_MAX_JOBS, default one per
core); only 127.0.0.1 is contacted.

Fair turns (playground.turns): `--turn-s 0 2` (or `--turns`) measures each N on a server of each
PLAYGROUND_TURN_S, first come first served (0) against turns of 2 s, and a second table compares them: time from
Train to the first plotted point and to the end (p50, p95) and all jobs' steps per second from the first Train to
the last end (the first table's "all st/s" places each job's training time just before its end, which under
turns leaves out the waits between its turns).

--executor thread ray runs each N on each executor in turn (a fresh server each, PLAYGROUND_EXECUTOR set), each
against its own one job alone; with ray the server starts a local Ray instance on every core, so the cap is the
CPUs. The columns "Ray MB" are the resident memory of the server's child processes (Ray's own processes and the
actors; RSS summed, so shared pages count more than once), and the notes give their CPU seconds. Before the
sessions start, the server is left to settle (its processes quiet: a Ray instance prestarts its actors).
--cluster then runs benchmarks/ray_cluster.py: a simulated two-node cluster on this machine (placement of jobs on
both nodes) and the fault test (a worker killed mid-run).

Run: .venv/bin/python benchmarks/load.py --sessions 1 10 30     (add --logs DIR to keep the server logs)
     .venv/bin/python benchmarks/load.py --sessions 10 30 --turns
     .venv/bin/python benchmarks/load.py --executor thread ray --sessions 1 10 30 --cluster
"""

from __future__ import annotations

import argparse
import inspect
import math
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.e2e.server, the launch helpers the browser tests use

import psutil  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

from playground.mlp.presets import DEFAULT_PRESET, PRESETS  # noqa: E402
from tests.e2e.server import crash_lines, start_server, stop_server  # noqa: E402

GRACE_S = 5  # PLAYGROUND_SESSION_GRACE_S for the server: a closed tab's job is stopped this long after
AFTER_S = 15.0  # "after" is measured this long after the last session left (grace + a reaper pass + margin)
SAMPLE_S = 0.25
STALL_S = 10.0  # a session without a live update for this long while its job is active is reported
LEAVE_EPOCHS = 2000  # the abandoned second runs: 50,000 steps, far longer than the grace period even alone
EPOCHS = 30  # default run length: the preset's 100 epochs shortened (through the URL) so N=30 fits a few minutes
MAX_CACHED_AGE = 2  # Streamlit's global.maxCachedMessageAge, which the frontend's message cache follows
JOB_THREAD = "playground-job"
MB = 2**20
STATUS_RE = re.compile(r"\b(queued|starting|running|paused|completed|stopped|diverged|failed)\b")
RATE_RE = re.compile(r"([\d,.]+) steps/s")
STEP_RE = re.compile(r"step ([\d,]+)/([\d,]+)")
TERMINAL = ("completed", "stopped", "diverged", "failed")
HOME_COUNTS_RE = re.compile(r"(\d+) job\(s\) training, (\d+) waiting \(at most (\d+) train at once\)")
HOME_EXECUTOR_RE = re.compile(r"(\d+) training slots? \(executor: (\w+)\)")
SETTLED_CORES = 0.3  # the server and its children use less CPU than this (cores, over a second): settled
SETTLE_S = 120.0  # at most this long

# websockets >= 16 warns unless a connection opened outside `with` asks for the plain connection.
LEGACY = {"legacy": True} if "legacy" in inspect.signature(connect).parameters else {}
# Copies each Python thread's name to the OS thread, so /proc/<pid>/task/*/comm names it (Linux; 15 bytes).
SITECUSTOMIZE = '''"""Written by benchmarks/load.py: name OS threads after their Python threads (prctl PR_SET_NAME)."""
import ctypes
import threading

try:
    _prctl = ctypes.CDLL(None).prctl
except (OSError, AttributeError):
    _prctl = None
if _prctl is not None:
    _inner = threading.Thread._bootstrap_inner

    def _bootstrap_inner(self):
        try:
            _prctl(15, self.name.encode()[:15], 0, 0, 0)
        except Exception:
            pass
        _inner(self)

    threading.Thread._bootstrap_inner = _bootstrap_inner
'''


# --- one browser tab, in Streamlit's websocket protocol ----------------------------------------------


class Tab:
    """A Streamlit session over a websocket, doing what the browser frontend does for this app.

    Not thread-safe: one thread drives one tab. `pump` receives ForwardMsgs and fires the live
    fragment's rerun timers; everything it learns is kept on the tab (widget ids, query string, the
    progress text and its arrival times, exceptions shown).
    """

    def __init__(self, port: int, page: str, query: str) -> None:
        self.url = f"ws://127.0.0.1:{port}/_stcore/stream"
        self.page = page
        self.query = query
        self.page_hash = ""
        self.ws = None
        self.buttons: dict[str, str] = {}  # label -> widget id
        self.numbers: dict[str, str] = {}  # number_input label -> widget id
        self.timers: dict[str, list[float]] = {}  # fragment id -> [interval, next due]
        # The frontend's message cache: hash -> [script runs counted when last used, fragment id]. Entries
        # not used for more than MAX_CACHED_AGE runs expire, as in the frontend (global.maxCachedMessageAge).
        self.cached: dict[str, list] = {}
        self.runs = 0
        self.full_runs_finished = 0
        self.progress: tuple[float, str] | None = None  # (arrival, text) of the last progress delta
        self.progress_times: list[float] = []  # arrivals of live-panel progress deltas
        self.texts: list[str] = []  # markdown / caption texts of the last full run
        self.errors: list[str] = []  # exceptions the page showed

    def open(self) -> None:
        # proxy=None: never route through a proxy from the environment; only 127.0.0.1 is contacted.
        self.ws = connect(self.url, subprotocols=["streamlit"], max_size=None, open_timeout=60, close_timeout=2,
                          proxy=None, **LEGACY)
        self.rerun()

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None

    def rerun(self, trigger: str = "", fragment_id: str = "", auto: bool = False,
              ints: dict[str, int] | None = None) -> None:
        """A rerun_script BackMsg: the page load, a button press (`trigger`: its widget id), new values for
        integer number_inputs (`ints`: widget id -> value) or a fragment timer.

        Widgets the message does not mention keep their previous values on the server.
        """
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        cs.page_script_hash = self.page_hash
        cs.page_name = "" if self.page_hash else self.page
        cs.fragment_id = fragment_id
        cs.is_auto_rerun = auto
        cs.cached_message_hashes.extend(self.cached)
        for widget_id, value in (ints or {}).items():
            w = cs.widget_states.widgets.add()
            w.id = widget_id
            w.int_value = value
        if trigger:
            w = cs.widget_states.widgets.add()
            w.id = trigger
            w.trigger_value = True
        self.ws.send(msg.SerializeToString())

    def pump(self, seconds: float) -> None:
        """Receive and handle messages for `seconds`, firing the fragment timers when they are due."""
        end = time.monotonic() + seconds
        while True:
            now = time.monotonic()
            for fragment_id, timer in list(self.timers.items()):
                if timer[1] <= now:
                    self.rerun(fragment_id=fragment_id, auto=True)
                    timer[1] += timer[0]
                    if timer[1] <= now:  # late (a busy client): like setInterval, no burst to catch up
                        timer[1] = now + timer[0]
            if now >= end:
                return
            due = min([end, *(t[1] for t in self.timers.values())])
            try:
                data = self.ws.recv(timeout=max(due - now, 0.001))
            except TimeoutError:
                continue
            self._handle(data, time.monotonic())

    def _handle(self, data: bytes, t: float) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind == "ref_hash" and msg.ref_hash in self.cached:
            self.cached[msg.ref_hash][0] = self.runs
        elif msg.metadata.cacheable and msg.hash:
            self.cached.setdefault(msg.hash, [self.runs, msg.delta.fragment_id])[0] = self.runs
        if kind == "navigation":  # new_session names the entry script; st.navigation names the page shown
            self.page_hash = msg.navigation.page_script_hash or self.page_hash
        elif kind == "new_session":
            if not msg.metadata.run.fragment_ids:  # a full run: the frontend drops every timer
                self.timers.clear()
                self.buttons.clear()
                self.numbers.clear()
                self.texts.clear()
        elif kind == "auto_rerun":
            a = msg.auto_rerun
            if a.fragment_id and (a.fragment_id not in self.timers or self.timers[a.fragment_id][0] != a.interval):
                self.timers[a.fragment_id] = [a.interval, t + a.interval]
        elif kind == "stop_auto_rerun":
            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                self.timers.pop(fragment_id, None)
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "script_finished":
            fragments = msg.metadata.run.fragment_ids
            if not fragments:
                self.full_runs_finished += 1
            self.runs += 1
            for h, (used, fragment_id) in list(self.cached.items()):
                if (not fragments or fragment_id in fragments) and self.runs - used > MAX_CACHED_AGE:
                    del self.cached[h]
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            el = msg.delta.new_element
            what = el.WhichOneof("type")
            if what == "button":
                self.buttons[el.button.label] = el.button.id
            elif what == "number_input":
                self.numbers[el.number_input.label] = el.number_input.id
            elif what == "progress" and msg.delta.fragment_id:
                self.progress = (t, el.progress.text)
                self.progress_times.append(t)
            elif what == "markdown":
                self.texts.append(el.markdown.body)
            elif what == "exception":
                self.errors.append(f"{el.exception.type}: {el.exception.message}"[:300])


def status_of(text: str) -> str:
    m = STATUS_RE.search(text)
    return m.group(1) if m else "?"


# --- one training session ----------------------------------------------------------------------------


@dataclass
class Result:
    index: int
    loaded_s: float | None = None  # page load time
    queued_at: float | None = None
    started_at: float | None = None  # first non-queued status of the job
    train_at: float | None = None  # when Train was pressed
    first_point_at: float | None = None  # first progress text with a step taken: the loss chart's first point
    ended_at: float | None = None
    final_text: str = ""
    status: str = "lost"  # the job's terminal status, or "lost" when the session never saw it
    steps: int = 0
    steps_per_s: float = 0.0
    updates: list[float] = field(default_factory=list)  # live-panel redraw times while the job was active
    left_with: str = ""  # status of the abandoned second run when the tab closed
    left_text: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def queue_wait(self) -> float:
        if self.queued_at is None:
            return 0.0
        return (self.started_at or self.ended_at or time.monotonic()) - self.queued_at


class Session(threading.Thread):
    """Loads the MLP page, waits for `go`, trains once, waits for `leave`, then presses Train again and
    closes the tab while that run is queued or running. Every wait is bounded by `deadline`."""

    def __init__(self, index: int, port: int, query: str, go: threading.Event, leave: threading.Event,
                 deadline: float) -> None:
        super().__init__(name=f"session-{index}", daemon=True)
        self.r = Result(index)
        self.port, self.query, self.go, self.leave, self.deadline = port, query, go, leave, deadline
        self.loaded = threading.Event()
        self.finished = threading.Event()  # the first job ended (or the session gave up)
        self.closed = threading.Event()

    def run(self) -> None:
        tab = Tab(self.port, "mlp", self.query)
        try:
            t0 = time.monotonic()
            tab.open()
            while not ("Train" in tab.buttons and tab.full_runs_finished) and self._time_left():
                tab.pump(0.1)
            if "Train" not in tab.buttons:
                self.r.errors.append("the page never showed its Train button")
                return
            self.r.loaded_s = time.monotonic() - t0
            self.loaded.set()
            while not self.go.is_set() and self._time_left():
                tab.pump(0.1)
            self._train(tab)
            self.finished.set()
            while not self.leave.is_set() and self._time_left():
                tab.pump(0.1)
            self._abandon(tab)
        except Exception as e:  # a broken connection is a result, not a crash of the benchmark
            self.r.errors.append(f"client: {type(e).__name__}: {e}"[:300])
        finally:
            self.r.errors += tab.errors
            self.loaded.set()
            self.finished.set()
            try:
                tab.close()
            except Exception:
                pass
            self.closed.set()

    def _time_left(self) -> bool:
        return time.monotonic() < self.deadline

    def _train(self, tab: Tab) -> None:
        r = self.r
        tab.progress_times.clear()
        tab.progress = None
        r.train_at = time.monotonic()
        tab.rerun(trigger=tab.buttons["Train"])
        while self._time_left():
            tab.pump(0.05)
            if tab.progress is None:
                continue
            t, text = tab.progress
            status = status_of(text)
            if r.first_point_at is None and (m := STEP_RE.search(text)) and int(m.group(1).replace(",", "")) > 0:
                r.first_point_at = t
            if status == "queued" and r.queued_at is None:
                r.queued_at = t
            elif status not in ("queued", "?") and r.started_at is None:
                r.started_at = t
            if status in TERMINAL:
                r.ended_at, r.final_text, r.status = t, text, status
                if m := STEP_RE.search(text):
                    r.steps = int(m.group(1).replace(",", ""))
                if m := RATE_RE.search(text):
                    r.steps_per_s = float(m.group(1).replace(",", ""))
                break
        r.updates = [t for t in tab.progress_times if r.ended_at is None or t < r.ended_at]
        if r.status == "lost" and tab.progress:
            r.final_text = tab.progress[1]

    def _abandon(self, tab: Tab) -> None:
        end = min(self.deadline, time.monotonic() + 10)
        while self.r.ended_at is not None and "Train" not in tab.buttons and time.monotonic() < end:
            tab.pump(0.05)  # the run just ended: its full rerun brings the Train button back
        if "Train" not in tab.buttons:  # still training the first run (it never ended): leave as it is
            self.r.left_with = status_of(tab.progress[1]) if tab.progress else "?"
            return
        tab.progress = None
        epochs = {tab.numbers["Epochs"]: LEAVE_EPOCHS} if "Epochs" in tab.numbers else {}
        tab.rerun(trigger=tab.buttons["Train"], ints=epochs)
        end = min(self.deadline, time.monotonic() + 30)
        while time.monotonic() < end:
            tab.pump(0.05)
            if tab.progress and status_of(tab.progress[1]) not in (*TERMINAL, "?"):
                break
        self.r.left_with = status_of(tab.progress[1]) if tab.progress else "?"
        self.r.left_text = tab.progress[1] if tab.progress else ""


def probe_home(port: int, timeout: float = 30.0, pattern: re.Pattern = HOME_COUNTS_RE) -> tuple | None:
    """The groups of `pattern` in the home page's texts, numbers as ints: by default (jobs training, waiting,
    cap); with HOME_EXECUTOR_RE (training slots, executor). None when the page never shows it."""
    tab = Tab(port, "", "")
    try:
        tab.open()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            tab.pump(0.1)
            for text in tab.texts:
                if m := pattern.search(text):
                    return tuple(int(g) if g.isdigit() else g for g in m.groups())
        return None
    finally:
        tab.close()


def warm_up(port: int, query: str, timeout: float = 120.0) -> None:
    """One session loads the MLP page (imports torch and the engine) and leaves without training."""
    tab = Tab(port, "mlp", query)
    try:
        tab.open()
        end = time.monotonic() + timeout
        while not ("Train" in tab.buttons and tab.full_runs_finished) and time.monotonic() < end:
            tab.pump(0.1)
    finally:
        tab.close()


# --- the server's side -------------------------------------------------------------------------------


class Sampler(threading.Thread):
    """Samples the server's RSS, its job threads (by OS thread name) and its child processes' RSS (Ray's
    processes and actors, when the server started a local instance) every SAMPLE_S seconds."""

    def __init__(self, pid: int) -> None:
        super().__init__(name="sampler", daemon=True)
        self.proc = psutil.Process(pid)
        self.stop = threading.Event()
        self.children = Children(self.proc)
        self.samples: list[tuple[float, float, int, float]] = []  # (time, RSS MB, job threads, children's RSS MB)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                rss = self.proc.memory_info().rss / MB
                self.samples.append((time.monotonic(), rss, job_threads(self.proc.pid), self.children.rss_mb()))
            except psutil.Error:
                return
            self.stop.wait(SAMPLE_S)

    def window(self, t0: float, t1: float) -> list[tuple[float, float, int, float]]:
        return [s for s in self.samples if t0 <= s[0] <= t1]


class Children:
    """The server's descendant processes: their RSS summed, and the CPU seconds each has used as last seen (so a
    process that ended between two looks still counts what it used until the last one)."""

    def __init__(self, proc: psutil.Process) -> None:
        self.proc = proc
        self.cpu: dict[int, float] = {}

    def rss_mb(self) -> float:
        total = 0.0
        for child in self._all():
            try:
                total += child.memory_info().rss / MB
                times = child.cpu_times()
                self.cpu[child.pid] = times.user + times.system
            except psutil.Error:
                pass
        return total

    def cpu_s(self) -> float:
        self.rss_mb()
        return sum(self.cpu.values())

    def _all(self) -> list[psutil.Process]:
        try:
            return self.proc.children(recursive=True)
        except psutil.Error:
            return []


def settle(proc: psutil.Process, children: Children, actors: int = 0) -> float:
    """Wait until `actors` of the server's children are Ray's TrainingActor processes and the server and its
    children have used less than SETTLED_CORES for three seconds in a row (the actors' imports are done), at most
    SETTLE_S seconds in all; the seconds waited."""
    t0, quiet = time.monotonic(), 0
    while time.monotonic() - t0 < SETTLE_S and quiet < 3:
        before = sum(proc.cpu_times()[:2]) + children.cpu_s()
        time.sleep(1.0)
        busy = sum(proc.cpu_times()[:2]) + children.cpu_s() - before
        up = sum(1 for c in children._all() if _title(c).startswith("ray::TrainingActor"))
        quiet = quiet + 1 if busy < SETTLED_CORES and up >= actors else 0
    return time.monotonic() - t0


def _title(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return ""


def thread_names(pid: int) -> list[str]:
    names = []
    for comm in Path(f"/proc/{pid}/task").glob("*/comm"):
        try:
            names.append(comm.read_text().strip())
        except OSError:  # the thread ended while we looked
            pass
    return names


def job_threads(pid: int) -> int:
    return sum(name == JOB_THREAD for name in thread_names(pid))


def log_problems(log: str) -> list[str]:
    """Tracebacks and crash lines in the server log (first line of each traceback's last line)."""
    lines = log.splitlines()
    found = crash_lines(log)
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            j = i + 1
            while j < len(lines) and (lines[j].startswith(" ") or lines[j].startswith("Traceback")):
                j += 1
            found.append(lines[j] if j < len(lines) else line)
    return found


# --- one N -------------------------------------------------------------------------------------------


def gaps_of(r: Result, queued: bool = False) -> list[float]:
    """Seconds between successive live-panel redraws of one session while its job trained (or, with
    `queued`, while it waited in the queue: that page refreshes more slowly by design)."""
    start = r.started_at if r.started_at is not None else math.inf
    times = [t for t in r.updates if (t < start) == queued]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


@dataclass
class Row:
    n: int
    turn_s: str  # the server's PLAYGROUND_TURN_S ("0": first come, first served; "default": its setting)
    results: list[Result]
    train_span: float  # first job starting to last job ending, seconds (see run_n)
    rss_idle: float
    rss_before: float
    rss_peak: float
    rss_after: float
    threads_peak: int
    threads_after: int
    threads_gone_s: float | None  # when the last job thread ended, seconds after the last tab closed
    home: tuple[int, int, int] | None
    log_problems: list[str]
    cpu: tuple[float, float, float, float]  # CPU seconds while the sessions ran: server, load generator, other
    #                                          processes, and what the machine had (wall x cores)
    wall_s: float
    executor: str = "thread"  # the one asked for (PLAYGROUND_EXECUTOR)
    shown: tuple | None = None  # (training slots, executor) as Home states them
    children_mb: tuple[float, float, float] = (0.0, 0.0, 0.0)  # the server's child processes' RSS: before, peak, after
    children_cpu_s: float = 0.0  # their CPU seconds while the sessions ran
    settle_s: float = 0.0
    children_left: int = 0  # child processes of the server still alive after it was stopped

    @property
    def done(self) -> list[Result]:
        return [r for r in self.results if r.status == "completed"]

    @property
    def update_gaps(self) -> list[float]:
        """Seconds between successive live-panel redraws while training, per session, pooled."""
        return [g for r in self.results for g in gaps_of(r)]

    @property
    def queued_gaps(self) -> list[float]:
        return [g for r in self.results for g in gaps_of(r, queued=True)]

    @property
    def aggregate(self) -> float:
        return sum(r.steps for r in self.done) / self.train_span if self.train_span > 0 else 0.0

    @property
    def first_points(self) -> list[float]:
        """Seconds from Train to the first progress with a step taken (the loss chart's first point), per job;
        a job that never showed one counts the whole time it was watched."""
        return [(r.first_point_at or r.ended_at or time.monotonic()) - r.train_at
                for r in self.results if r.train_at is not None]

    @property
    def finishes(self) -> list[float]:
        """Seconds from Train to the end seen on the page, per completed job."""
        return [r.ended_at - r.train_at for r in self.done if r.train_at is not None]

    @property
    def from_train(self) -> float:
        """All completed jobs' steps over the span from the first Train to the last end seen: the same clock for
        every queue (a job's own steps/s counts its training time only, which turns make a fraction of its
        wall time)."""
        done = [r for r in self.done if r.train_at is not None]
        if not done:
            return 0.0
        span = max(r.ended_at for r in done) - min(r.train_at for r in self.results if r.train_at is not None)
        return sum(r.steps for r in done) / span if span > 0 else 0.0


def cpu_snapshot(server: psutil.Process) -> tuple[float, float, float, float]:
    """CPU seconds so far of (the server, this process, the whole machine busy) and the monotonic clock."""
    machine = psutil.cpu_times()
    busy = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
    return sum(server.cpu_times()[:2]), sum(psutil.Process().cpu_times()[:2]), busy, time.monotonic()


def run_n(n: int, query: str, timeout: float, tmp: Path, turn_s: str = "default", executor: str = "thread") -> Row:
    """One N on a fresh server whose runs take turns of `turn_s` seconds ("0": first come, first served;
    "default": the server's own setting) and train on `executor` (PLAYGROUND_EXECUTOR)."""
    t_wall = time.monotonic()
    if turn_s == "default":
        os.environ.pop("PLAYGROUND_TURN_S", None)
    else:
        os.environ["PLAYGROUND_TURN_S"] = turn_s
    os.environ["PLAYGROUND_EXECUTOR"] = executor
    server = start_server(tmp / f"server-{executor}-{n}-turn-{turn_s}.log", timeout=120)
    sampler = Sampler(server.proc.pid)
    children_pids: list[int] = []
    try:
        proc = psutil.Process(server.proc.pid)
        rss_idle = proc.memory_info().rss / MB
        warm_up(server.port, query)
        shown = probe_home(server.port, pattern=HOME_EXECUTOR_RE)  # the registry (and Ray) start with the page
        actors = shown[0] if shown and shown[1] == "ray" else 0  # a local instance prestarts one per slot
        settle_s = settle(proc, sampler.children, actors)
        rss_before, children_before = proc.memory_info().rss / MB, sampler.children.rss_mb()
        sampler.start()
        cpu0, children_cpu0 = cpu_snapshot(proc), sampler.children.cpu_s()
        results, t_left = run_sessions(n, server.port, query, timeout)
        cpu = tuple(b - a for a, b in zip(cpu0, cpu_snapshot(proc), strict=True))
        children_cpu = sampler.children.cpu_s() - children_cpu0
        time.sleep(AFTER_S)
        rss_after, children_after = proc.memory_info().rss / MB, sampler.children.rss_mb()
        threads_after = job_threads(server.proc.pid)
        sampler.stop.set()
        sampler.join(5)
        home = probe_home(server.port)
        children_pids = [c.pid for c in sampler.children._all()]
    finally:
        sampler.stop.set()
        stop_server(server)
    left = sum(1 for pid in children_pids if _alive(pid, within_s=10.0))
    # Each job's own duration (its steps / its steps/s, measured by the server) placed before the moment its
    # end was seen: the span then carries one observation delay at most, not a start and an end delay.
    done = [r for r in results if r.status == "completed" and r.steps_per_s > 0]
    span = max(r.ended_at for r in done) - min(r.ended_at - r.steps / r.steps_per_s for r in done) if done else 0.0
    during = sampler.window(0.0, t_left)
    after_leaving = sampler.window(t_left, float("inf"))
    alive = [t for t, _, k, _ in after_leaving if k > 0]
    gone = None if threads_after else (max(alive) - t_left + SAMPLE_S if alive else 0.0)
    other = max(0.0, cpu[2] - cpu[0] - cpu[1] - children_cpu)
    return Row(n, turn_s, results, span, rss_idle, rss_before, max((m for _, m, _, _ in during), default=rss_before),
               rss_after, max((k for _, _, k, _ in during), default=0), threads_after, gone, home,
               log_problems(server.log()), (cpu[0], cpu[1], other, cpu[3] * (os.cpu_count() or 1)),
               time.monotonic() - t_wall, executor, shown,
               (children_before, max((c for *_, c in during), default=children_before), children_after),
               children_cpu, settle_s, left)


def run_sessions(n: int, port: int, query: str, timeout: float) -> tuple[list[Result], float]:
    """N sessions load the page, press Train together, and leave; their results and when the last tab closed."""
    go, leave = threading.Event(), threading.Event()
    deadline = time.monotonic() + timeout
    sessions = [Session(i, port, query, go, leave, deadline) for i in range(n)]
    for s in sessions:
        s.start()
    for s in sessions:
        s.loaded.wait(max(0.0, deadline - time.monotonic()))
    go.set()
    for s in sessions:
        s.finished.wait(max(0.0, deadline - time.monotonic()))
    leave.set()
    for s in sessions:
        s.closed.wait(max(0.0, deadline + 35 - time.monotonic()))
    return [s.r for s in sessions], time.monotonic()


def _alive(pid: int, within_s: float) -> bool:
    """Whether process `pid` is still alive (not a zombie) after waiting up to `within_s` seconds for it to end."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            return False
        time.sleep(0.2)
    return True


# --- the report --------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))]


HEADER = (f"{'exec':>6} {'N':>3} {'turn':>7} {'done':>4} {'fail':>4} {'queue wait s':>13} {'job st/s':>8} "
          f"{'all st/s':>8} "
          f"{'x 1 job':>7} "
          f"{'update p50':>10} {'p95':>6} {'queued p95':>10} {'RSS MB before':>13} {'peak':>6} {'after':>6} "
          f"{'after/bef':>9} "
          f"{'job thr max':>11} {'left':>4} {'Ray MB before':>13} {'peak':>6} {'after':>6}")


def format_row(row: Row, one_job: float) -> str:
    done = row.done
    waits = [r.queue_wait for r in row.results if r.queued_at is not None] or [0.0]
    per_job = statistics.mean([r.steps_per_s for r in done]) if done else float("nan")
    gaps = row.update_gaps
    ratio = row.aggregate / one_job if one_job else float("nan")
    threads = (row.threads_peak, row.threads_after) if row.threads_peak else ("n/a", "n/a")
    return (f"{row.executor:>6} {row.n:>3} {row.turn_s:>7} {len(done):>4} {row.n - len(done):>4} "
            f"{statistics.median(waits):>6.1f} /{max(waits):>5.1f} {per_job:>8.0f} {row.aggregate:>8.0f} "
            f"{ratio:>7.2f} {pct(gaps, 50):>10.2f} {pct(gaps, 95):>6.2f} {pct(row.queued_gaps, 95):>10.2f} "
            f"{row.rss_before:>13.0f} {row.rss_peak:>6.0f} {row.rss_after:>6.0f} "
            f"{row.rss_after / row.rss_before:>9.2f} {threads[0]:>11} {threads[1]:>4} "
            f"{row.children_mb[0]:>13.0f} {row.children_mb[1]:>6.0f} {row.children_mb[2]:>6.0f}")


TURNS_HEADER = (f"{'exec':>6} {'N':>3} {'turn':>7} {'done':>4} {'Train to 1st point p50':>22} {'p95':>6} "
                f"{'Train to end p50':>16} {'p95':>6} {'all st/s from Train':>19}")


def format_turns(row: Row) -> str:
    """Turns against first come, first served: how soon each run showed a point and finished, and the jobs'
    steps per second together on one clock (from the first Train)."""
    first, finish = row.first_points, row.finishes
    return (f"{row.executor:>6} {row.n:>3} {row.turn_s:>7} {len(row.done):>4} "
            f"{pct(first, 50):>22.1f} {pct(first, 95):>6.1f} "
            f"{pct(finish, 50):>16.1f} {pct(finish, 95):>6.1f} {row.from_train:>19.0f}")


def notes(row: Row) -> list[str]:
    out = []
    failed = [r for r in row.results if r.status != "completed"]
    if failed:
        kinds = [r.status for r in failed]
        out.append("not completed: " + ", ".join(f"{kinds.count(k)} {k}" for k in sorted(set(kinds)))
                   + " ('lost': the session never saw its job end within the time limit)")
    for r in failed[:3]:
        out.append(f"session {r.index}: {r.status}: last progress {r.final_text or '(none shown)'}")
    errors = [f"session {r.index}: {e}" for r in row.results for e in r.errors]
    out += errors[:5] + ([f"... and {len(errors) - 5} more errors"] if len(errors) > 5 else [])
    if row.log_problems:
        out.append(f"server log: {len(row.log_problems)} traceback(s)/crash line(s), e.g. {row.log_problems[0][:200]}")
    left = [r.left_with for r in row.results]
    states = ", ".join(f"{left.count(s)} {s}" for s in sorted(set(left)))
    stalled = sum(any(g > STALL_S for g in [*gaps_of(r), *gaps_of(r, queued=True)]) for r in row.results)
    if stalled:
        out.append(f"{stalled} session(s) received no live update for more than {STALL_S:.0f} s while their job "
                   "was active")
    if not row.threads_peak:
        out.append("job threads n/a: no server thread was named playground-job (the sitecustomize did not load?)")
    gone = "still alive" if row.threads_gone_s is None else f"all ended {row.threads_gone_s:.1f} s after"
    out.append(f"leaving: second runs {states} when their tabs closed; job threads {gone} the last tab closed")
    if row.home:
        out.append(f"home page after leaving: {row.home[0]} training, {row.home[1]} waiting, cap {row.home[2]}")
    loads = [r.loaded_s for r in row.results if r.loaded_s is not None]
    gaps = row.update_gaps
    out.append(f"page load median {statistics.median(loads) if loads else float('nan'):.1f} s; training span "
               f"{row.train_span:.1f} s; update max {max(gaps, default=float('nan')):.2f} s "
               f"over {len(gaps)} intervals; "
               f"RSS at start {row.rss_idle:.0f} MB")
    server, client, other, had = row.cpu
    out.append(f"CPU while the sessions ran: server {server:.0f} s, its child processes (Ray) "
               f"{row.children_cpu_s:.0f} s, load generator {client:.0f} s, other processes {other:.0f} s, "
               f"of {had:.0f} core-seconds; {row.wall_s:.0f} s wall for this N")
    slots, shown = row.shown if row.shown else ("?", "not shown")
    out.append(f"Home: executor {shown}, {slots} training slots (asked for {row.executor}); settled "
               f"{row.settle_s:.0f} s before the sessions; server child processes alive after it stopped: "
               f"{row.children_left}")
    if had and other / had > 0.1:
        out.append(f"WARNING: other processes on this machine used {other / had:.0%} of its CPU during this N; "
                   "rerun on a quiet machine for clean numbers")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 30], help="values of N, each in turn")
    parser.add_argument("--epochs", type=int, default=EPOCHS,
                        help=f"epochs per run, set through the page's URL (?training.epochs=E) when not the preset's "
                             f"(default {EPOCHS}; the preset has {PRESETS[DEFAULT_PRESET].config.training.epochs})")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per N before sessions give up "
                        "(default 60 + max(4, 0.12 x epochs) s per session)")
    parser.add_argument("--logs", help="keep each server's log in this folder as server-<executor>-<N>-turn-<T>.log")
    parser.add_argument("--executor", nargs="+", choices=("thread", "ray"), default=["thread"],
                        help="where the server's runs train (PLAYGROUND_EXECUTOR), each in turn")
    parser.add_argument("--cluster", action="store_true", help="then the simulated two-node Ray cluster and the "
                        "fault test (benchmarks/ray_cluster.py)")
    parser.add_argument("--turn-s", nargs="+", default=["default"],
                        help="the server's PLAYGROUND_TURN_S: each N is measured once per value, e.g. --turn-s 0 2 "
                             "compares first come, first served (0) with turns of 2 s (default: the server's setting)")
    parser.add_argument("--turns", action="store_true", help="short for --turn-s 0 2")
    args = parser.parse_args()
    turn_values = ["0", "2"] if args.turns else [str(float(t)).removesuffix(".0") if t != "default" else t
                                                   for t in dict.fromkeys(args.turn_s)]
    preset = PRESETS[DEFAULT_PRESET].config
    epochs = args.epochs
    query = f"training.epochs={epochs}" if epochs != preset.training.epochs else ""
    ns = list(dict.fromkeys(args.sessions))
    baseline_added = 1 not in ns
    if baseline_added:
        ns.insert(0, 1)
    os.environ["PLAYGROUND_SESSION_GRACE_S"] = str(GRACE_S)
    cap = os.environ.get("PLAYGROUND_MAX_JOBS") or f"default (the executor's; {os.cpu_count()} CPU cores)"
    shortened = f" (the preset's {preset.training.epochs}, changed via ?{query})" if query else ""
    print(f"{DEFAULT_PRESET} preset, {epochs} epochs{shortened}; "
          f"CPU cores {os.cpu_count()}; PLAYGROUND_MAX_JOBS {cap}; grace {GRACE_S} s; after = {AFTER_S:.0f} s "
          f"after the last tab closed; executors {', '.join(args.executor)}", flush=True)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        logs = Path(args.logs or tmp)
        site = Path(tmp) / "site"
        site.mkdir()
        (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
        for n in ns:
            timeout = args.timeout or 60 + n * max(4.0, 0.12 * epochs)
            for executor in args.executor:  # interleaved: each N on each executor before the next N
                for turn_s in turn_values[:1] if n == 1 else turn_values:  # one job alone takes no turns
                    rows.append(run_n(n, query, timeout, logs, turn_s, executor))
                    print(f"  N={n}, {executor}, turn {turn_s} measured in {rows[-1].wall_s:.0f} s", file=sys.stderr,
                          flush=True)
    print(HEADER)
    for row in rows:
        alone = next(r for r in rows if r.executor == row.executor and r.n == 1)
        print(format_row(row, alone.done[0].steps_per_s if alone.done else 0.0))
    print("fail: failed, diverged, stopped or lost; queue wait: median / longest over queued jobs; job st/s: mean "
          "over completed jobs; all st/s: their steps / (first start to last end); x 1 job: all st/s / the N=1 "
          "job's st/s on the same executor; update: seconds between live-panel redraws received while training "
          "(queued: while waiting); job thr: server threads named "
          f"playground-job, most at once / left {AFTER_S:.0f} s after leaving; Ray MB: the server's child "
          "processes' RSS summed" + ("; N=1 added as the baseline" if baseline_added else ""))
    print()
    print(TURNS_HEADER)
    for row in rows:
        print(format_turns(row))
    print("turn: the server's PLAYGROUND_TURN_S (0: first come, first served); 1st point: Train to the first "
          "progress with a step taken (the loss chart's first point); end: Train to the completed run's end seen "
          "on the page; all st/s from Train: completed jobs' steps / (first Train to last end)")
    for row in rows:
        for line in notes(row):
            print(f"  {row.executor} N={row.n}, turn {row.turn_s}: {line}")
    if args.cluster:
        from benchmarks import ray_cluster

        ray_cluster.run(epochs)


if __name__ == "__main__":
    main()
