"""Launch helpers shared by the browser tests and `benchmarks/live_training.py`.

- `start_server()` / `stop_server()`: a real `streamlit run app.py` in its own process group on a free
  port, waited for on `/_stcore/health`, stopped by signalling that group (SIGTERM, then SIGKILL).
- `launch_chromium()`: Debian's Chromium through Playwright's sync API with the flags that work on
  these machines (Playwright's own browser download does not).
- Page helpers that drive the MLP playground the way a user does (labels, buttons, keyboard) and read
  its state back (progress text, metrics, the loss chart's plotly data).

Everything here polls: a Streamlit element can unmount for a moment between two live updates.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]  # the repository root (where app.py lives)
CHROMIUM = os.environ.get("PLAYGROUND_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# What a crashed interpreter leaves in its log (e.g. a daemon thread killed inside torch at exit).
CRASH_SIGNS = ("Fatal Python error", "Aborted", "core dumped")


# --- the server --------------------------------------------------------------------------------------


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_server(log_path: Path, timeout: float = 60.0) -> Server:
    """Start `streamlit run app.py` in its own process group; return once it answers /_stcore/health.

    Output goes to `log_path` (a file, not a pipe, so a chatty server can never block on a full pipe).
    Raises RuntimeError with the log if the server exits or is not healthy within `timeout` seconds.
    """
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false"]
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True,  # a crash writes every thread's stack to the log:
                                env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"})
    server = Server(proc, port, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode} before it was healthy:\n{server.log()}")
        if _healthy(server.url):
            return server
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"streamlit was not healthy on {server.url} within {timeout:.0f} s:\n{server.log()}")


def stop_server(server: Server, timeout: float = 10.0) -> tuple[int, float]:
    """SIGTERM the server's process group, SIGKILL it after `timeout` s. Returns (exit code, seconds).

    The exit code is negative (-9) when the group had to be killed.
    """
    t0 = time.monotonic()
    if server.proc.poll() is None:
        _signal_group(server.proc.pid, signal.SIGTERM)
        try:
            server.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(server.proc.pid, signal.SIGKILL)
            server.proc.wait(10)
    return server.proc.returncode, time.monotonic() - t0


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)  # start_new_session=True: the group id is the server's pid
    except ProcessLookupError:
        pass


def crash_lines(log: str) -> list[str]:
    """Lines of a server log that show an interpreter crash."""
    return [line for line in log.splitlines() if any(sign in line for sign in CRASH_SIGNS)]


# --- the browser -------------------------------------------------------------------------------------


def launch_chromium(playwright: Any):
    """Debian's Chromium via Playwright. Raises RuntimeError (never skips) when it is not installed."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        raise RuntimeError(
            f"Chromium not found at {CHROMIUM} (set PLAYGROUND_CHROMIUM to another path). "
            "Run `make test`, which installs Debian's chromium, instead of calling pytest directly."
        )
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)


# --- driving the MLP page ----------------------------------------------------------------------------

# Charts are drawn by the app's chart component (playground/ui/charts.py): each is a plotly.js plot in an
# iframe of the same origin, `<div id="chart" data-name="<key>">`. CHARTS_JS is a JS expression for those
# plot elements (only the ones plotly has drawn), put in place of `__CHARTS__` in page.evaluate functions.
CHARTS_JS = """[...document.querySelectorAll('iframe')]
  .map(f => { try { return f.contentDocument && f.contentDocument.querySelector('#chart.js-plotly-plot'); }
              catch (e) { return null; } })
  .filter(Boolean)"""

# One atomic read of what the live panel shows: the progress text and, per trace of the loss chart,
# [name, number of points, last x]. Either is null while its element is not mounted. plotly.py 6 sends
# arrays base64-encoded ({dtype, bdata}) in `gd.data`; plotly.js keeps the decoded typed arrays in
# `gd._fullData`.
STATE_JS = """() => {
  const bar = document.querySelector('[data-testid="stProgress"]');
  const el = (__CHARTS__).find(c => c.dataset.name.endsWith('.loss_chart'));
  let loss = null;
  if (el && el.data) {
    const full = el._fullData && el._fullData.length === el.data.length ? el._fullData : el.data;
    loss = full.map(t => {
      const x = t.x && t.x.length !== undefined ? t.x : [];
      return [t.name || '', x.length, x.length ? Number(x[x.length - 1]) : null];
    });
  }
  return {progress: bar ? bar.innerText : null, loss: loss};
}""".replace("__CHARTS__", CHARTS_JS)


@dataclass(frozen=True)
class LossChart:
    traces: dict[str, tuple[int, float | None]]  # trace name -> (points, last x)

    def points(self, name: str) -> int:
        return self.traces.get(name, (0, None))[0]

    def last_step(self, name: str = "train (per step)") -> float:
        last = self.traces.get(name, (0, None))[1]
        return float(last) if last is not None else 0.0

    @property
    def total(self) -> int:
        return sum(n for n, _ in self.traces.values())


