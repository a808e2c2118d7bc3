"""The session glue's reaper thread: it ends at interpreter exit before the jobs are joined."""

import threading
import time

from playground import registry
from playground.ui import session


def test_stop_reaper_ends_a_pass_in_progress_and_the_loop(monkeypatch):
    passes, in_pass = [], threading.Event()

    def slow_reap(is_alive):  # a pass that is still freeing a reaped job's memory when the exit comes
        passes.append(time.monotonic())
        in_pass.set()
        time.sleep(0.3)
        return []

    monkeypatch.setattr(registry.shared(), "reap", slow_reap)
    monkeypatch.setattr(session, "REAP_EVERY_S", 0.01)
    thread = threading.Thread(target=session._reap_forever, daemon=True)
    monkeypatch.setattr(session, "_reaper", thread)
    thread.start()
    assert in_pass.wait(5)
    try:
        session.stop_reaper(timeout=5)
        assert not thread.is_alive()  # joined: no daemon thread is left inside a pass (or torch) at finalisation
        assert len(passes) == 1  # the pass in progress finished; no other began
    finally:
        session._reaper_stop.clear()
