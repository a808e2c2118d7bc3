"""Does watching a run slow it down? Training speed and live-view latency for the default moons preset.

Prints one table:
  (a) steps/s of a bare PyTorch loop: the same MLP, data, batching and optimizer, one thread, no evaluation;
  (b) steps/s of a `playground.jobs.Job` in its background thread in this process, nothing watching;
  (c) steps/s of the same job in a real `streamlit run` server while headless Chromium watches the live
      MLP page (read from the page's final progress text); (c') the same with the server and Chromium
      pinned to separate cores; (c'') the same watched by a websocket client that requests and receives
      every live update as the browser does but draws nothing (a browser on another machine);
  (d) time from clicking Train to the first plotted point in the browser (median of 3);
  (e) the loss chart's update interval in the browser while training (median and p95);
  (f) the server's CPU time per live refresh besides training, with the protocol-level viewer of (c'');
  (g) the bare loop on one core while a busy loop (no shared lock or data) runs on the other: what any
      work on the second core costs training on this machine, a floor under (c) with a browser here;
  (h) the bare loop while Chromium draws the chart updates recorded in the first run of (c), replayed at
      their own pace from a local page with no Streamlit server: what the browser's drawing alone costs
      training when it shares this machine's cores (0.9 in (c) is out of reach if (h) is below it).
The runs use 400 epochs (10,000 steps) so each lasts several seconds. Steps/s of a job, here and in the
page, is steps / seconds of the whole run, evaluation after every epoch and the views included.

Each of (a), (b), (c), (c') and (c'') runs --repeats times (default 3) and its median is reported: on a
shared virtual machine single runs vary by 10% or more, and the machine's speed drifts over minutes. So
(a) and (b) alternate, and each served run follows a bare loop run from the same minute: the ratios of
(c), (c') and (c'') to (a) are medians of those pairs.

Run: .venv/bin/python benchmarks/live_training.py     (about five minutes; no GPU needed)
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.e2e.server, the launch helpers the browser tests use
sys.path.insert(0, str(ROOT / "benchmarks"))  # for load.Tab, the protocol-level client

import psutil  # noqa: E402
import torch  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from torch import nn  # noqa: E402

from playground.jobs import Job  # noqa: E402
from playground.mlp.data import make_dataset  # noqa: E402
from playground.mlp.model import MLP  # noqa: E402
from playground.mlp.presets import DEFAULT_PRESET, PRESETS  # noqa: E402
from playground.torchkit import make_optimizer, seeded_model  # noqa: E402
from tests.e2e.server import (  # noqa: E402
    CHARTS_JS,
    click_button,
    launch_chromium,
    live_state,
    open_mlp,
    poll,
    progress_text,
    set_number,
    start_server,
    steps_per_second,
    stop_server,
    wait_idle,
    wait_status,
)

EPOCHS = 400
F_WINDOW_S = 2.0  # (f) is measured over this window early in each run of (c'')

# Installed in the page before Train is clicked: every 20 ms, note when the loss chart's content
# (total points and last step of each trace) changes. The per-step trace is downsampled to a fixed
# number of points, so its last step, not its length, shows that it moved.
WATCH_JS = """() => {
  window.__changes = [];
  let last = null;
  window.__watch = setInterval(() => {
    const el = (__CHARTS__).find(c => c.dataset.name === 'mlp.loss_chart');
    if (!el || !el._fullData) return;  // not drawn yet
    const sig = el._fullData.map(t => {
      const n = t.x ? t.x.length : 0;
      return n + ':' + (n ? t.x[n - 1] : '');
    }).join('|');
    if (sig !== last) { last = sig; window.__changes.push(performance.now()); }
  }, 20);
}""".replace("__CHARTS__", CHARTS_JS)
STOP_WATCH_JS = "() => { clearInterval(window.__watch); return window.__changes; }"
# Installed with WATCH_JS in the first watched run: every chart iframe notes each update it is sent (its
# arguments, and when), for (h).
RECORD_JS = """() => {
  window.__renders = [];
  for (const frame of document.querySelectorAll('iframe')) {
    let w;
    try { w = frame.contentWindow; w.document; } catch (e) { continue; }
    w.addEventListener('message', (event) => {
      if (!event.data || event.data.type !== 'streamlit:render') return;
      const a = event.data.args;
      window.__renders.push({ t: Date.now(), args: { name: a.name, figure: a.figure, revision: a.revision,
                                                     height: a.height, plotly_js: 'plotly.min.js' } });
    });
  }
}"""
# A page of one chart component per recorded chart, replaying the recorded updates at their recorded pace,
# over and over; window.__play(true/false) starts and stops it.
REPLAY_HTML = """<!doctype html><html><body style="margin:0; width:1400px">
<script>
const RENDERS = __RENDERS__;
const names = [...new Set(RENDERS.map(r => r.args.name))];
const frames = {};
for (const name of names) {
  const f = document.createElement('iframe');
  f.src = 'chart/index.html';
  f.style.cssText = 'border:0; width:680px; height:' + RENDERS.find(r => r.args.name === name).args.height + 'px';
  document.body.appendChild(f);
  frames[name] = f;
}
const t0 = RENDERS[0].t, span = RENDERS[RENDERS.length - 1].t - t0 + 400;
let timers = [];
function send(r) { frames[r.args.name].contentWindow.postMessage({ type: 'streamlit:render', args: r.args }, '*'); }
function cycle() {
  timers = RENDERS.map(r => setTimeout(() => send(r), r.t - t0));
  timers.push(setTimeout(cycle, span));
}
window.__play = (on) => { timers.forEach(clearTimeout); timers = []; if (on) cycle(); };
window.__first = () => names.forEach(n => send(RENDERS.find(r => r.args.name === n)));
</script></body></html>"""


def bare_loop(cfg) -> float:
    """Steps/s of a plain training loop on the preset's model and data (main thread, one thread)."""
    data = make_dataset(cfg.data)
    t = cfg.training
    model = seeded_model(t.seed, lambda: MLP(data.n_features, len(data.class_names), cfg.model))
    optimizer = make_optimizer(t, model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    x, y = torch.as_tensor(data.x_train), torch.as_tensor(data.y_train, dtype=torch.long)
    rng = torch.Generator().manual_seed(t.seed)
    batch = min(t.batch_size, len(x))
    steps = 0
    t0 = time.perf_counter()
    for _ in range(t.epochs):
        order = torch.randperm(len(x), generator=rng)
        for start in range(0, len(x), batch):
            idx = order[start : start + batch]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            loss.item()  # the trainer reads every step's loss too (to record it and catch divergence)
            steps += 1
    return steps / (time.perf_counter() - t0)


def job_alone(cfg) -> float:
    """Steps/s of a Job in its background thread, as its snapshot reports it at the end."""
    job = Job(cfg).start()
    job.thread.join(300)
    snap = job.snapshot()
    assert snap.status == "completed", (snap.status, snap.message)
    return snap.steps_per_second


def pin(pids: list[int], cpu: int) -> None:
    """Pin every thread of these processes to one CPU (threads they start later inherit it)."""
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                os.sched_setaffinity(int(task.name), {cpu})
            except (ProcessLookupError, PermissionError):
                pass


def beside_busy_core(cfg, runs: int) -> tuple[list[float], list[float]]:
    """(g): the bare loop on one CPU, alone and then while a pure-Python busy loop runs on the other CPU.

    The two share no lock and no data, so the difference is what any work on the second core (a browser,
    the server's refreshes) costs the training thread on this machine itself (virtual CPUs that share a
    physical core, or a shared clock budget). Returns (alone, beside), paired run by run.
    """
    first, second = sorted(os.sched_getaffinity(0))[:2]
    before = os.sched_getaffinity(0)
    busy_code = f"import os\nos.sched_setaffinity(0, {{{second}}})\nwhile True:\n    pass"
    alone, beside = [], []
    os.sched_setaffinity(0, {first})
    try:
        for _ in range(runs):
            alone.append(bare_loop(cfg))
            busy = subprocess.Popen([sys.executable, "-c", busy_code])
            try:
                time.sleep(0.2)
                beside.append(bare_loop(cfg))
            finally:
                busy.kill()
                busy.wait()
    finally:
        os.sched_setaffinity(0, before)
    return alone, beside


def chromium_pids() -> list[int]:
    return [p.pid for p in psutil.process_iter(["name"]) if "chrom" in (p.info["name"] or "")]


def in_browser(cfg, runs: int, first_point_runs: int, separate_cores: bool = False) -> dict:
    """(c), (d) and (e) against a real server watched by headless Chromium.

    `runs` watched runs of the preset (Reset between them) give (c) and (e), each just after a bare loop
    (`paired_bare`) run here while the server and the browser are idle, so each run has a baseline from
    the same minute of this machine; then `first_point_runs` times Reset, Train and wait for the first point
    give (d). With `separate_cores`, the server is pinned to CPU 0 and Chromium (and this script) to CPU 1,
    as when the browser runs on the viewer's own machine.
    """
    out: dict = {"served_sps": [], "paired_bare": [], "gaps_ms": [], "cpu_share": []}
    affinity = os.sched_getaffinity(0)  # this script is pinned with Chromium below; restored at the end
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "server.log")
        try:
            with sync_playwright() as pw:
                browser = launch_chromium(pw)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                if separate_cores:
                    pin([server.proc.pid], 0)
                    pin([*chromium_pids(), os.getpid()], 1)
                open_mlp(page, server.url)
                set_number(page, "Epochs", EPOCHS)

                for i in range(runs):  # (c) + (e): long runs, watched
                    if i:
                        click_button(page, "Reset")
                        wait_idle(page)
                    out["paired_bare"].append(bare_loop(cfg))
                    page.evaluate(WATCH_JS)
                    if i == 0:
                        page.evaluate(RECORD_JS)
                    cpu0, t0 = cpu_seconds(server.proc.pid), time.perf_counter()
                    click_button(page, "Train")
                    # Poll gently: reading the page's text forces a layout in the browser, which is work the
                    # browser would not do for a person just watching.
                    final = poll("the run to complete", lambda: "completed" in (t := progress_text(page)) and t,
                                 timeout=240, interval=0.5)
                    cpu1, t1 = cpu_seconds(server.proc.pid), time.perf_counter()
                    out["cpu_share"].append({k: (cpu1[k] - cpu0[k]) / (t1 - t0) for k in cpu0})
                    changes = page.evaluate(STOP_WATCH_JS)
                    if i == 0:
                        out["renders"] = page.evaluate("() => window.__renders")
                    out["served_sps"].append(steps_per_second(final))
                    out["gaps_ms"] += [b - a for a, b in zip(changes, changes[1:], strict=False)]
                    wait_idle(page)

                # (d): Reset clears the charts, then time Train -> first point.
                latencies = []
                for _ in range(first_point_runs):
                    click_button(page, "Reset")
                    wait_idle(page)
                    poll("empty charts after Reset", lambda: (c := live_state(page)[1]) is not None and c.total == 0,
                         timeout=30)
                    t0 = time.perf_counter()
                    click_button(page, "Train")
                    while True:
                        chart = live_state(page)[1]
                        if chart is not None and chart.total > 0:
                            break
                        if time.perf_counter() - t0 > 60:
                            raise RuntimeError("no point plotted within 60 s of Train")
                        time.sleep(0.02)
                    latencies.append(time.perf_counter() - t0)
                    click_button(page, "Stop")
                    wait_status(page, "stopped", timeout=30)
                    wait_idle(page)
                out["first_point_s"] = latencies
                browser.close()
        finally:
            code, _ = stop_server(server)
            out["server_exit"] = code
            os.sched_setaffinity(0, affinity)
    return out


