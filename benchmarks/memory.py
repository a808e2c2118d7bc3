"""Server memory with one user training the largest preset: idle, at peak, and after the user leaves.

Starts `streamlit run app.py` (CPU only). Then, ROUNDS times, a new browser session (a fresh context of
headless Chromium) opens the attention page, trains the preset with the most parameters, and leaves; the
script waits for the session grace period (set short here) and the reaper. It prints the server's
resident memory (RSS) at each point, sampled every 0.2 s. The first user pays one-time costs (imports,
Streamlit's caches); whether the second user's "after" comes back to the first user's shows whether a
session leaves memory behind. Streamlit Community Cloud gives an app about 1 GB.

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

from playground.attention.presets import PRESETS  # noqa: E402
from playground.attention.training import build_model  # noqa: E402
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

ROUNDS = 2  # users, one after another: the first pays one-time costs (imports, caches), the second shows growth
GRACE_S = 5  # PLAYGROUND_SESSION_GRACE_S for this server, so "after leaving" comes quickly
MB = 2**20


def main() -> None:
    sizes = {name: sum(p.numel() for p in build_model(preset.config).parameters()) for name, preset in PRESETS.items()}
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
            rounds = []
            with sync_playwright() as pw:
                browser = launch_chromium(pw)
                for _ in range(ROUNDS):
                    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # a new session
                    page = context.new_page()
                    page.goto(server.url, wait_until="domcontentloaded")
                    wait_heading(page, "Neural network playground")
                    home = proc.memory_info().rss / MB
                    go_to(page, "Attention playground")
                    wait_heading(page, "Attention playground")
                    wait_idle(page)
                    select_option(page, "Preset", largest)
                    wait_idle(page)
                    ready = proc.memory_info().rss / MB
                    t0 = time.perf_counter()
                    click_button(page, "Train")
                    wait_status(page, "completed", timeout=600)
                    t1 = time.perf_counter()
                    context.close()
                    time.sleep(GRACE_S + 8)  # grace period, the reaper's next pass (every 0.5 s), and a margin
                    after = proc.memory_info().rss / MB
                    peak = max(m for t, m in samples if t0 <= t <= t1)
                    rounds.append((home, ready, peak, after, t1 - t0))
                browser.close()
        finally:
            done.set()
            stop_server(server)
    print(f"largest preset: {largest} ({sizes[largest]:,} parameters), CPU only; {ROUNDS} users one after another")
    print(f"{'server RSS, MB':<58} " + " ".join(f"{f'user {i + 1}':>7}" for i in range(ROUNDS)))
    print(f"{'after start, no session':<58} {idle:7.0f}")
    for label, i in (("home page loaded", 0), ("attention page loaded, preset chosen, before Train", 1),
                     ("peak while training and watched", 2), ("after the session left (+ grace and reaper)", 3)):
        print(f"{label:<58} " + " ".join(f"{r[i]:7.0f}" for r in rounds))
    print("training seconds: " + ", ".join(f"{r[4]:.1f}" for r in rounds))
    first, last = rounds[0], rounds[-1]
    print(f"after the last user left / before the first user's Train: {last[3] / first[1]:.2f}")


if __name__ == "__main__":
    main()
