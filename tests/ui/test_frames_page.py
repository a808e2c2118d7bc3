"""The MLP page sends the run's frames to the boundary and network charts, each refresh those since the last, and
none while it replays."""

import base64
import json

from tests.ui.conftest import progress_text, run_until


def open_mlp(at):
    at.switch_page("app_pages/mlp.py").run()
    assert not at.exception
    return at


def frame_args(at) -> dict[str, dict | None]:
    """The `frames` argument each chart component got in the last run, by chart key."""
    out = {}
    for element in at.get("component_instance"):
        args = json.loads(element.proto.json_args)
        if element.proto.component_name.endswith(".charts.chart"):
            out[args["name"]] = args.get("frames")
    return out


def test_frames_reach_the_charts_in_batches_and_stop_for_a_replay(app):
    open_mlp(app)
    app.number_input(key="mlp.epochs").set_value(5000).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "running" in progress_text(at) and frame_args(at)["mlp.boundary_chart"]["frames"])
    boundary = frame_args(app)["mlp.boundary_chart"]
    slot = boundary["slots"][0]
    assert boundary["live"] and boundary["lut"] and slot["image"] == 0
    for frame in boundary["frames"]:
        assert len(base64.b64decode(frame["data"][0])) == slot["width"] * slot["height"] * slot["channels"]
    sent = [f["i"] for f in boundary["frames"]]
    assert sent == sorted(sent)
    network = frame_args(app)["mlp.network_chart"]
    assert [f["i"] for f in network["frames"]] == sent and all(network["frames"][-1]["data"])
    run_until(app, lambda at: frame_args(at)["mlp.boundary_chart"]["frames"])
    later = [f["i"] for f in frame_args(app)["mlp.boundary_chart"]["frames"]]
    assert min(later) > max(sent)  # each refresh sends only the frames since the last one
    run_until(app, lambda at: app.get("toggle") and any(t.label == "Follow training live" for t in at.toggle))
    next(t for t in app.toggle if t.label == "Follow training live").set_value(False).run()  # replay
    assert frame_args(app)["mlp.boundary_chart"] is None and frame_args(app)["mlp.network_chart"] is None
    app.button(key="mlp.stop").click().run()
    run_until(app, lambda at: "stopped" in progress_text(at))
