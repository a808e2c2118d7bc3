"""A plotly figure as JSON for plotly.js, cheaply enough for every live refresh.

The live panel serializes three or four figures a few times a second in the server process, where every
millisecond of Python holds the GIL that the training thread needs between its torch operations.
`plotly.io.to_json` spent most of its time finding the arrays to send in binary: for each value of the
figure it asks narwhals whether it is a dataframe-like column (0.64 ms for the loss figure; this module:
0.17 ms). `figure_json` takes each trace's and the layout's properties through plotly's public
`to_plotly_json` and encodes them with the standard `json` module, numeric numpy arrays as plotly.js typed
arrays ({"dtype", "bdata" (base64, little-endian), "shape" for 2-D}): the format plotly.py itself sends
since version 6, which the browser decodes in `playground/ui/chart/index.html`.

This module never imports streamlit or torch.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

# numpy dtype -> plotly.js typed array type (plotly.js has no 64-bit integers: those are narrowed first)
TYPED_ARRAY = {"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4", "uint32": "u4",
               "float32": "f4", "float64": "f8"}
_INT32 = np.iinfo(np.int32)
_AS_LISTS = {"range", "layer", "layers", "geojson"}  # keys whose arrays plotly.io sends as lists


def figure_json(figure: go.Figure) -> str:
    """The figure as compact JSON text for plotly.js: {"data": [traces], "layout": {...}}.

    Numeric numpy arrays of 1 or 2 dimensions become typed arrays (64-bit integers as int32; those beyond
    int32 as exact lists), other arrays become lists, numpy scalars become numbers, and NaN or infinite
    scalars become null (JSON has no NaN; plotly.io does the same). Arrays that plotly.io sends as lists stay
    lists: empty ones, those under "range", "layers" or "geojson", and those directly inside a list. A value
    this encoder does not know (dates, pandas objects) sends the whole figure through `plotly.io.to_json`.
    Decoded, the result equals `plotly.io.to_json(figure, remove_uids=False)` (tested for every figure the
    pages draw, and for those values). Trace uids are kept: `plots` names each trace's uid so that plotly.js
    keeps a trace hidden from the legend when the traces before it change, and plotly.io drops uids by default.
    """
    spec = {"data": [trace.to_plotly_json() for trace in figure.data], "layout": figure.layout.to_plotly_json()}
    try:
        return json.dumps(_plain(spec), separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        return pio.to_json(figure, validate=False, remove_uids=False)


def typed_array(values: np.ndarray) -> dict[str, str] | None:
    """The plotly.js typed array spec of a numeric array of 1 or 2 dimensions; None for an array that goes as a
    list (empty, not numeric, other dimensions, or 64-bit integers beyond int32)."""
    if values.size == 0 or values.ndim not in (1, 2):
        return None
    if values.dtype.kind in "iu" and values.dtype.itemsize == 8:
        if values.min() < _INT32.min or values.max() > _INT32.max:
            return None
        values = values.astype(np.int32)
    code = TYPED_ARRAY.get(values.dtype.name)
    if code is None:
        return None
    spec = {"dtype": code, "bdata": base64.b64encode(np.ascontiguousarray(values, values.dtype.newbyteorder("<")))
            .decode("ascii")}
    if values.ndim == 2:
        spec["shape"] = f"{values.shape[0]}, {values.shape[1]}"
    return spec


def _plain(value: Any, as_lists: bool = False) -> Any:
    """`value` with numpy values and non-finite floats replaced by what JSON can carry (see figure_json);
    `as_lists`: all arrays as lists. Raises TypeError for arrays of dates or times (plotly.io writes text)."""
    if isinstance(value, dict):
        return {k: _plain(v, as_lists or k in _AS_LISTS) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, as_lists or isinstance(v, np.ndarray)) for v in value]  # arrays in a list: lists
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "mM":
            raise TypeError(f"{value.dtype} arrays are left to plotly.io")
        spec = None if as_lists else typed_array(value)
        return _plain(value.tolist(), as_lists) if spec is None else spec
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
