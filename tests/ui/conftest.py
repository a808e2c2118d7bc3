"""AppTest helpers: the app from its real entry point, and polling for the live fragment."""

from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground import registry

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def app():
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception
    yield at
    registry.shared().shutdown()  # AppTest has no browser session to end: stop what the test started


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


# A value as a hostile user writes it: a link, an image, an HTML tag, Python's dunder (Markdown bold), a colour
# directive, an icon, math and a bare address. `shown_text` checks that Markdown shows all of it as written.
HOSTILE = ("[Click here to log in](http://example.com/phish) ![x](http://example.com/x.png) <b>bold</b> __import__ "
           ":red[red] :material/home: $x^2$ www.example.com")
_ESCAPED_ALWAYS = set("\\`*[]<>|~$&")


def shown_text(markdown: str) -> str:
    """The text Streamlit shows for `markdown` that should hold only literal text. Fails on anything that would
    start a Markdown construct: an unescaped special character, a "_" that can emphasise, a ":" or "@" that an
    icon, colour, emoji or address could follow (no word joiner after it), "www." or a marker at a line's start."""
    out, i = [], 0
    for line in markdown.split("  \n"):
        assert not re.match(r"\s*([#>+=*-]|\d+[.)])", line), f"a block marker starts {line[:40]!r}"
        i = 0
        while i < len(line):
            c, after = line[i], line[i + 1:i + 2]
            if c == "\\":
                assert after and not after.isalnum(), f"a lone backslash at {line[i:i + 40]!r}"
                out.append(after)
                i += 2
                continue
            assert c not in _ESCAPED_ALWAYS, f"unescaped {c!r} at {line[i:i + 40]!r}"
            if c == "_":
                before = line[i - 1:i]
                assert before.isalnum() and after.isalnum(), f"an emphasising '_' at {line[i - 5:i + 40]!r}"
            if c in ":@" and after and not after.isspace():
                assert after == "\u2060", f"no word joiner after {c!r} at {line[i:i + 40]!r}"
            assert line[i:i + 4].lower() != "www.", f"a bare address at {line[i:i + 40]!r}"
            out.append(c)
            i += 1
        out.append("\n")
    return "".join(out)[:-1].replace("\u2060", "")
