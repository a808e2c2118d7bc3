
import json

from streamlit.testing.v1 import AppTest

from playground import devices, registry
from playground.ui.charts import PRESENTER_FONT_SIZE
from tests.ui.conftest import APP, HOSTILE, charts, metric, progress_text, run_until, shown_text, values


def open_mlp(at):
    at.switch_page("app_pages/mlp.py").run()
    assert not at.exception
    return at


def test_home_says_where_training_runs(app):
    text = " ".join(str(e.value) for e in [*app.markdown, *app.info, *app.success])
    assert "CPU" in text or "GPU" in text
    assert "MLP playground" in text


def test_train_moons_to_completion_with_live_charts(app):
    open_mlp(app)
    assert app.button(key="mlp.train").label == "Train"
    app.button(key="mlp.train").click().run()
    assert app.button(key="mlp.train").label == "Restart" or "completed" in progress_text(app)
    run_until(app, lambda at: "completed" in progress_text(at))
    assert metric(app, "Test accuracy") >= 0.9
    drawn = charts(app)
    assert set(drawn) == {"mlp.loss_chart", "mlp.metric_chart", "mlp.boundary_chart", "mlp.confusion_chart",
                          "mlp.network_chart"}
    loss = drawn["mlp.loss_chart"]
    assert loss["data"][0]["name"] == "train (per step)" and len(values(loss["data"][0]["x"])) > 100
    boundary = drawn["mlp.boundary_chart"]  # the decision boundary: the model's output under the points
    assert boundary["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    assert {trace["name"] for trace in boundary["data"]} >= {"train · 0", "test · 1"}
    assert app.button(key="mlp.train").label == "Train" and app.button(key="mlp.stop").disabled
    assert {b.label for b in app.get("download_button")} >= {"Download weights (.safetensors)"}


def test_preset_loads_every_widget(app):
    open_mlp(app)
    app.selectbox(key="mlp.preset").set_value("iris-keras").run()
    assert app.selectbox(key="mlp.dataset").value == "iris"
    assert app.slider(key="mlp.n_layers").value == 2
    assert app.number_input(key="mlp.width.0").value == 64
    assert app.number_input(key="mlp.batch_size").value == 16
    assert "Reference test accuracy" in " ".join(c.value for c in app.caption)
    app.selectbox(key="mlp.preset").set_value("ripple-regression").run()
    assert "Reference test R²" in " ".join(c.value for c in app.caption)


def test_a_changed_preset_can_be_reloaded(app):
    open_mlp(app)
    app.number_input(key="mlp.batch_size").set_value(7).run()
    assert "Settings changed from the moons preset." in " ".join(c.value for c in app.caption)
    app.button(key="mlp.reload_preset").click().run()
    assert app.number_input(key="mlp.batch_size").value == 32
    assert not [b for b in app.button if b.key == "mlp.reload_preset"]


def test_choosing_csv_before_a_file_no_longer_shows_the_presets_description(app):
    open_mlp(app)
    app.selectbox(key="mlp.dataset").set_value("csv").run()  # no table yet: the form makes no config
    captions = " ".join(c.value for c in app.caption)
    assert "Settings changed from the moons preset." in captions and "half-moons" not in captions
    app.button(key="mlp.reload_preset").click().run()
    assert app.selectbox(key="mlp.dataset").value == "moons" and "half-moons" in " ".join(c.value for c in app.caption)


def test_settings_survive_a_page_switch(app):
    open_mlp(app)
    app.number_input(key="mlp.epochs").set_value(7).run()
    app.switch_page("app_pages/home.py").run()
    open_mlp(app)
    assert app.number_input(key="mlp.epochs").value == 7


def test_the_chosen_preset_survives_a_page_switch(app):
    open_mlp(app)
    app.selectbox(key="mlp.preset").set_value("spiral").run()
    app.switch_page("app_pages/home.py").run()
    open_mlp(app)
    assert app.selectbox(key="mlp.preset").value == "spiral" and app.selectbox(key="mlp.dataset").value == "spiral"
    captions = " ".join(c.value for c in app.caption)
    assert "Settings changed" not in captions and "Reload" not in " ".join(b.label for b in app.button)


def test_divergence_shows_the_hint_and_a_new_run_works(app):
    open_mlp(app)
    app.selectbox(key="mlp.optimizer").set_value("sgd").run()
    app.select_slider(key="mlp.learning_rate").set_value(10.0).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "diverged" in progress_text(at))
    errors = " ".join(e.value for e in app.error)
    assert "training diverged" in errors and "learning rate (10)" in errors
    empty = charts(app)["mlp.metric_chart"]["layout"]["annotations"][0]["text"]  # it blew up within the first epoch
    assert empty == "The run ended before its first evaluation"
    network = charts(app)["mlp.network_chart"]["layout"]["annotations"][0]["text"]  # not "Press Train to start"
    assert network == "The run ended before its first evaluation"
    app.select_slider(key="mlp.learning_rate").set_value(0.1).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at))
    assert not app.error


