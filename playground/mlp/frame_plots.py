"""Frames as the chart component animates them: the payload `playground/ui/chart/index.html` plays between two
live refreshes, for the decision boundary's background and the network view's pictures.

Pure functions, as the other plots modules: FrameCaptured events of `mlp/frames.Frame`s in, a JSON-ready dict out.
A frame's grids travel as raw uint8 bytes in base64, top row first (a PNG's order); the browser colours them
with what this payload gives, built here with the figures' own colour functions so that a frame looks as the
figure drawn from the same values: a 256-entry RGB table for one value per cell (two classes' P(class 1), a
regression's prediction, a neuron's output), or the class palette for more classes (mlp/plots._class_colours'
blend, computed in the browser). Each slot names the figure's layout image it replaces (`images[i].source`).

Payload: {"id": run, "live": bool (more frames may come), "lut": base64 (768 bytes) or None, "palette":
[[r, g, b], ...] or None, "discretize": bool, "slots": [{"image", "width", "height", "channels", "units", "gap",
"scale"}], "frames": [{"i": index, "t": seconds, "data": [base64 or None per slot]}]}: a slot's picture is
`units` grids of height x width cells (x channels) stacked top to bottom with `gap` transparent rows around each
(split above and below), each cell drawn `scale` x `scale` pixels without smoothing when scale > 1.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import numpy as np
from plotly.colors import hex_to_rgb

from playground.events import FrameCaptured
from playground.mlp.network import NetworkView
from playground.mlp.network_plots import PICTURE
from playground.mlp.plots import SHARP_SCALE, _diverging
from playground.plots import class_colour


def _b64(grid: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(grid, np.uint8).tobytes()).decode("ascii")


def colour_table(discretize: bool = False) -> np.ndarray:
    """(256, 3) uint8: the RGB the figures give a frame's byte b, the value b / 255 on the diverging scale (with
    `discretize`, two classes' hard regions: class 1 where P(class 1) > 0.5, as argmax over two classes)."""
    t = np.arange(256) / 255
    return np.rint(_diverging((t > 0.5).astype(float) if discretize else t)).astype(np.uint8)


def _payload(frames: Sequence[FrameCaptured], run: int, live: bool, slots: list[dict], data) -> dict:
    return {"id": str(run), "live": live, "slots": slots, "lut": None, "palette": None, "discretize": False,
            "frames": [{"i": f.index, "t": round(f.seconds, 4), "data": data(f.frame)} for f in frames]}


def boundary_payload(frames: Sequence[FrameCaptured], *, run: int, live: bool, classify: bool, discretize: bool
                     ) -> dict:
    """The payload animating the boundary figure's background (its layout image 0) through `frames`, as
    mlp/plots.boundary_figure colours it: `classify` (class probabilities) or a regression's predictions;
    `discretize` as the figure's option (classes only)."""
    discretize = discretize and classify
    channels = frames[-1].frame.boundary.shape[-1] if frames else 1
    height, width = frames[-1].frame.boundary.shape[:2] if frames else (0, 0)
    slot = {"image": 0, "width": width, "height": height, "channels": channels, "units": 1, "gap": 0,
            "scale": SHARP_SCALE if discretize else 1}
    out = _payload(frames, run, live, [slot], lambda fr: [_b64(fr.boundary[::-1])])
    if channels == 1:
        out["lut"] = _b64(colour_table(discretize))
    else:
        out["palette"] = [list(hex_to_rgb(class_colour(c))) for c in range(channels)]
    out["discretize"] = discretize
    return out


def network_payload(frames: Sequence[FrameCaptured], view: NetworkView | None, *, run: int, live: bool) -> dict:
    """The payload animating the network figure's pictures (layout image c: column c) through `frames`, as
    network_plots.column_image draws them. A frame whose columns do not match `view`'s (units left out, another
    shape) has no data: the figure's own pictures stay."""
    widths = [len(layer.units) for layer in view.layers] if view is not None else []
    sample = next((f.frame.network for f in reversed(frames) if f.frame.network is not None), None)
    t = sample[0].shape[-1] if sample else 0
    gap = max(2, round(t * (1 - PICTURE) / PICTURE / 2) * 2)  # as column_image: a picture PICTURE of its slot
    slots = [{"image": c, "width": t, "height": t, "channels": 1, "units": k, "gap": gap, "scale": 1}
             for c, k in enumerate(widths)]

    def data(frame) -> list[str | None]:
        pictures = frame.network
        if pictures is None or [len(p) for p in pictures] != widths:
            return [None] * len(widths)
        return [_b64(p[:, ::-1]) for p in pictures]

    out = _payload(frames, run, live, slots, data)
    out["lut"] = _b64(colour_table())
    return out
