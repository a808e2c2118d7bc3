"""Page tests for the run history (playground.ui.run_history) and the curves' chart options on both pages."""

from __future__ import annotations

import numpy as np

from playground import history as history_module
from playground.mlp.config import MLPRunConfig
from playground.ui import run_history
from tests.ui.conftest import charts, progress_text, run_until, values


def open_page(at, page: str):
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception
    return at


def train_to_end(at, page: str = "mlp") -> None:
    at.button(key=f"{page}.train").click().run()
    run_until(at, lambda a: "completed" in progress_text(a))


def table(at):
    frames = [d.value for d in at.dataframe if "settings that differ" in d.value.columns]
    assert len(frames) == 1
    return frames[0]


def ghost_traces(fig: dict) -> list[dict]:
    return [t for t in fig["data"] if t["name"].startswith("run ")]


def test_a_second_run_draws_the_first_as_a_faint_curve_named_by_what_differed(app):
    open_page(app, "mlp")
    app.number_input(key="mlp.epochs").set_value(20).run()
    app.select_slider(key="mlp.learning_rate").set_value(0.03).run()
    train_to_end(app)
    assert table(app)["run"].tolist() == [1]
    first = charts(app)["mlp.loss_chart"]
    assert not ghost_traces(first)  # the run shown is not its own ghost
    first_test = values(next(t for t in first["data"] if t["name"] == "test (epoch)")["y"])
    app.select_slider(key="mlp.learning_rate").set_value(0.3).run()
    train_to_end(app)
    drawn = charts(app)
    for key in ("mlp.loss_chart", "mlp.metric_chart"):
        ghosts = ghost_traces(drawn[key])
        assert [g["name"] for g in ghosts] == ["run 1: learning rate 0.03 → 0.3"]
        assert ghosts[0]["opacity"] < 0.5  # faint, under the current run's curves
    np.testing.assert_allclose(values(ghost_traces(drawn["mlp.loss_chart"])[0]["y"]), first_test)
    rows = table(app)
    assert rows["run"].tolist() == [2, 1]  # newest first
    assert rows["settings that differ"].tolist() == ["(the run shown)", "learning rate 0.03 → 0.3"]
    assert rows["status"].tolist() == ["completed", "completed"]
    assert rows["test accuracy"].notna().all() and (rows["time (s)"] > 0).all()
    assert "keeps the last 10 runs" in " ".join(c.value for c in app.caption)


def test_load_these_settings_sets_the_form_and_the_shown_run_cannot_be_deleted(app):
    open_page(app, "mlp")
    app.number_input(key="mlp.epochs").set_value(5).run()
    train_to_end(app)
    app.number_input(key="mlp.batch_size").set_value(64).run()
    app.select_slider(key="mlp.learning_rate").set_value(0.1).run()
    train_to_end(app)
    assert app.button(key="mlp.history.delete").disabled  # run 2 is picked: the run shown
    app.selectbox(key="mlp.history.pick").set_value(1).run()
    assert not app.button(key="mlp.history.delete").disabled
    app.button(key="mlp.history.load").click().run()
    assert app.number_input(key="mlp.batch_size").value == 32
    assert app.select_slider(key="mlp.learning_rate").value == 0.01
    assert "Run 1's settings are in the form" in " ".join(i.value for i in app.info)
    assert table(app)["run"].tolist() == [2, 1]


def test_pin_hide_and_delete(app):
    open_page(app, "mlp")
    app.number_input(key="mlp.epochs").set_value(3).run()
    train_to_end(app)
    app.select_slider(key="mlp.learning_rate").set_value(0.1).run()
    train_to_end(app)
    app.selectbox(key="mlp.history.pick").set_value(1).run()
    app.button(key="mlp.history.hide").click().run()
    assert not ghost_traces(charts(app)["mlp.loss_chart"]) and table(app)["on the charts"].tolist() == [True, False]
    app.button(key="mlp.history.hide").click().run()
    assert len(ghost_traces(charts(app)["mlp.loss_chart"])) == 1
    app.button(key="mlp.history.pin").click().run()
    assert table(app)["pinned"].tolist() == [False, True] and app.button(key="mlp.history.pin").label == "Unpin"
    app.button(key="mlp.history.delete").click().run()
    assert table(app)["run"].tolist() == [2] and not ghost_traces(charts(app)["mlp.loss_chart"])


def test_a_full_history_says_which_run_it_drops_and_keeps_pinned_runs(app, monkeypatch):
    monkeypatch.setattr(run_history, "HISTORY_LIMIT", 2)
    open_page(app, "mlp")
    app.number_input(key="mlp.epochs").set_value(2).run()
    train_to_end(app)
    app.button(key="mlp.history.pin").click().run()  # run 1 pinned
    train_to_end(app)
    assert "the next run drops run 2" in " ".join(w.value for w in app.warning)
    train_to_end(app)
    assert table(app)["run"].tolist() == [3, 1]  # run 2 went, the pinned run 1 stayed
    assert "Run 2 left the history" in " ".join(i.value for i in app.info)


def test_restart_records_the_replaced_run_as_stopped_and_history_survives_a_page_switch(app):
    open_page(app, "mlp")
    app.number_input(key="mlp.epochs").set_value(1000).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda a: "running" in progress_text(a) or "completed" in progress_text(a))
    app.button(key="mlp.train").click().run()  # Restart
    assert table(app)["status"].tolist() == ["stopped"]
    app.button(key="mlp.stop").click().run()
    run_until(app, lambda a: "stopped" in progress_text(a))
    assert table(app)["run"].tolist() == [2, 1]
    app.switch_page("app_pages/home.py").run()
    open_page(app, "mlp")
    assert table(app)["run"].tolist() == [2, 1]