def test_train_click_draws_the_first_points_and_new_controls_in_the_same_run(app):
    open_mlp(app)
    app.number_input(key="mlp.epochs").set_value(5000).run()
    app.button(key="mlp.train").click().run()  # one script run, no polling
    assert "running" in progress_text(app)
    assert app.button(key="mlp.train").label == "Restart" and not app.button(key="mlp.stop").disabled
    loss = charts(app)["mlp.loss_chart"]
    assert loss["data"][0]["name"] == "train (per step)" and len(values(loss["data"][0]["x"])) >= 1
    assert metric(app, "Test accuracy") >= 0.0  # the first evaluation is on the page
    app.button(key="mlp.stop").click().run()
    assert "stopped" in progress_text(app) and app.button(key="mlp.train").label == "Train"


def test_pause_resume_and_stop(app):
    open_mlp(app)
    app.number_input(key="mlp.epochs").set_value(5000).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "running" in progress_text(at))
    app.button(key="mlp.pause").click().run()
    assert "paused" in progress_text(app) and app.button(key="mlp.pause").label == "Resume"
    app.button(key="mlp.pause").click().run()
    run_until(app, lambda at: "running" in progress_text(at))
    app.button(key="mlp.stop").click().run()
    run_until(app, lambda at: "stopped" in progress_text(at))
    app.button(key="mlp.reset").click().run()
    assert not app.get("progress")


def test_csv_upload_good_then_bad_keeps_the_good_table(app):
    open_mlp(app)
    app.selectbox(key="mlp.dataset").set_value("csv").run()
    assert any("Upload a CSV file" in w.value for w in app.warning)
    assert app.button(key="mlp.train").disabled
    rows = "\n".join(f"{i % 7},{(i * 3) % 11},{'yes' if i % 7 > 3 else 'no'}" for i in range(60))
    app.get("file_uploader")[0].set_value(("data.csv", f"a,b,label\n{rows}\n".encode(), "text/csv")).run()
    assert not app.exception
    assert app.selectbox(key="mlp.target").value == "label"
    assert "2 classes" in " ".join(c.value for c in app.caption)
    assert not app.button(key="mlp.train").disabled
    app.get("file_uploader")[0].set_value(("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00binary", "text/csv")).run()
    assert not app.exception
    assert "doesn't look like a CSV" in " ".join(e.value for e in app.error)
    assert "Still using data.csv" in " ".join(c.value for c in app.caption)
    assert not app.button(key="mlp.train").disabled
    # A task that does not fit the kept table, then one that does: the table is still there.
    app.selectbox(key="mlp.task").set_value("regression").run()
    assert app.button(key="mlp.train").disabled
    app.selectbox(key="mlp.task").set_value("auto").run()
    assert app.selectbox(key="mlp.target").value == "label" and not app.button(key="mlp.train").disabled
    # ✕ on the bad file goes back to the table in use.
    app.get("file_uploader")[0].set_value(None).run()
    assert "Using data.csv, uploaded earlier." in " ".join(c.value for c in app.caption)
    assert not app.button(key="mlp.train").disabled


def test_the_model_caption_shows_the_layers_train_will_use(app):
    open_mlp(app)
    captions = lambda: " ".join(c.value for c in app.caption)  # noqa: E731
    assert "Hidden layers: 16 ReLU → 16 ReLU." in captions()
    app.number_input(key="mlp.width.1").set_value(32).run()
    app.selectbox(key="mlp.act.1").set_value("tanh").run()
    assert "Hidden layers: 16 ReLU → 32 Tanh." in captions()
    app.slider(key="mlp.n_layers").set_value(0).run()
    assert "Hidden layers: none (a linear model)." in captions()


