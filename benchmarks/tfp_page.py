"""The live MLP page at tensorflow/playground's own settings: how fast it trains and how fluidly it draws.

TensorFlow Playground (TFP) settings: 500 points, half held out, noise 0, tanh on every hidden layer, SGD at
learning rate 0.03, batch size 10 (25 updates and one evaluation per epoch), here with a 2-class softmax and
cross-entropy (TFP: squared error, so its "loss < 0.1" is not the same number). Two nets: circles 2-4-2 and
spiral 6x8 (six hidden layers of 8). Prints one table, medians of --repeats runs:

- page epochs/s: the run's steps/s as the page's progress shows it at the end (training time), over 25;
- boundary frames/s drawn: the boundary chart's frames drawn (window.playgroundFrames in its iframe) over the
  seconds from its first drawn frame to the run's end, in headless Chromium on this machine;
- click (Train) to test loss < 0.1 and to test accuracy >= 0.97: from the click to the page's tiles showing it;
- frames' bytes/s: what a watched run sends of frames (their payload's JSON), as a websocket watcher receives it;
- watched / alone: the job's steps/s in a `streamlit run` server watched by a protocol-level client that requests
  and receives every live update as the browser does but draws nothing (benchmarks/load.py's Tab), over the same
  job alone in this process (nobody reads it, so it captures no frames): the server's share of a watched run.
  Pairs alternate, and the ratio is the median of the pairs' ratios. And the job read in this process as a page
  reads it (a snapshot every 0.4 s: it captures frames) over the job alone: what the frames cost training itself.

The browser shares this machine's cores with the server: its frame rate measures the machine as much as the app
(TFP draws in the browser that trains). The reference column is TFP's, measured on this project's 2-core machine.

Run: .venv/bin/python benchmarks/tfp_page.py [--repeats 3]     (about ten minutes; no GPU needed)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.e2e.server, the launch helpers the browser tests use
sys.path.insert(0, str(ROOT / "benchmarks"))  # for load.Tab, the protocol-level client

from playwright.sync_api import sync_playwright  # noqa: E402

from playground.jobs import Job  # noqa: E402
from playground.mlp.config import DataConfig, MLPConfig, MLPRunConfig, TrainConfig  # noqa: E402
from playground.share import to_query  # noqa: E402
from tests.e2e.server import (  # noqa: E402
    click_button,
    launch_chromium,
    poll,
    start_server,
    steps_per_second,
    stop_server,
    wait_charts,
    wait_heading,
)

STEPS_PER_EPOCH = 25  # 250 training points, batch 10
NETS = {  # name -> (dataset, hidden layers, epochs for a page run, epochs for a watched-ratio run)
    "circles 2-4-2": ("circles", (4,), 400, 400),
    "spiral 6x8": ("spiral", (8,) * 6, 2000, 300),  # test loss < 0.1 near epoch 1,600 (seed 0)
}
TFP = {"epochs": {"circles 2-4-2": "60", "spiral 6x8": "22"}, "frames": "22-60",
       "loss": {"circles 2-4-2": "0.72 s", "spiral 6x8": "-"}}
POLL_S = 0.02
READ_EVERY_S = 0.4  # as the live page refreshes (playground.ui.live.UPDATE_S)
# The page's metric tiles and progress text, and the boundary chart's frame counters, in one read
READ_JS = """() => {
  const out = {tiles: {}, progress: '', frames: null};
  for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
    const l = m.querySelector('[data-testid="stMetricLabel"]'), v = m.querySelector('[data-testid="stMetricValue"]');
    if (l && v) out.tiles[l.innerText.trim()] = v.innerText.trim();
  }
  const bar = document.querySelector('[data-testid="stProgress"]');
  out.progress = bar ? bar.innerText : '';
  for (const f of document.querySelectorAll('iframe')) {
    let chart;
    try { chart = f.contentDocument.querySelector('#chart'); } catch (e) { continue; }
    if (chart && chart.dataset.name === 'mlp.boundary_chart') out.frames = f.contentWindow.playgroundFrames.drawn;
  }
  return out;
}"""


def config(net: str, epochs: int) -> MLPRunConfig:
    dataset, hidden, _, _ = NETS[net]
    return MLPRunConfig(
        data=DataConfig(dataset=dataset, n_samples=500, noise=0.0, test_fraction=0.5, n_classes=2),
        model=MLPConfig(hidden_sizes=hidden, activations=("tanh",) * len(hidden)),
        training=TrainConfig(optimizer="sgd", learning_rate=0.03, batch_size=10, epochs=epochs),
    )


def query(cfg: MLPRunConfig) -> str:
    return urllib.parse.urlencode(to_query(cfg))


def page_run(browser, url: str, cfg: MLPRunConfig, timeout_s: float = 600.0) -> dict:
    """One run on the live page: epochs/s, boundary frames/s drawn, click to the two targets (None: not reached;
    all None when the run did not complete within `timeout_s`)."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    try:
        page.goto(f"{url}/mlp?{query(cfg)}")
        wait_heading(page, "MLP playground", timeout=120)
        wait_charts(page, {"mlp.boundary_chart", "mlp.network_chart"})
        out = {"loss_s": None, "acc_s": None, "epochs_s": None, "frames_s": None}
        t0 = time.perf_counter()
        click_button(page, "Train")
        first = None  # (time, frames drawn) at the first drawn frame
        while time.perf_counter() - t0 < timeout_s:
            state, now = page.evaluate(READ_JS), time.perf_counter()
            loss, acc = state["tiles"].get("Test loss"), state["tiles"].get("Test accuracy")
            if out["loss_s"] is None and loss and float(loss) < 0.1:
                out["loss_s"] = now - t0
            if out["acc_s"] is None and acc and float(acc) >= 0.97:
                out["acc_s"] = now - t0
            if first is None and state["frames"]:
                first = (now, state["frames"])
            if "completed" in state["progress"]:
                out["epochs_s"] = steps_per_second(state["progress"]) / STEPS_PER_EPOCH
                out["frames_s"] = (state["frames"] - first[1]) / (now - first[0]) if first else 0.0
                return out
            time.sleep(POLL_S)
        print(f"a run did not complete within {timeout_s:.0f} s", file=sys.stderr)
        return out
    finally:
        page.context.close()


