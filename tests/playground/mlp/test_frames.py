"""The MLP trainer's frames (mlp/frames.py, MLPRunner.frame) and their payload for the chart (mlp/frame_plots.py)."""

import base64
import dataclasses
import math

import numpy as np
import pytest

from playground.control import Control
from playground.events import EvalEnded, FrameCaptured, RunFinished
from playground.mlp import frame_plots, frames
from playground.mlp.config import DataConfig, MLPConfig
from playground.mlp.network import NetworkView
from playground.mlp.plots import _diverging
from playground.mlp.training import GRID_SIZE, MLPRunner, train
from tests.conftest import Recorder, tiny_config

SIDE = len(range(0, GRID_SIZE, frames.GRID_STEP))  # a frame's grid points per axis


def watched_run(config, **inputs) -> Recorder:
    recorder, control = Recorder(), Control()
    control.watch(math.inf)
    train(config, recorder, control, **inputs)
    return recorder


@pytest.fixture(scope="module")
def moons_run() -> Recorder:
    return watched_run(tiny_config(epochs=40, batch_size=4))


def test_frames_are_small_uint8_grids(moons_run):
    caught = moons_run.of(FrameCaptured)
    assert len(caught) >= 1 and isinstance(moons_run.events[-1], RunFinished)
    for event in caught:
        frame = event.frame
        assert frame.boundary.dtype == np.uint8 and frame.boundary.shape == (SIDE, SIDE, 1)  # P(class 1)
        widths = [len(p) for p in frame.network]
        assert widths == [2, 8, 2] and all(p.dtype == np.uint8 and p.shape[1:] == (10, 10) for p in frame.network)
        size = frame.boundary.nbytes + sum(p.nbytes for p in frame.network)
        assert size == SIDE * SIDE + 12 * 10 * 10  # 900 bytes of boundary, 100 per neuron's picture
    first, last = watched_first_and_last(caught)
    assert not np.array_equal(first.frame.boundary, last.frame.boundary)  # training moved the boundary


def watched_first_and_last(caught):
    """The first and last frames of a run (one frame only would say nothing about motion)."""
    assert len(caught) >= 2, "a 40-epoch run at batch 4 lasts several frame intervals"
    return caught[0], caught[-1]


def test_the_last_frame_is_the_final_boundary_quantised(moons_run):
    last_frame = moons_run.of(FrameCaptured)[-1]
    final = moons_run.of(EvalEnded)[-1]
    assert last_frame.step == final.step == moons_run.events[-1].steps
    expected = frames.quantise(final.views.grid.values[:: frames.GRID_STEP, :: frames.GRID_STEP, 1:2])
    got = last_frame.frame.boundary
    # the same model on the same points; a forward pass over fewer rows may differ in the last bit
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1
    assert (got == expected).mean() > 0.99


def test_more_classes_keep_every_probability_and_a_cut_network_view_has_no_pictures():
    config = tiny_config(epochs=2)
    config = dataclasses.replace(config, data=DataConfig(dataset="blobs", n_samples=200, n_classes=3),
                                 model=MLPConfig(hidden_sizes=(40,), activations=("tanh",)))
    runner = MLPRunner(config)
    runner.start()
    frame = runner.frame(0)
    assert frame.boundary.shape == (SIDE, SIDE, 3) and frame.network is None  # 40 units: the view leaves some out
    probs = frame.boundary.astype(int).sum(-1)
    assert np.all(np.abs(probs - 255) <= 2)  # each cell's probabilities sum to one, within rounding


def test_regression_frames_use_the_boundary_figures_colour_axis():
    config = dataclasses.replace(tiny_config(epochs=1), data=DataConfig(dataset="plane", n_samples=200))
    runner = MLPRunner(config)
    runner.start()
    lo, hi = runner.value_range
    y = np.concatenate([runner.data.y_train, runner.data.y_test])
    assert (lo, hi) == (pytest.approx(y.min()), pytest.approx(y.max()))
    assert frames.boundary_frame(np.array([[lo, hi]]), False, (lo, hi)).ravel().tolist() == [0, 255]


def test_a_table_has_no_frames():
    config = dataclasses.replace(tiny_config(epochs=1), data=DataConfig(dataset="iris"))
    runner = MLPRunner(config)
    runner.start()
    assert runner.frame(0) is None


def test_quantise_clips_and_keeps_nan_in_the_middle():
    assert frames.quantise(np.array([-1.0, 0.0, 0.5, 1.0, 2.0, np.nan])).tolist() == [0, 0, 128, 255, 255, 128]


def test_the_boundary_payload_carries_top_row_first_bytes_and_the_figures_colours(moons_run):
    caught = moons_run.of(FrameCaptured)[-2:]
    payload = frame_plots.boundary_payload(caught, run=7, live=True, classify=True, discretize=False)
    assert payload["id"] == "7" and payload["live"] and payload["palette"] is None
    slot = payload["slots"][0]
    assert (slot["image"], slot["width"], slot["height"], slot["channels"], slot["scale"]) == (0, SIDE, SIDE, 1, 1)
    sent = payload["frames"][-1]
    assert sent["i"] == caught[-1].index
    grid = np.frombuffer(base64.b64decode(sent["data"][0]), np.uint8).reshape(SIDE, SIDE, 1)
    np.testing.assert_array_equal(grid, caught[-1].frame.boundary[::-1])  # a PNG's order: the top row first
    table = np.frombuffer(base64.b64decode(payload["lut"]), np.uint8).reshape(256, 3)
    np.testing.assert_array_equal(table[[0, 128, 255]], np.rint(_diverging(np.array([0, 128, 255]) / 255)))
    sharp = frame_plots.boundary_payload(caught, run=7, live=False, classify=True, discretize=True)
    table = np.frombuffer(base64.b64decode(sharp["lut"]), np.uint8).reshape(256, 3)
    assert sharp["slots"][0]["scale"] > 1 and (table[127] == table[0]).all() and (table[128] == table[255]).all()


def test_the_network_payload_fills_only_frames_that_match_the_view(moons_run):
    caught = moons_run.of(FrameCaptured)[-1:]
    view = moons_run.of(EvalEnded)[-1].views.network
    payload = frame_plots.network_payload(caught, view, run=1, live=True)
    assert [s["units"] for s in payload["slots"]] == [2, 8, 2] and all(s["gap"] == 2 for s in payload["slots"])
    assert all(payload["frames"][0]["data"])
    other = NetworkView(view.layers[:2], view.x, view.y, False)  # another shape: the figure's own pictures stay
    assert frame_plots.network_payload(caught, other, run=1, live=True)["frames"][0]["data"] == [None, None]