def test_an_emptied_uploader_keeps_the_table_until_it_is_forgotten(app):
    """Emptied by its ✕ or by leaving the page (the browser's uploader also empties itself for a moment when a
    new file replaces the old one), the uploader keeps the table, says so, and offers to forget it."""
    open_mlp(app)
    app.selectbox(key="mlp.dataset").set_value("csv").run()
    rows = "\n".join(f"{i % 7},{(i * 3) % 11},{'yes' if i % 7 > 3 else 'no'}" for i in range(60))
    app.get("file_uploader")[0].set_value(("data.csv", f"a,b,label\n{rows}\n".encode(), "text/csv")).run()
    assert not [b for b in app.button if b.key == "mlp.forget_table"]
    app.switch_page("app_pages/home.py").run()
    app.switch_page("app_pages/mlp.py").run()
    captions = " ".join(c.value for c in app.caption)
    assert "Using data.csv, uploaded earlier." in captions and "data.csv: 60 rows" in captions
    assert not app.button(key="mlp.train").disabled
    app.get("file_uploader")[0].set_value(("data.csv", f"a,b,label\n{rows}\n".encode(), "text/csv")).run()
    app.get("file_uploader")[0].set_value(None).run()
    assert "Using data.csv, uploaded earlier." in " ".join(c.value for c in app.caption)
    app.button(key="mlp.forget_table").click().run()
    assert not app.exception
    assert any("Upload a CSV file" in w.value for w in app.warning)
    assert "data.csv" not in " ".join(c.value for c in app.caption)
    assert app.button(key="mlp.train").disabled


def test_a_bad_file_after_an_unusable_one_names_only_itself(app):
    """A table that was read but could not make a dataset (too few rows) is not kept as a fallback."""
    open_mlp(app)
    app.selectbox(key="mlp.dataset").set_value("csv").run()
    app.get("file_uploader")[0].set_value(("small.csv", b"a,b,label\n1,2,x\n3,4,y\n", "text/csv")).run()
    assert any("small.csv: The table has only 2 rows" in w.value for w in app.warning)
    app.get("file_uploader")[0].set_value(("empty.csv", b"a,b,label\n", "text/csv")).run()
    assert not app.exception
    shown = " ".join(m.value for m in [*app.error, *app.warning, *app.caption])
    assert "empty.csv" in shown and "small.csv" not in shown
    assert app.button(key="mlp.train").disabled


def test_a_long_column_name_is_cut_in_the_boundary_axis_title_which_still_says_standardised(app):
    open_mlp(app)
    app.selectbox(key="mlp.dataset").set_value("csv").run()
    rows = "\n".join(f"{i % 7},{(i * 3) % 11},{'yes' if i % 7 > 3 else 'no'}" for i in range(60))
    name = "L" * 5000
    app.get("file_uploader")[0].set_value(("long.csv", f"{name},b,label\n{rows}\n".encode(), "text/csv")).run()
    app.number_input(key="mlp.epochs").set_value(2).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at))
    title = charts(app)["mlp.boundary_chart"]["layout"]["xaxis"]["title"]["text"]
    assert title.endswith("L (standardised)") and "…" in title and len(title) < 50


def test_csv_regression_with_three_features_draws_predicted_against_actual(app):
    """No decision boundary beyond two features, but the regression check is drawn all the same."""
    open_mlp(app)
    app.selectbox(key="mlp.dataset").set_value("csv").run()
    rows = "\n".join(f"{i % 7},{(i * 3) % 11},{i % 5},{(i % 7) * 0.5 + (i % 5) * 0.25:.3f}" for i in range(80))
    app.get("file_uploader")[0].set_value(("r.csv", f"a,b,c,y\n{rows}\n".encode(), "text/csv")).run()
    app.selectbox(key="mlp.target").set_value("y").run()
    app.selectbox(key="mlp.task").set_value("regression").run()
    app.number_input(key="mlp.epochs").set_value(20).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at))
    drawn = charts(app)
    assert "mlp.boundary_chart" not in drawn
    prediction = drawn["mlp.prediction_chart"]["data"][0]
    assert prediction["name"] == "predictions" and len(values(prediction["x"])) == 16  # 20% of 80 rows