def frame_bytes(tab) -> None:
    """Make `tab` (load.Tab) count the bytes of frames it receives in the charts' arguments (tab.frame_bytes)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    tab.frame_bytes = 0
    handle = tab._handle

    def counting(data: bytes, t: float) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(data)
        if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
            el = msg.delta.new_element
            if el.WhichOneof("type") == "component_instance":
                frames = json.loads(el.component_instance.json_args).get("frames")
                tab.frame_bytes += len(json.dumps(frames["frames"])) if frames else 0
        handle(data, t)

    tab._handle = counting


def watched_run(port: int, cfg: MLPRunConfig) -> tuple[float, float]:
    """(steps/s, frames' bytes/s) of one run in the server watched by a protocol-level client."""
    from load import RATE_RE, STATUS_RE, Tab

    tab = Tab(port, "mlp", query(cfg))
    frame_bytes(tab)
    tab.open()
    try:
        poll("the page", lambda: (tab.pump(0.1), "Train" in tab.buttons and tab.full_runs_finished)[1], timeout=120,
             interval=0)

        def status() -> str:
            m = STATUS_RE.search(tab.progress[1]) if tab.progress is not None else None
            return m.group(1) if m else ""

        tab.progress = None
        tab.rerun(trigger=tab.buttons["Train"])
        poll("the run to train", lambda: (tab.pump(0.02), status() == "running")[1], timeout=60, interval=0)
        b0, t0 = tab.frame_bytes, time.perf_counter()
        poll("the run to complete", lambda: (tab.pump(0.05), status() == "completed")[1], timeout=300, interval=0)
        rate_bytes = (tab.frame_bytes - b0) / (time.perf_counter() - t0)
        sps = float(RATE_RE.search(tab.progress[1]).group(1).replace(",", ""))
        tab.pump(1.0)  # the final full rerun
        return sps, rate_bytes
    finally:
        tab.close()


def alone(cfg: MLPRunConfig, read_every_s: float | None = None) -> float:
    """Steps/s of the job in its thread in this process, nobody reading it; or, with `read_every_s`, read as a page
    reads it (a snapshot that often, so it captures frames): the frames' cost to training without a server."""
    job = Job(cfg).start()
    while read_every_s is not None and job.alive:
        job.snapshot()
        time.sleep(read_every_s)
    job.thread.join(300)
    snap = job.snapshot()
    assert snap.status == "completed", (snap.status, snap.message)
    return snap.steps_per_second


def med(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def measure(repeats: int, nets: list[str]) -> dict[str, dict]:
    """Per net, each measure's values over `repeats` runs (page runs in Chromium, then the watcher's)."""
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "server.log")
        try:
            with sync_playwright() as pw:
                browser = launch_chromium(pw)
                for net in nets:
                    runs = [page_run(browser, server.url, config(net, NETS[net][2])) for _ in range(repeats)]
                    results[net] = {k: [r[k] for r in runs] for k in runs[0]}
                browser.close()
            for net in nets:
                cfg, ratios, rates, read = config(net, NETS[net][3]), [], [], []
                for _ in range(repeats):
                    base = alone(cfg)
                    sps, bytes_s = watched_run(server.port, cfg)
                    ratios.append(sps / base)
                    rates.append(bytes_s)
                    read.append(alone(cfg, READ_EVERY_S) / alone(cfg))
                results[net].update(ratio=ratios, bytes_s=rates, read=read)
        finally:
            stop_server(server)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--nets", nargs="*", default=list(NETS))
    args = parser.parse_args()
    print_table(measure(args.repeats, args.nets), args.repeats)


def fmt(value: float | None, spec: str, unit: str = "", missing: str = "not reached") -> str:
    return missing if value is None else f"{value:{spec}}{unit}"


def page_rows(results: dict[str, dict]) -> list[tuple[str, str, str]]:
    """(measure, ours: the median, TFP) rows of the page's measures."""
    rows = []
    for net, r in results.items():
        rows += [
            (f"live page, {net}, epochs/s", fmt(med(r["epochs_s"]), ",.0f"), TFP["epochs"].get(net, "-")),
            (f"boundary frames drawn per second, {net}", fmt(med(r["frames_s"]), ".1f"), TFP["frames"]),
            (f"click to test loss < 0.1, {net}", fmt(med(r["loss_s"]), ".2f", " s"), TFP["loss"].get(net, "-")),
            (f"click to test accuracy >= 0.97, {net}", fmt(med(r["acc_s"]), ".2f", " s"), "-"),
            (f"frames' payload a watched run sends, {net}", fmt(med(r["bytes_s"]) / 1000, ",.1f", " kB/s"), "-"),
            (f"watched (protocol client) / alone, job steps/s, {net}", fmt(med(r["ratio"]), ".3f"), "-"),
            (f"read in-process with frames / alone, job steps/s, {net}", fmt(med(r["read"]), ".3f"), "-"),
        ]
    return rows


def print_runs(results: dict[str, dict]) -> None:
    for net, r in results.items():
        runs = {k: [None if v is None else round(v, 3) for v in vs] for k, vs in r.items()}
        print(f"runs, {net}: {json.dumps(runs)}")


def print_table(results: dict[str, dict], repeats: int) -> None:
    rows = page_rows(results)
    width = max(len(name) for name, _, _ in rows)
    print(f"{'':<{width}}  {'ours (median of ' + str(repeats) + ')':>22}  {'TFP':>8}")
    for name, ours, tfp in rows:
        print(f"{name:<{width}}  {ours:>22}  {tfp:>8}")
    print_runs(results)


if __name__ == "__main__":
    main()