def drawing_alone(cfg, renders: list[dict], runs: int) -> tuple[list[float], list[float]]:
    """(h): the bare loop while headless Chromium draws `renders` (chart updates recorded by RECORD_JS),
    replayed at their recorded pace by the app's own chart component (`charts.component_dir()`: its page
    and the installed plotly.js), served as static files from here: the browser's drawing with no Streamlit
    server and no Streamlit page around it. Returns (idle, drawing): bare loop runs with the replay stopped
    and running, paired run by run."""
    import functools
    import http.server
    import json
    import shutil
    import threading

    from playground.ui.charts import component_dir

    idle, drawing = [], []
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(component_dir(), Path(tmp) / "chart")  # the component's page and plotly.js, as served
        (Path(tmp) / "replay.html").write_text(REPLAY_HTML.replace("__RENDERS__", json.dumps(renders)))

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=tmp))
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as pw:
                browser = launch_chromium(pw)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(f"http://127.0.0.1:{httpd.server_port}/replay.html")
                page.evaluate("() => window.__first()")
                names = {r["args"]["name"] for r in renders}
                poll("the replayed charts", lambda: page.evaluate(
                    "() => [...document.querySelectorAll('iframe')].filter(f => "
                    "f.contentDocument.querySelector('#chart.js-plotly-plot')).length") == len(names), timeout=60)
                for _ in range(runs):
                    idle.append(bare_loop(cfg))
                    page.evaluate("() => window.__play(true)")
                    time.sleep(0.5)
                    drawing.append(bare_loop(cfg))
                    page.evaluate("() => window.__play(false)")
                    time.sleep(0.5)
                browser.close()
        finally:
            httpd.shutdown()
    return idle, drawing