def live_state(page) -> tuple[str, LossChart | None]:
    """(progress text or "", loss chart or None), read in one go so the two belong together."""
    state = page.evaluate(STATE_JS)
    loss = state["loss"]
    chart = None if loss is None else LossChart({name: (n, last) for name, n, last in loss})
    return (state["progress"] or "").strip(), chart


def progress_text(page) -> str:
    """The live progress bar's text ("🏃 running · step …"), or "" while it is not mounted."""
    return live_state(page)[0]


def poll(what: str, fn, timeout: float, interval: float = 0.05):
    """Call `fn` until it returns something truthy; return that. AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last value: {last!r})")


def wait_status(page, *statuses: str, timeout: float = 60.0) -> str:
    """Wait until the progress text shows one of `statuses`; return the text."""
    return poll(f"status {' or '.join(statuses)}",
                lambda: (t := progress_text(page)) and any(s in t for s in statuses) and t, timeout)


def wait_idle(page, timeout: float = 30.0) -> None:
    """Wait until no script run is in progress (Streamlit shows its status widget while one runs)."""
    time.sleep(0.15)  # let a rerun triggered by the last action begin
    poll("the app to finish its run", lambda: page.locator('[data-testid="stStatusWidget"]').count() == 0, timeout)


def wait_charts(page, names: set[str], timeout: float = 60.0) -> None:
    """Wait until the charts keyed `names` are drawn (each chart's iframe loads plotly.js first)."""
    js = "() => (__CHARTS__).map(c => c.dataset.name)".replace("__CHARTS__", CHARTS_JS)
    poll(f"the charts {sorted(names)}", lambda: names <= set(page.evaluate(js)), timeout)


def wait_heading(page, name: str, timeout: float = 60.0) -> None:
    """Wait for a page's title; on timeout, fail with what the page shows instead (e.g. a traceback)."""
    try:
        page.get_by_role("heading", name=name).first.wait_for(timeout=timeout * 1000)
    except Exception as e:
        shown = exceptions(page) or [page.locator("body").inner_text(timeout=5_000)[:2000]]
        raise AssertionError(f"no heading {name!r} within {timeout:.0f} s at {page.url}; the page shows:\n"
                             + "\n".join(shown)) from e


def open_mlp(page, base_url: str) -> None:
    """Open the app's home page and follow the sidebar link to the MLP playground, as a user would.

    The first visit to a fresh server imports torch and the engine, which takes a while on a busy machine.
    """
    page.goto(base_url, wait_until="domcontentloaded")
    wait_heading(page, "Neural network playground")
    go_to(page, "MLP playground")
    wait_heading(page, "MLP playground")
    page.get_by_role("button", name="Train", exact=True).wait_for(timeout=30_000)
    wait_idle(page)
    wait_charts(page, {"mlp.loss_chart", "mlp.metric_chart"})


def go_to(page, title: str) -> None:
    """Click a page's link in the sidebar navigation."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()


def exceptions(page) -> list[str]:
    """The texts of any Python exceptions the page shows (st.exception / an uncaught error)."""
    return page.locator('[data-testid="stException"]').all_inner_texts()


def set_number(page, label: str, value: int | float) -> None:
    """Type into a number_input and commit with Enter."""
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)


def select_option(page, label: str, option: str) -> None:
    """Open a selectbox by its label (its chevron button) and pick `option` (exact text)."""
    widget = page.locator('[data-testid="stSelectbox"]').filter(has=page.get_by_label(label, exact=True))
    for attempt in range(3):  # a rerun that lands while the list is open closes it: open it again
        widget.get_by_role("button", name="Open").click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
            break
        except Exception:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            wait_idle(page)
    wait_idle(page)
    shown = widget.get_by_role("combobox").input_value()
    assert shown == option, f"selectbox {label!r} shows {shown!r}, wanted {option!r}"


def set_select_slider(page, label: str, value: str) -> None:
    """Move a slider or select_slider with the arrow keys until its thumb shows `value` (its label).

    The options must be numbers (the direction is chosen by comparing them), as the learning rates are.
    """
    widget = page.locator('[data-testid="stSlider"]').filter(has=page.get_by_text(label, exact=True))
    thumb = widget.get_by_role("slider")
    thumb.focus()
    for _ in range(60):
        shown = thumb.get_attribute("aria-valuetext") or ""
        if shown == value:
            break
        thumb.press("ArrowRight" if float(value) > float(shown) else "ArrowLeft")
    else:
        raise AssertionError(f"could not move slider {label!r} to {value!r}")
    wait_idle(page)


def click_button(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def metric_value(page, label: str) -> str:
    """The value shown by the st.metric labelled `label` ("" while it is not mounted)."""
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(f"^{re.escape(label)}$")))
    try:
        return metric.first.locator('[data-testid="stMetricValue"]').inner_text(timeout=2_000) if metric.count() else ""
    except Exception:
        return ""


def steps_per_second(progress: str) -> float:
    """The "N steps/s" figure of a progress text."""
    m = re.search(r"([\d,.]+) steps/s", progress)
    if not m:
        raise ValueError(f"no steps/s in {progress!r}")
    return float(m.group(1).replace(",", ""))
