"""Server memory with one user training the largest preset: idle, at peak, and after the user leaves.

Starts `streamlit run app.py` (CPU only), opens the attention page in headless Chromium, trains the
preset with the most parameters, closes the browser, waits for the session grace period (set short
here) and the reaper, and prints the server's resident memory (RSS) at each point, sampled every
0.2 s. Streamlit Community Cloud gives an app about 1 GB.

Run: .venv/bin/python benchmarks/memory.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from playground.sequence_presets import SEQUENCE_PRESETS  # noqa: E402
from playground.sequence_training import build_model  # noqa: E402
from tests.e2e.server import (  # noqa: E402
    click_button,
    go_to,
    launch_chromium,
    select_option,
    start_server,
    stop_server,
    wait_heading,
    wait_idle,
    wait_status,
)

GRACE_S = 5  # PLAYGROUND_SESSION_GRACE_S for this server, so "after leaving" comes quickly
MB = 2**20


def main() -> None:
    sizes = {name: sum(p.numel() for p in build_model(cfg).parameters()) for name, (_, cfg) in SEQUENCE_PRESETS.items()}
    largest = max(sizes, key=sizes.get)
    os.environ["PLAYGROUND_SESSION_GRACE_S"] = str(GRACE_S)
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "server.log")
        proc = psutil.Process(server.proc.pid)
        samples: list[tuple[float, float]] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append((time.perf_counter(), proc.memory_info().rss / MB))
                done.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        try:
            idle = proc.memory_info().rss / MB
            sampler.start()
            with sync_playwright() as pw:
                browser = launch_chromium(pw)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(server.url, wait_until="domcontentloaded")
                wait_heading(page, "Neural network playground")
                loaded = proc.memory_info().rss / MB
                go_to(page, "Attention playground")
                wait_heading(page, "Attention playground")
                wait_idle(page)
                select_option(page, "Preset", largest)
                t0 = time.perf_counter()
                click_button(page, "Train")
                wait_status(page, "completed", timeout=600)
                t1 = time.perf_counter()
                browser.close()
            time.sleep(GRACE_S + 8)  # grace period, the reaper's next pass (every 1 s), and a margin
            after = proc.memory_info().rss / MB
        finally:
            done.set()
            stop_server(server)
    peak = max(m for t, m in samples if t0 <= t <= t1)
    print(f"largest preset: {largest} ({sizes[largest]:,} parameters), trained in {t1 - t0:.1f} s, CPU only")
    print(f"{'server RSS':<50} {'MB':>7}")
    print(f"{'after start, no session':<50} {idle:7.0f}")
    print(f"{'home page loaded (torch and the engine imported)':<50} {loaded:7.0f}")
    print(f"{'peak while training and watched':<50} {peak:7.0f}")
    print(f"{'after the session left (+ grace and reaper)':<50} {after:7.0f}")


if __name__ == "__main__":
    main()