def protocol_watched(cfg, runs: int) -> dict:
    """(c''): steps/s of the job in a `streamlit run` server watched by one websocket client that speaks
    Streamlit's protocol as the browser's frontend does (benchmarks/load.py's `Tab`: it requests every live
    refresh and receives every update) but draws nothing: the server's whole cost of a viewer whose
    browser runs on another machine. Also (f): the server's CPU time per live refresh besides training
    (the whole process's CPU time less the training thread's, over the refreshes received). Each run follows
    a bare loop (`paired_bare`), as in `in_browser`."""
    from load import RATE_RE, STATUS_RE, Tab

    out: dict = {"sps": [], "paired_bare": [], "ui_ms": [], "refresh_hz": []}
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "server.log")
        proc = psutil.Process(server.proc.pid)
        try:
            tab = Tab(server.port, "mlp", f"training.epochs={EPOCHS}")
            tab.open()
            poll("the page", lambda: (tab.pump(0.1), "Train" in tab.buttons and tab.full_runs_finished)[1],
                 timeout=60, interval=0)
            for _ in range(runs):
                out["paired_bare"].append(bare_loop(cfg))
                tab.progress = None
                tab.rerun(trigger=tab.buttons["Train"])

                def status() -> str:
                    m = STATUS_RE.search(tab.progress[1]) if tab.progress is not None else None
                    return m.group(1) if m else ""

                # (f) over a window inside the run, while the training thread is alive to be told apart.
                poll("the run to train", lambda: (tab.pump(0.02), status() == "running")[1], timeout=60, interval=0)
                n0, threads0, total0 = len(tab.progress_times), thread_cpu(proc), sum(proc.cpu_times()[:2])
                t0 = time.perf_counter()
                tab.pump(F_WINDOW_S)
                threads1, total1, t1 = thread_cpu(proc), sum(proc.cpu_times()[:2]), time.perf_counter()
                if status() == "running":  # the window ended inside the run
                    training = max(threads1[k] - threads0.get(k, 0.0) for k in threads1)  # the busiest thread
                    refreshes = max(len(tab.progress_times) - n0, 1)
                    out["ui_ms"].append((total1 - total0 - training) / refreshes * 1000)
                    out["refresh_hz"].append(refreshes / (t1 - t0))
                poll("the run to complete", lambda: (tab.pump(0.05), status() == "completed")[1], timeout=240,
                     interval=0)
                out["sps"].append(float(RATE_RE.search(tab.progress[1]).group(1).replace(",", "")))
                tab.pump(1.0)  # the final full rerun
            tab.close()
        finally:
            stop_server(server)
    return out


