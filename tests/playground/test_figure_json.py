"""Tests for playground.figure_json: the JSON the chart component receives, against plotly.io's own."""

from __future__ import annotations

import base64
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from playground.figure_json import figure_json, typed_array
from playground.plots import make_figure
from tests.playground.test_plots import _every_kind_of_figure

NUMPY_TYPE = {"i1": "<i1", "u1": "<u1", "i2": "<i2", "u2": "<u2", "i4": "<i4", "u4": "<u4", "f4": "<f4", "f8": "<f8"}


def decoded(value):
    """JSON data with every typed array spec replaced by the list of its numbers, as plotly.js reads it."""
    if isinstance(value, dict):
        if set(value) >= {"dtype", "bdata"}:
            flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=NUMPY_TYPE[value["dtype"]])
            shape = [int(n) for n in value["shape"].split(",")] if "shape" in value else [len(flat)]
            return flat.reshape(shape).tolist()
        return {k: decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decoded(v) for v in value]
    return value


@pytest.mark.parametrize("name", list(_every_kind_of_figure()))
def test_every_figure_reads_as_plotly_io_writes_it(name):
    fig = _every_kind_of_figure()[name]
    ours = json.loads(figure_json(fig))
    assert decoded(ours) == decoded(json.loads(pio.to_json(fig, validate=False, remove_uids=False)))
    assert any("bdata" in json.dumps(t) for t in ours["data"]) == any(
        isinstance(v, np.ndarray) and v.dtype.kind in "iuf" for t in fig.data for v in t.to_plotly_json().values())


def test_trace_uids_are_kept():
    fig = make_figure([{"type": "scatter", "x": [1, 2], "name": "train", "uid": "train"}], {"height": 100})
    assert json.loads(figure_json(fig))["data"][0]["uid"] == "train"


def test_typed_arrays_by_dtype():
    assert typed_array(np.array([1.5, -2.0]))["dtype"] == "f8" and typed_array(np.float32([1.5]))["dtype"] == "f4"
    small = typed_array(np.array([0, 2**31 - 1], dtype=np.int64))
    assert small["dtype"] == "i4" and decoded(small) == [0, 2**31 - 1]  # plotly.js has no 64-bit integers
    square = typed_array(np.arange(6.0).reshape(2, 3))
    assert square["shape"] == "2, 3" and decoded(square) == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert decoded(typed_array(np.array([1.0, 2.0], dtype=">f8"))) == [1.0, 2.0]
    for as_list in (np.array([0, 2**40]), np.array([], dtype=np.int64), np.array([True, False]), np.array(["a"]),
                    np.zeros((2, 2, 2)), np.array(1.0)):
        assert typed_array(as_list) is None, as_list


def test_values_plotly_io_sends_as_lists_or_text_read_the_same():
    """Beyond what the pages draw: whatever the figure holds, it reads as plotly.io writes it."""
    import datetime

    import pandas as pd

    cases = {
        "int64 beyond int32": {"x": np.array([0, 2**53 + 1])},
        "empty": {"x": np.array([]), "y": np.array([], dtype=np.int64)},
        "bool and text": {"x": np.array([True, False]), "text": np.array(["a", "b"])},
        "arrays inside a list": {"customdata": [np.array([1.0, 2.0]), np.array([3.0, 4.0])]},
        "3-D": {"z": np.zeros((2, 2, 2))},
        "dates": {"x": np.array(["2024-01-01", "2024-01-02"], dtype="datetime64[ns]")},
        "pandas and date": {"x": pd.Series([1.0, 2.0]), "y": [datetime.date(2024, 1, 1), datetime.date(2024, 1, 2)]},
        "0-d NaN": {"y": [np.array(np.nan)]},
        "dates inside a list": {"customdata": [np.array(["2024-01-01"], dtype="datetime64[D]")]},
    }
    for name, props in cases.items():
        fig = make_figure([{"type": "scatter", **props}], {"height": 100, "xaxis": {"range": np.array([0.0, 1.0])},
                                                          "mapbox": {"layers": [{"source": np.array([1.0, 2.0])}]}})
        ours = json.loads(figure_json(fig))
        assert decoded(ours) == decoded(json.loads(pio.to_json(fig, validate=False, remove_uids=False))), name
        # as plotly.io sends them: lists, not typed arrays (plotly.js decodes typed arrays in traces only)
        assert ours["layout"]["xaxis"]["range"] == [0.0, 1.0]
        assert ours["layout"]["mapbox"]["layers"][0]["source"] == [1.0, 2.0]
        raw = ours["data"][0]
        if name == "empty":
            assert raw["x"] == [] and raw["y"] == []
        if name == "arrays inside a list":
            assert raw["customdata"] == [[1.0, 2.0], [3.0, 4.0]]


def test_numpy_scalars_and_non_finite_numbers():
    layout = {"height": np.int64(300), "xaxis": {"range": np.array([0.0, np.inf])}, "title": {"text": "t"},
              "meta": [np.float32(0.5), float("nan"), -float("inf")]}
    fig = make_figure([{"type": "scatter", "y": np.array([1.0, np.nan, 3.0])}], layout)
    sent = json.loads(figure_json(fig))  # strict JSON: no NaN or Infinity tokens
    assert sent["layout"]["height"] == 300 and sent["layout"]["xaxis"]["range"] == [0.0, None]
    assert sent["layout"]["meta"] == [0.5, None, None]
    y = decoded(sent["data"][0]["y"])
    assert y[0] == 1.0 and np.isnan(y[1]) and y[2] == 3.0  # NaN inside an array travels in binary: a gap
    theirs = decoded(json.loads(pio.to_json(fig, validate=False, remove_uids=False)))
    assert sent["layout"] == theirs["layout"]
    np.testing.assert_array_equal(y, theirs["data"][0]["y"])  # NaN equals NaN here


def test_accepts_a_validated_figure():
    fig = go.Figure(go.Scatter(x=np.arange(3), y=np.arange(3.0)), layout={"height": 200})
    assert decoded(json.loads(figure_json(fig))) == decoded(json.loads(pio.to_json(fig, remove_uids=False)))
