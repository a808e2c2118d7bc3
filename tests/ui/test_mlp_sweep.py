"""The MLP page's sweep (AppTest): three learning rates give three curves, three boundaries and a summary; bad
sweeps get a message and no Train."""

from __future__ import annotations

from playground import memory, registry
from playground.mlp.presets import PRESETS
from tests.ui.conftest import charts, run_until, values

VALUES = "mlp.sweep.values.learning_rate"


def open_mlp(at):
    at.switch_page("app_pages/mlp.py").run()
    assert not at.exception
    at.number_input(key="mlp.epochs").set_value(5).run()
    return at


def _progress(at) -> str:
    return " ".join(bar.proto.text for bar in at.get("progress"))


def test_a_sweep_of_three_learning_rates_shows_three_curves(app):
    open_mlp(app)
    app.multiselect(key=VALUES).set_value([0.1, 0.01, 0.001]).run()
    assert "train together as one batched model" in " ".join(c.value for c in app.caption)
    app.button(key="mlp.sweep.train").click().run()
    run_until(app, lambda at: "completed" in _progress(at))
    drawn = charts(app)
    for key in ("mlp.sweep.loss_chart", "mlp.sweep.metric_chart"):
        traces = drawn[key]["data"]
        assert [t["name"] for t in traces] == ["0.001", "0.01", "0.1"], key
        assert len({t["line"]["color"] for t in traces}) == 3  # one colour per value
    assert all(len(values(t["x"])) > 50 for t in drawn["mlp.sweep.loss_chart"]["data"])
    assert drawn["mlp.sweep.loss_chart"]["layout"]["legend"]["title"]["text"] == "learning rate"
    for k in range(3):  # each variant's final boundary
        assert drawn[f"mlp.sweep.boundary_chart.{k}"]["layout"]["images"][0]["source"].startswith("data:image/png")
    summary = drawn["mlp.sweep.summary_chart"]
    assert summary["layout"]["xaxis"]["type"] == "log"
    assert sorted(t["name"] for t in summary["data"] if "name" in t) == ["0.001", "0.01", "0.1"]
    table = app.dataframe[0].value
    assert list(table["status"]) == ["completed"] * 3 and (table["test accuracy"] > 0.5).all()
    assert "mlp.loss_chart" in drawn and not charts_with_points(drawn["mlp.loss_chart"])  # the page's run: untouched


def charts_with_points(figure: dict) -> bool:
    return any(len(values(t.get("x", []))) for t in figure["data"])


def test_a_width_sweep_trains_its_variants_one_after_another(app):
    open_mlp(app)
    app.selectbox(key="mlp.sweep.setting").set_value("width").run()
    app.multiselect(key="mlp.sweep.values.width").set_value([4, 16]).run()
    assert "train one after another" in " ".join(c.value for c in app.caption)
    app.button(key="mlp.sweep.train").click().run()
    run_until(app, lambda at: "completed" in _progress(at))
    assert list(app.dataframe[0].value["status"]) == ["completed", "completed"]
    assert [t["name"] for t in charts(app)["mlp.sweep.loss_chart"]["data"]] == ["4", "16"]


def test_one_value_or_a_sweep_over_the_budget_gets_a_message_and_no_train(app):
    open_mlp(app)
    app.multiselect(key=VALUES).set_value([0.1]).run()
    assert "Pick at least 2 values of learning rate" in " ".join(w.value for w in app.warning)
    assert app.button(key="mlp.sweep.train").disabled
    one_run = memory.estimate(PRESETS["moons"].config).mb
    budget = int(one_run * 1.5) + 1  # one run fits, two together do not
    registry.shared().limits = type(registry.shared().limits)(max_memory_mb=budget)
    try:
        app.multiselect(key=VALUES).set_value([0.1, 0.01]).run()
        assert any("This sweep would need about" in w.value and f"{budget} MB per run" in w.value
                   for w in app.warning)
        assert app.button(key="mlp.sweep.train").disabled
    finally:
        registry.shared().limits = type(registry.shared().limits)()