def thread_cpu(proc: psutil.Process) -> dict[int, float]:
    """CPU seconds so far of each live thread of `proc`, by thread id."""
    return {t.id: t.user_time + t.system_time for t in proc.threads()}


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the server process and by every Chromium process."""
    server = psutil.Process(server_pid).cpu_times()
    chromium = 0.0
    for proc in psutil.process_iter(["name", "cpu_times"]):
        if "chrom" in (proc.info["name"] or "") and proc.info["cpu_times"] is not None:
            chromium += proc.info["cpu_times"].user + proc.info["cpu_times"].system
    return {"server": server.user + server.system, "chromium": chromium}


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each of (a), (b), (c) and (c'); medians are reported")
    args = parser.parse_args()

    torch.set_num_threads(1)
    base = PRESETS[DEFAULT_PRESET].config
    cfg = dataclasses.replace(base, training=dataclasses.replace(base.training, epochs=EPOCHS, device="cpu"))
    load = os.getloadavg()
    usable = len(os.sched_getaffinity(0))
    t_start = time.perf_counter()

    bare, alone = [], []
    for _ in range(args.repeats):  # alternate, so a burst of load elsewhere hits both
        bare.append(bare_loop(cfg))
        alone.append(job_alone(cfg))
    floor = beside_busy_core(cfg, args.repeats) if usable >= 2 else None
    viewer = protocol_watched(cfg, args.repeats)
    remote = viewer["sps"]
    web = in_browser(cfg, runs=args.repeats, first_point_runs=3)
    apart = in_browser(cfg, runs=args.repeats, first_point_runs=0, separate_cores=True) if usable >= 2 else None
    replay = drawing_alone(cfg, web["renders"], args.repeats) if web.get("renders") else None

    med = statistics.median
    a, b, c = med(bare), med(alone), med(web["served_sps"])

    def versus(served: list[float], paired: list[float]) -> str:
        """Against (a): the median of each run's ratio to the bare loop run just before it; against (b): of
        the medians."""
        ratio = med(x / y for x, y in zip(served, paired, strict=True))
        return f"/(a) = {ratio:.2f} (paired), /(b) = {med(served) / b:.2f}"

    gaps, first = web["gaps_ms"], web["first_point_s"]
    share = {k: med(s[k] for s in web["cpu_share"]) for k in ("server", "chromium")}
    rows = [
        ("(a) bare PyTorch loop, main thread, 1 thread", f"{a:,.0f} steps/s", ""),
        ("(b) Job in its background thread, alone", f"{b:,.0f} steps/s", f"(b)/(a) = {b / a:.2f}"),
        ("(c) Job in `streamlit run`, Chromium watching", f"{c:,.0f} steps/s",
         "(c)" + versus(web["served_sps"], web["paired_bare"])),
        ("(c'') the same, watched by a protocol client (no drawing)", f"{med(remote):,.0f} steps/s",
         "(c'')" + versus(remote, viewer["paired_bare"])),
        *([("(c') the same, server and Chromium on separate cores", f"{med(apart['served_sps']):,.0f} steps/s",
            "(c')" + versus(apart["served_sps"], apart["paired_bare"]))] if apart else []),
        *([("(g) bare loop on one core, a busy loop on the other", f"{med(floor[1]):,.0f} steps/s",
            f"(g)/(a) = {med(x / y for x, y in zip(floor[1], floor[0], strict=True)):.2f} (paired with the "
            "bare loop alone on that core)")] if floor else []),
        *([("(h) bare loop while Chromium draws the recorded updates", f"{med(replay[1]):,.0f} steps/s",
            f"(h)/(a) = {med(x / y for x, y in zip(replay[1], replay[0], strict=True)):.2f} (paired; "
            f"{len(web['renders'])} updates replayed)")] if replay else []),
        ("(d) Train click -> first plotted point (median of 3)", f"{med(first) * 1000:,.0f} ms",
         "runs: " + ", ".join(f"{v * 1000:,.0f}" for v in first) + " ms"),
        ("(e) loss chart update interval, median", f"{med(gaps):,.0f} ms" if gaps else "n/a",
         f"{len(gaps)} intervals"),
        ("(e) loss chart update interval, p95", f"{pct(gaps, 0.95):,.0f} ms" if gaps else "n/a", ""),
        *([("(e') update interval on separate cores, median / p95",
            f"{med(apart['gaps_ms']):,.0f} ms", f"p95 {pct(apart['gaps_ms'], 0.95):,.0f} ms")]
          if apart and apart["gaps_ms"] else []),
        ("(f) server CPU per live refresh besides training, (c'')", f"{med(viewer['ui_ms']):.1f} ms",
         f"{med(viewer['refresh_hz']):.1f} refreshes/s; runs: "
         + ", ".join(f"{v:.1f}" for v in viewer["ui_ms"]) + " ms"),
        ("CPU during (c): server process (training + UI)", f"{share['server']:.2f} cores", ""),
        ("CPU during (c): Chromium (all its processes)", f"{share['chromium']:.2f} cores", ""),
    ]
    print()
    print(f"moons preset, {EPOCHS} epochs ({cfg.data.n_samples} samples, batch {cfg.training.batch_size}, "
          f"{cfg.training.optimizer}), torch {torch.__version__}, device cpu")
    print(f"CPU cores: {os.cpu_count()} (usable: {usable}); load average at start: "
          f"{load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}")
    w0, w1 = max(len(r[0]) for r in rows), max(len(r[1]) for r in rows)
    print(f"{'measure':<{w0}}  {'value':>{w1}}  note")
    print("-" * (w0 + w1 + 40))
    for name, value, note in rows:
        print(f"{name:<{w0}}  {value:>{w1}}  {note}")
    for name, values in (("(a)", bare), ("(b)", alone), ("(c)", web["served_sps"]), ("(c'')", remote),
                         *((("(c')", apart["served_sps"]),) if apart else ())):
        print(f"all {name}: {', '.join(f'{v:,.0f}' for v in values)} steps/s")
    if floor:
        print(f"all (g): {', '.join(f'{v:,.0f}' for v in floor[1])} steps/s, alone on that core: "
              f"{', '.join(f'{v:,.0f}' for v in floor[0])} steps/s")
    if replay:
        print(f"all (h): {', '.join(f'{v:,.0f}' for v in replay[1])} steps/s, with the replay stopped: "
              f"{', '.join(f'{v:,.0f}' for v in replay[0])} steps/s")
    for name, values in (("(c)", web["paired_bare"]), ("(c'')", viewer["paired_bare"]),
                         *((("(c')", apart["paired_bare"]),) if apart else ())):
        print(f"bare loop run just before each {name}: {', '.join(f'{v:,.0f}' for v in values)} steps/s")
    print(f"server exit code after SIGTERM: {web['server_exit']}; total time {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