def test_x_axis_by_epoch_and_wall_time_and_log_x(app):
    open_page(app, "mlp")
    app.number_input(key="mlp.epochs").set_value(10).run()
    train_to_end(app)
    steps = values(charts(app)["mlp.loss_chart"]["data"][0]["x"])
    app.radio(key="mlp.x_axis").set_value("epoch").run()
    fig = charts(app)["mlp.loss_chart"]
    assert fig["layout"]["xaxis"]["title"]["text"] == "epoch"
    test = next(t for t in fig["data"] if t["name"] == "test (epoch)")
    np.testing.assert_allclose(values(test["x"]), np.arange(1, 11))  # an evaluation at the end of each epoch
    per_step = values(fig["data"][0]["x"])
    assert per_step.max() <= 10 and np.allclose(per_step * steps.max() / 10, steps)
    app.radio(key="mlp.x_axis").set_value("wall time").run()
    app.toggle(key="mlp.log_x").set_value(True).run()
    fig = charts(app)["mlp.metric_chart"]
    assert fig["layout"]["xaxis"]["title"]["text"] == "wall time (s)" and fig["layout"]["xaxis"]["type"] == "log"
    seconds = values(fig["data"][0]["x"])
    assert np.all(np.diff(seconds) > 0) and 0 < seconds[-1] < 600
    app.switch_page("app_pages/home.py").run()
    open_page(app, "mlp")  # the chart options are kept across a page switch
    assert app.radio(key="mlp.x_axis").value == "wall time" and app.toggle(key="mlp.log_x").value is True
    assert charts(app)["mlp.loss_chart"]["layout"]["xaxis"]["title"]["text"] == "wall time (s)"


def test_smoothing_starts_at_zero_and_the_raw_loss_stays_under_a_smoothed_one(app):
    open_page(app, "mlp")
    assert app.slider(key="mlp.smoothing").value == 0.0
    app.number_input(key="mlp.epochs").set_value(3).run()
    train_to_end(app)
    names = [t["name"] for t in charts(app)["mlp.loss_chart"]["data"]]
    assert "train (per step)" in names and "train (smoothed)" not in names
    app.slider(key="mlp.smoothing").set_value(0.8).run()
    data = {t["name"]: t for t in charts(app)["mlp.loss_chart"]["data"]}
    assert data["train (per step)"]["opacity"] < 0.5 and "train (smoothed)" in data


def test_the_attention_page_has_the_same_controls_and_its_own_history(app):
    open_page(app, "attention")
    assert app.slider(key="attention.smoothing").value == 0.0
    assert app.radio(key="attention.x_axis").options == ["step", "wall time"]  # runs counted in steps only
    app.number_input(key="attention.training.steps").set_value(40).run()
    app.number_input(key="attention.training.eval_every").set_value(10).run()
    train_to_end(app, "attention")
    app.number_input(key="attention.training.batch_size").set_value(32).run()
    train_to_end(app, "attention")
    ghosts = ghost_traces(charts(app)["attention.loss_chart"])
    assert [g["name"] for g in ghosts] == ["run 1: batch size 64 → 32"]
    app.radio(key="attention.x_axis").set_value("wall time").run()
    assert charts(app)["attention.loss_chart"]["layout"]["xaxis"]["title"]["text"] == "wall time (s)"
    assert table(app)["run"].tolist() == [2, 1] and "mlp.history" not in app.session_state


def test_settings_of_another_playground_cannot_be_loaded(app):
    """A record that came from the MLP page is refused by the attention page's load, with a message."""
    open_page(app, "attention")
    record = history_module.RunRecord(1, 999, "mlp", MLPRunConfig(), _no_curves(), "completed", 10, 1.0,
                                      "accuracy", "test")
    app.session_state["attention.history"].records.append(record)  # bypasses History.add, which refuses it
    app.run()
    before = {w.key: w.value for w in app.number_input if w.key.startswith("attention.")}
    assert table(app)["settings that differ"].tolist() == ["another playground's run"]
    app.button(key="attention.history.load").click().run()
    assert "Run 1 is from MLP playground: its settings cannot be loaded on this page." in [e.value for e in app.error]
    assert {w.key: w.value for w in app.number_input if w.key.startswith("attention.")} == before  # form unchanged


def _no_curves() -> history_module.Curves:
    e = np.zeros(0)
    return history_module.Curves(e, e, e, e, e, e, e, e, e, None)


def test_after_reset_earlier_runs_are_compared_with_the_forms_settings(app):
    open_page(app, "mlp")
    app.number_input(key="mlp.epochs").set_value(3).run()
    train_to_end(app)
    app.button(key="mlp.reset").click().run()
    assert [g["name"] for g in ghost_traces(charts(app)["mlp.loss_chart"])] == ["run 1: same settings"]
    app.number_input(key="mlp.epochs").set_value(4).run()
    assert [g["name"] for g in ghost_traces(charts(app)["mlp.loss_chart"])] == ["run 1: epochs 3 → 4"]
    assert table(app)["settings that differ"].tolist() == ["epochs 3 → 4"]
    assert not app.button(key="mlp.history.delete").disabled  # no run is shown: any can go
