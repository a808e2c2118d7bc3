"""AppTest helpers: the app from its real entry point, and polling for the live fragment."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground.registry import REGISTRY

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def app():
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception
    yield at
    REGISTRY.shutdown()  # AppTest has no browser session to end: stop what the test started


def charts(at: AppTest) -> dict[str, dict]:
    """The figures the page draws through its chart component (playground.ui.charts), by key, as the
    plotly JSON the browser receives."""
    out = {}
    for element in at.get("component_instance"):
        args = json.loads(element.proto.json_args)
        if element.proto.component_name.endswith(".charts.chart"):
            out[args["name"]] = json.loads(args["figure"])
    return out


def run_until(at: AppTest, predicate, timeout: float = 60.0) -> AppTest:
    """Rerun the app (run_every never fires under AppTest) until `predicate(at)` holds."""
    deadline = time.monotonic() + timeout
    while True:
        at.run()
        assert not at.exception, at.exception
        if predicate(at):
            return at
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s; progress: {progress_text(at)}")
        time.sleep(0.1)


def progress_text(at: AppTest) -> str:
    bars = at.get("progress")
    return bars[0].proto.text if bars else ""


def metric(at: AppTest, label: str) -> float:
    return float(next(m.value for m in at.metric if m.label == label))


def values(array_or_spec) -> np.ndarray:
    """A plotly trace array from a chart spec: a plain list, or plotly's base64 typed array."""
    if isinstance(array_or_spec, dict) and "bdata" in array_or_spec:
        flat = np.frombuffer(base64.b64decode(array_or_spec["bdata"]), dtype=np.dtype(array_or_spec["dtype"]))
        shape = array_or_spec.get("shape")
        if isinstance(shape, str):
            shape = [int(n) for n in shape.split(",")]
        return flat.reshape(shape) if shape else flat
    return np.asarray(array_or_spec)