def test_presenter_mode_keeps_the_chosen_preset(app):
    open_mlp(app)
    app.selectbox(key="mlp.preset").set_value("xor").run()
    app.toggle(key="presenter").set_value(True).run()
    assert app.radio(key="mlp.preset").value == "xor"
    app.toggle(key="presenter").set_value(False).run()
    assert app.selectbox(key="mlp.preset").value == "xor" and app.selectbox(key="mlp.dataset").value == "xor"
    assert not [c for c in app.caption if "Settings changed" in c.value]


def test_one_class_target_is_refused_in_the_page(app):
    open_mlp(app)
    app.selectbox(key="mlp.dataset").set_value("csv").run()
    rows = "\n".join(f"{i},{i * 2},same" for i in range(30))
    app.get("file_uploader")[0].set_value(("one.csv", f"a,b,label\n{rows}\n".encode(), "text/csv")).run()
    assert not app.exception
    assert any("at least two classes" in w.value for w in app.warning)
    assert app.button(key="mlp.train").disabled


def test_a_shared_link_reproduces_the_setup_and_the_url_follows_changes(app):
    app.query_params["data.dataset"] = "spiral"
    app.query_params["model.hidden_sizes"] = "32,32"
    app.query_params["model.activations"] = "tanh,tanh"
    app.query_params["training.learning_rate"] = "0.003"
    open_mlp(app)
    assert app.selectbox(key="mlp.dataset").value == "spiral"
    assert app.number_input(key="mlp.width.1").value == 32 and app.selectbox(key="mlp.act.0").value == "tanh"
    assert app.select_slider(key="mlp.learning_rate").value == 0.003
    app.number_input(key="mlp.epochs").set_value(7).run()
    assert app.query_params["training.epochs"] in ("7", ["7"])


def test_a_tampered_link_falls_back_with_a_notice(app):
    app.query_params["training.learning_rate"] = "fast"
    app.query_params["model.depth"] = "9"
    open_mlp(app)
    warnings = " ".join(w.value for w in app.warning)
    assert "training.learning_rate" in warnings and "model.depth" in warnings
    assert app.select_slider(key="mlp.learning_rate").value == 0.01  # the default preset's


def test_a_link_naming_a_device_this_server_lacks_says_so_and_keeps_the_rest(app):
    missing = next(d for d in ("cuda", "mps") if d not in devices.available())
    app.query_params["training.device"] = missing
    app.query_params["training.epochs"] = "7"
    open_mlp(app)
    warnings = " ".join(w.value for w in app.warning)
    assert f"training.device='{missing}'" in warnings and "no such device" in warnings
    assert app.selectbox(key="mlp.device").value == "auto"
    assert app.number_input(key="mlp.epochs").value == 7


def test_presenter_mode_shows_lessons_and_hides_advanced_controls():
    app = AppTest.from_file(APP, default_timeout=30)
    app.query_params["presenter"] = "1"  # a presenter's link: read when the session starts
    app.run()
    open_mlp(app)
    assert app.toggle(key="presenter").value is True
    lessons = app.radio(key="mlp.preset")
    assert lessons.label == "Lessons" and "iris-keras" in lessons.options
    assert not [s for s in app.selectbox if s.key == "mlp.dataset"]  # the Data/Model/Training forms are hidden
    lessons.set_value("iris-keras").run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at))
    assert metric(app, "Test accuracy") >= 0.93
    assert set(chart_font_sizes(app).values()) == {PRESENTER_FONT_SIZE}  # larger text in every chart
    app.toggle(key="presenter").set_value(False).run()
    assert app.selectbox(key="mlp.dataset").value == "iris"  # the lesson's settings, now editable
    assert set(chart_font_sizes(app).values()) == {0}  # the figures' own
    registry.shared().shutdown()


def test_presenter_mode_says_when_the_settings_are_not_the_ticked_lessons(app):
    open_mlp(app)
    app.selectbox(key="mlp.dataset").set_value("spiral").run()  # changed before presenter mode is turned on
    app.toggle(key="presenter").set_value(True).run()
    assert app.radio(key="mlp.preset").value == "moons"
    assert "Settings changed from the moons lesson." in [c.value for c in app.caption]
    app.button(key="mlp.reload_preset").click().run()
    assert not [c for c in app.caption if "Settings changed" in c.value]
    app.toggle(key="presenter").set_value(False).run()
    assert app.selectbox(key="mlp.dataset").value == "moons"


