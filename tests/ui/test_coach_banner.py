"""The coach's banner on the MLP page: a run at learning rate 1e-5 gets it, its button loads the fix into the form;
a healthy run gets none."""

from tests.ui.conftest import charts, progress_text, run_until, values


def _coach(at) -> list[str]:
    return [w.value for w in at.warning if "Coach" in w.value]


def test_a_too_low_learning_rate_gets_the_coachs_banner_and_its_fix(app):
    app.switch_page("app_pages/mlp.py").run()
    app.select_slider(key="mlp.learning_rate").set_value(1e-5).run()
    app.number_input(key="mlp.epochs").set_value(20).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at) and _coach(at))
    [message] = _coach(app)
    assert "learning rate (1e-05) looks too low" in message and "fell only" in message
    fix = app.button(key="mlp.coach_fix.learning_rate_too_low")
    assert fix.label == "Set the learning rate to 0.001"
    fix.click().run()
    assert not app.exception
    assert app.select_slider(key="mlp.learning_rate").value == 0.001
    assert app.number_input(key="mlp.epochs").value == 20  # the rest of the run's settings stay
    # the banner gives way once its fix is in the form: no second press that does nothing
    assert _coach(app) == [] and not [b for b in app.button if b.key.startswith("mlp.coach_fix")]
    assert any("coach's fix is in the settings" in c.value for c in app.caption)


def test_a_healthy_preset_run_gets_no_banner(app):
    app.switch_page("app_pages/mlp.py").run()
    app.number_input(key="mlp.epochs").set_value(20).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at))
    app.run()
    assert _coach(app) == [] and not [b for b in app.button if b.key.startswith("mlp.coach_fix")]


def test_training_health_charts_show_each_reading_and_each_layers_histogram(app):
    app.switch_page("app_pages/mlp.py").run()
    app.number_input(key="mlp.epochs").set_value(5).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at))
    assert not [k for k in charts(app) if k.startswith("mlp.health")]  # off until asked for
    app.toggle(key="mlp.health").set_value(True).run()
    drawn = charts(app)
    readings = {"weight_norm", "grad_norm", "update_ratio", "dead"}  # no saturation chart: ReLU layers only
    assert {k for k in drawn if k.startswith(("mlp.health.", "mlp.histogram."))} == (
        {f"mlp.health.{r}" for r in readings} | {"mlp.histogram.0", "mlp.histogram.1", "mlp.histogram.2"})
    grad = drawn["mlp.health.grad_norm"]["data"]
    assert [t["name"] for t in grad] == ["layer 1 (relu)", "layer 2 (relu)", "output"]
    assert len(values(grad[0]["x"])) == 5  # one point per evaluation (epoch)
    heat = drawn["mlp.histogram.0"]["data"][0]
    assert heat["type"] == "heatmap" and len(values(heat["x"])) == 5
