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

# numpy dtype -> plotly.js typed array type (plotly.js has no 64-bit integers: those are narrowed first)
TYPED_ARRAY = {"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4", "uint32": "u4",
               "float32": "f4", "float64": "f8"}
_INT32 = np.iinfo(np.int32)


def figure_json(figure: go.Figure) -> str:
    """The figure as compact JSON text for plotly.js: {"data": [traces], "layout": {...}}.

    Numeric numpy arrays of 1 or 2 dimensions become typed arrays (64-bit integers as int32 when they fit,
    else float64), other arrays become lists, numpy scalars become numbers, and NaN or infinite scalars
    become null (JSON has no NaN; plotly.io does the same). Arrays under "range" stay lists, as plotly.io
    leaves them. Decoded, the result equals `plotly.io.to_json(figure, remove_uids=False)` (tested for every
    figure the pages draw). Trace uids are kept: `plots` names each trace's uid so that plotly.js keeps a
    trace hidden from the legend when the traces before it change, and plotly.io drops uids by default.
    """
    spec = {"data": [trace.to_plotly_json() for trace in figure.data], "layout": figure.layout.to_plotly_json()}
    return json.dumps(_plain(spec), separators=(",", ":"), allow_nan=False)


def typed_array(values: np.ndarray) -> dict[str, str] | list:
    """A plotly.js typed array spec for a numeric array of 1 or 2 dimensions; a list for anything else."""
    if values.dtype.kind in "iu" and values.dtype.itemsize == 8:
        fits = values.size == 0 or (values.min() >= _INT32.min and values.max() <= _INT32.max)
        values = values.astype(np.int32 if fits else np.float64)
    code = TYPED_ARRAY.get(values.dtype.name)
    if code is None or values.ndim not in (1, 2):
        return values.tolist()
    spec = {"dtype": code, "bdata": base64.b64encode(np.ascontiguousarray(values, values.dtype.newbyteorder("<")))
            .decode("ascii")}
    if values.ndim == 2:
        spec["shape"] = f"{values.shape[0]}, {values.shape[1]}"
    return spec


def _plain(value: Any, key: str = "") -> Any:
    """`value` with numpy values and non-finite floats replaced by what JSON can carry (see figure_json)."""
    if isinstance(value, dict):
        return {k: _plain(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        encoded = value.tolist() if key == "range" else typed_array(value)
        return _plain(encoded) if isinstance(encoded, list) else encoded
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