def chart_font_sizes(at) -> dict[str, int]:
    return {json.loads(e.proto.json_args)["name"]: json.loads(e.proto.json_args)["font_size"]
            for e in at.get("component_instance")}


def test_sample_and_noise_settings_survive_tabular_datasets(app):
    open_mlp(app)
    for dataset in ("wine", "breast_cancer", "xor", "circles"):
        app.selectbox(key="mlp.dataset").set_value(dataset).run()
        assert not app.exception
    assert app.slider(key="mlp.n_samples").value == 1000 and app.slider(key="mlp.noise").value == 0.2
    assert app.query_params.get("data.n_samples") is None  # still the default: not in the link


def test_chart_options_redraw_the_charts_of_a_finished_run(app):
    """The options sit outside the live panel; each change still reaches the charts it is about."""
    open_mlp(app)
    app.number_input(key="mlp.epochs").set_value(5).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at))
    before = charts(app)
    names = [t["name"] for t in before["mlp.loss_chart"]["data"]]
    assert before["mlp.loss_chart"]["layout"]["yaxis"]["type"] == "linear" and "train (smoothed)" not in names
    app.toggle(key="mlp.log_y").set_value(True).run()
    app.slider(key="mlp.smoothing").set_value(0.6).run()
    app.toggle(key="mlp.discretize").set_value(True).run()
    after = charts(app)
    assert after["mlp.loss_chart"]["layout"]["yaxis"]["type"] == "log"
    assert "train (smoothed)" in [t["name"] for t in after["mlp.loss_chart"]["data"]]
    images = {fig["mlp.boundary_chart"]["layout"]["images"][0]["source"] for fig in (before, after)}
    assert len(images) == 2  # the discretized background is another image


def chart_places(at) -> dict[str, tuple[int, ...]]:
    """Where each chart sits in the page: its path of child indices from the main area, by chart key."""
    places = {}

    def walk(node, path):
        for i, child in getattr(node, "children", {}).items():
            if child.type == "component_instance" and child.proto.component_name.endswith(".charts.chart"):
                places[json.loads(child.proto.json_args)["name"]] = (*path, i)
            walk(child, (*path, i))

    walk(at.main, ())
    return places


def test_the_charts_keep_their_places_from_before_train_to_the_end(app):
    """In the browser a chart that moves is a new iframe that loads plotly.js again, so the charts drawn
    before Train must be the ones that draw its points, through every refresh and the final redraw."""
    open_mlp(app)
    app.number_input(key="mlp.epochs").set_value(30).run()
    before = chart_places(app)
    assert set(before) == {"mlp.loss_chart", "mlp.metric_chart", "mlp.boundary_chart", "mlp.network_chart"}
    app.button(key="mlp.train").click().run()
    seen = [chart_places(app)]
    run_until(app, lambda at: seen.append(chart_places(at)) or "completed" in progress_text(at))
    assert len(seen) > 1
    for places in seen:
        assert {k: v for k, v in places.items() if k in before} == before


def test_chart_options_survive_a_page_switch(app):
    open_mlp(app)
    app.number_input(key="mlp.epochs").set_value(3).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at))
    app.toggle(key="mlp.log_y").set_value(True).run()
    app.slider(key="mlp.smoothing").set_value(0.9).run()
    app.switch_page("app_pages/home.py").run()
    open_mlp(app)
    assert app.toggle(key="mlp.log_y").value is True and app.slider(key="mlp.smoothing").value == 0.9
    assert not app.toggle(key="mlp.discretize").value
    assert charts(app)["mlp.loss_chart"]["layout"]["yaxis"]["type"] == "log"


