import base64
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from playground.mlp.network import LayerView, NetworkView
from playground.mlp.network_plots import (
    LINK_WIDTHS,
    NEGATIVE,
    PICTURE,
    POSITIVE,
    column_gap,
    network_figure,
    neuron_figure,
    positions,
)

T = 4


def _layer(name, labels, n_units, images, weights=None, bias=None):
    return LayerView(name, tuple(labels), np.arange(len(labels)), n_units, np.asarray(images, np.float16),
                     None if weights is None else np.asarray(weights, np.float32),
                     None if bias is None else np.asarray(bias, np.float32))


def _view() -> NetworkView:
    ramp = np.tile(np.linspace(-1, 1, T), (T, 1))  # left to right: -1 .. 1
    inputs = _layer("inputs", ["x1", "x2"], 2, [ramp, ramp.T])
    hidden = _layer("hidden 1", ["unit 1", "unit 2", "unit 3"], 20, [2 * ramp, np.zeros((T, T)), -ramp],
                    weights=[[1.0, -0.1], [-4.0, 0.0], [2.1, 3.0]], bias=[0.5, -1, 0])
    output = _layer("output", ["a"], 1, [ramp], weights=[[0.5, -2.0, 1.0]], bias=[0.25])
    return NetworkView((inputs, hidden, output), np.linspace(-1, 1, T), np.linspace(-1, 1, T), False)


def _pixels(image: dict) -> np.ndarray:
    data = base64.b64decode(image["source"].split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def test_one_picture_per_shown_neuron_in_columns_with_the_hidden_count():
    fig = network_figure(_view()).to_dict()
    images = fig["layout"]["images"]  # one per column, its units stacked one figure unit apart
    gap = column_gap(_view())
    assert len(images) == 3 and [im["x"] / gap for im in images] == [0, 1, 2]
    assert [im["sizey"] for im in images] == [2, 3, 1] and {im["sizex"] for im in images} == {PICTURE}
    assert images[1]["y"] == 2.5 and images[1]["yanchor"] == "top"  # the first unit on top, centred at y = 2
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert titles == ["inputs", "hidden 1<br>3 of 20", "output"]
    px = _pixels(images[1])  # (3 slots of T + g rows, T, 4)
    slot = px.shape[0] // 3
    g = slot - T
    assert px.shape[1] == T and px[0, 0, 3] == 0 and px[g // 2, 0, 3] == 255  # transparent between pictures
    # a unit of 2*ramp, scaled by its own largest |value|: its left edge pure blue and its right edge pure orange
    assert tuple(px[g // 2, 0, :3]) == (0x1F, 0x77, 0xB4) and tuple(px[g // 2, -1, :3]) == (0xFF, 0x7F, 0x0E)
    assert tuple(px[slot + g // 2 + 1, 1, :3]) == (255, 255, 255)  # the second unit, all zeros: white
    assert tuple(px[2 * slot + g // 2, 0, :3]) == (0xFF, 0x7F, 0x0E)  # -ramp reaches full colour too, beside 2*ramp
    y_picture = _pixels(images[0])[slot + g // 2 : slot + g // 2 + T]  # the input y: +1 at the top, -1 below
    assert tuple(y_picture[0, 0, :3]) == (0xFF, 0x7F, 0x0E) and tuple(y_picture[-1, 0, :3]) == (0x1F, 0x77, 0xB4)
    neurons = next(t for t in fig["data"] if t["name"] == "neurons")
    assert "bias +0.500" in neurons["text"][2] and "x1 +1.00, x2 -0.10" in neurons["text"][2]
    go.Figure(fig)  # plotly's validation accepts it


def test_links_are_coloured_by_sign_and_wider_for_larger_weights():
    fig = network_figure(_view())
    links = [t for t in fig.data if t.name != "neurons"]
    n_links = sum(int(np.isnan(np.asarray(t.x, float)).sum()) for t in links)
    assert n_links == 6 + 3
    by_weight = {}
    for t in links:
        for k in range(0, len(t.x), 3):
            by_weight[(round(t.x[k], 3), round(t.y[k], 3), round(t.y[k + 1], 3))] = (t.line.color, t.line.width)
    ys, left = positions(_view()), round(PICTURE / 2, 3)  # a link leaves a picture's right edge
    assert by_weight[(left, ys[0][0], ys[1][1])] == (NEGATIVE, LINK_WIDTHS[-1])  # -4.0: the largest |weight|
    assert by_weight[(left, ys[0][0], ys[1][2])] == (POSITIVE, LINK_WIDTHS[2])  # 2.1 of 4.0: the third quarter
    assert by_weight[(left, ys[0][1], ys[1][2])] == (POSITIVE, LINK_WIDTHS[3])  # 3.0 of 4.0: the fourth
    assert by_weight[(left, ys[0][1], ys[1][0])] == (NEGATIVE, LINK_WIDTHS[0])  # -0.1


def test_a_neuron_drawn_large_with_its_incoming_weights_and_bias():
    fig = neuron_figure(_view(), 1, 2)
    heat, bars = fig.data
    np.testing.assert_allclose(heat.z, -np.tile(np.linspace(-1, 1, T), (T, 1)), atol=1e-3)
    assert (heat.zmin, heat.zmax) == (-1.0, 1.0)  # the unit's own scale, 0 white
    assert list(bars.y) == ["x1", "x2", "bias"] and np.allclose(bars.x, [2.1, 3.0, 0.0])
    assert fig.layout.title.text == "hidden 1 · unit 3"
    inputs = neuron_figure(_view(), 0, 0)
    assert len(inputs.data) == 1  # an input has no weights in
    go.Figure(fig.to_dict())


def test_no_view_gives_an_empty_figure():
    fig = network_figure(None)
    assert not fig.data and fig.layout.annotations
