import socket

import pytest
from streamlit.testing.v1 import AppTest

from playground import executors, registry
from tests.ui.conftest import APP


def captions(at: AppTest) -> str:
    return " ".join(str(c.value) for c in at.caption)


def test_home_says_which_executor_and_how_many_training_slots(app):
    slots = registry.shared().queue.max_running
    text = captions(app)
    assert f"Runs train in threads of the server process: {slots} training slot" in text
    assert "(executor: thread)" in text
    assert not app.warning


def test_home_tells_why_ray_was_not_used(monkeypatch):
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{s.getsockname()[1]}"
    with pytest.warns(UserWarning):
        fallback = executors.connect("ray", {"RAY_ADDRESS": address})
    monkeypatch.setattr(registry, "_shared", registry.JobRegistry(executor=fallback))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert "(executor: thread)" in captions(at)
    notice = " ".join(str(w.value) for w in at.warning)
    assert f"Could not use the Ray cluster at {address}" in notice and "threads of the server process" in notice