def test_csv_columns_can_be_left_out_and_the_table_previewed(app):
    open_mlp(app)
    app.selectbox(key="mlp.dataset").set_value("csv").run()
    rows = "\n".join(f"{i},{i % 7},{(i * 3) % 11},{'yes' if i % 7 > 3 else 'no'}" for i in range(60))
    app.get("file_uploader")[0].set_value(("data.csv", f"id,a,b,label\n{rows}\n".encode(), "text/csv")).run()
    captions = lambda: " ".join(c.value for c in app.caption)  # noqa: E731
    assert "3 features" in captions()
    assert app.multiselect(key="mlp.ignore").options == ["id", "a", "b"]
    assert len(app.dataframe) == 1 and app.dataframe[0].value.shape == (50, 4)  # the preview: first 50 rows
    app.multiselect(key="mlp.ignore").set_value(["id"]).run()
    assert "2 features" in captions() and not app.button(key="mlp.train").disabled
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at) or "failed" in progress_text(at))
    assert "completed" in progress_text(app)
    layout = charts(app)["mlp.boundary_chart"]["layout"]  # two features: the boundary, on the columns' axes
    assert (layout["xaxis"]["title"]["text"], layout["yaxis"]["title"]["text"]) == ("a (standardised)",
                                                                                   "b (standardised)")
    # Making a left-out column the target takes it out of the list instead of refusing the setup.
    app.selectbox(key="mlp.target").set_value("id").run()
    assert app.multiselect(key="mlp.ignore").value == [] and "id" not in app.multiselect(key="mlp.ignore").options
    assert not app.exception


def _upload_ids_csv(app, name="data.csv"):
    app.selectbox(key="mlp.dataset").set_value("csv").run()
    rows = "\n".join(f"{i},{i % 7},{(i * 3) % 11},{'yes' if i % 7 > 3 else 'no'}" for i in range(60))
    app.get("file_uploader")[0].set_value((name, f"id,a,b,label\n{rows}\n".encode(), "text/csv")).run()


def test_after_a_run_changed_settings_or_a_new_table_say_the_charts_are_the_runs(app):
    stale = lambda: [c.value for c in app.caption if c.value.startswith("Settings changed since this run")]  # noqa: E731
    open_mlp(app)
    app.number_input(key="mlp.epochs").set_value(3).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at))
    assert not stale()
    app.selectbox(key="mlp.dataset").set_value("circles").run()
    assert stale()
    app.selectbox(key="mlp.dataset").set_value("csv").run()  # no table yet: no settings to train, nothing to say
    assert not stale() and app.button(key="mlp.train").disabled
    app.selectbox(key="mlp.dataset").set_value("moons").run()  # the run's settings again
    assert not stale()
    _upload_ids_csv(app)
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at))
    assert not stale()
    _upload_ids_csv(app, name="other.csv")  # the same columns in another file: other data
    assert stale()


def test_a_csv_id_column_gets_a_hint_and_one_click_leaves_it_out(app):
    open_mlp(app)
    _upload_ids_csv(app)
    captions = lambda: " ".join(c.value for c in app.caption)  # noqa: E731
    assert "'id' looks like a row identifier" in captions() and "3 features" in captions()
    app.button(key="mlp.ignore_ids").click().run()
    assert app.multiselect(key="mlp.ignore").value == ["id"] and "2 features" in captions()
    assert "row identifier" not in captions() and not [b for b in app.button if b.key == "mlp.ignore_ids"]


def test_csv_settings_survive_a_page_switch(app):
    """Target, task and left-out columns are drawn only for a CSV; a visit to another page keeps them."""
    open_mlp(app)  # the session starts on moons: the CSV widgets were not drawn in its first runs
    _upload_ids_csv(app)
    app.selectbox(key="mlp.target").set_value("b").run()
    app.selectbox(key="mlp.task").set_value("regression").run()
    app.multiselect(key="mlp.ignore").set_value(["id"]).run()
    app.switch_page("app_pages/home.py").run()
    open_mlp(app)
    assert app.selectbox(key="mlp.target").value == "b" and app.selectbox(key="mlp.task").value == "regression"
    assert app.multiselect(key="mlp.ignore").value == ["id"]
    assert "3 features, regression" in " ".join(c.value for c in app.caption)  # a, and label one-hot encoded


def test_presenter_mode_trains_on_the_uploaded_table(app):
    open_mlp(app)
    _upload_ids_csv(app)
    app.multiselect(key="mlp.ignore").set_value(["id"]).run()
    app.toggle(key="presenter").set_value(True).run()
    assert not app.button(key="mlp.train").disabled
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at) or "failed" in progress_text(at))
    assert "completed" in progress_text(app), [e.value for e in app.error]
    app.toggle(key="presenter").set_value(False).run()
    assert app.multiselect(key="mlp.ignore").value == ["id"]


def test_a_file_name_is_shown_as_written(app):
    open_mlp(app)
    _upload_ids_csv(app, name="my_*wide*_file.csv")
    labels = [e.label for e in app.expander]
    assert r"Preview of my\_\*wide\*\_file.csv" in labels, labels  # Markdown would eat the marks


def test_a_one_feature_table_reads_in_the_singular(app):
    open_mlp(app)
    app.selectbox(key="mlp.dataset").set_value("csv").run()
    rows = "\n".join(f"{i * 0.37:.2f},{'yes' if i % 3 else 'no'}" for i in range(40))
    app.get("file_uploader")[0].set_value(("one.csv", f"x,label\n{rows}\n".encode(), "text/csv")).run()
    assert "40 rows, 1 feature, 2 classes." in " ".join(c.value for c in app.caption)


def test_a_hostile_link_value_is_shown_as_written(app):
    app.query_params["data.dataset"] = HOSTILE
    open_mlp(app)
    [warning] = app.warning
    assert f"Ignored data.dataset='{HOSTILE}'" in shown_text(warning.value)


def test_a_30_kb_link_value_is_cut(app):
    app.query_params["data.dataset"] = "x" * 30_000
    open_mlp(app)
    [warning] = app.warning
    assert len(warning.value) < 1_100 and "characters not shown" in warning.value
    assert shown_text(warning.value).startswith("Ignored data.dataset='xxx")


def test_a_hostile_file_name_is_shown_as_written(app):
    open_mlp(app)
    name = f"{HOSTILE}.csv"
    app.selectbox(key="mlp.dataset").set_value("csv").run()
    app.get("file_uploader")[0].set_value((name, b"\x89PNG\r\n\x1a\n\x00\x00binary", "text/csv")).run()
    assert f"{name} doesn't look like a CSV" in shown_text(app.error[0].value)
    _upload_ids_csv(app, name=name)
    assert f"{name}: 60 rows" in " ".join(shown_text(c.value) for c in app.caption)
    assert f"Preview of {name}" in [shown_text(e.label) for e in app.expander]


def test_hostile_column_names_are_shown_as_written(app):
    open_mlp(app)
    app.selectbox(key="mlp.dataset").set_value("csv").run()
    column = f"{HOSTILE} id"  # a row identifier by its name: the page names it in a caption and a button
    rows = "\n".join(f"{i},{i % 7},{'yes' if i % 7 > 3 else 'no'}" for i in range(60))
    header = f'"{column}",a,label'
    app.get("file_uploader")[0].set_value(("ids.csv", f"{header}\n{rows}\n".encode(), "text/csv")).run()
    caption = next(c.value for c in app.caption if "row identifier" in c.value)
    assert shown_text(caption).startswith(f"'{column}' looks like a row identifier")
    assert f"Leave out '{column}'" in [shown_text(b.label) for b in app.button]
    # Two columns of one name: the note names them, as written
    app.get("file_uploader")[0].set_value(("dup.csv", f'"{column}","{column}",label\n{rows}\n'.encode(),
                                           "text/csv")).run()
    notes = " ".join(shown_text(c.value) for c in app.caption)
    assert f"same name ('{column}', read as '{column}', '{column}.1')" in notes


def test_settings_over_the_memory_budget_are_refused_before_train(app):
    """The MLP form's bounds (10,000 samples, eight layers of 512, full batch) are over the default budget."""
    from playground.memory import estimate

    open_mlp(app)
    app.slider(key="mlp.n_samples").set_value(10_000).run()
    app.slider(key="mlp.n_layers").set_value(8).run()
    for i in range(8):
        app.number_input(key=f"mlp.width.{i}").set_value(512).run()
    app.number_input(key="mlp.batch_size").set_value(100_000).run()
    config = app.session_state["mlp.saved"]
    assert config.model.hidden_sizes == (512,) * 8 and config.data.n_samples == 10_000
    refusal = " ".join(w.value for w in app.warning)
    assert f"about {estimate(config).mb:,.0f} MB of memory" in refusal and "A batch_size of at most" in refusal
    assert app.button(key="mlp.train").disabled
    app.number_input(key="mlp.batch_size").set_value(256).run()
    assert not any("MB of memory" in w.value for w in app.warning)
    assert not app.button(key="mlp.train").disabled
