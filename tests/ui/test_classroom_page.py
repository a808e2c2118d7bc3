"""Classroom links on the MLP page: a teacher's link hides or locks controls; a tampered one is refused gracefully."""

from urllib.parse import parse_qsl, urlsplit

from streamlit.testing.v1 import AppTest

from playground import registry, share
from playground.mlp.config import MLPRunConfig
from playground.ui.mlp_form import CLASSROOM_FIELDS, widget_values
from tests.ui.conftest import APP, progress_text, run_until
from tests.ui.test_mlp_page import open_mlp

LESSON = {"data.dataset": "circles", "training.learning_rate": "0.003", "training.optimizer": "sgd",
          "training.epochs": "3"}


def keys(at: AppTest) -> set[str]:
    """The keys of the widgets the page draws for the form's settings (and the preset picker's)."""
    form = {*widget_values(MLPRunConfig()), "mlp.preset"}
    return {w.key for kind in ("selectbox", "slider", "select_slider", "number_input", "multiselect", "radio")
            for w in at.get(kind) if w.key in form}


def open_link(at: AppTest, params: dict[str, str]) -> AppTest:
    for key, value in params.items():
        at.query_params[key] = value
    return open_mlp(at)


def test_a_classroom_link_hides_and_locks_the_controls_it_names(app):
    open_link(app, {**LESSON, "hide": "data.dataset,model.hidden_sizes", "lock": "training.optimizer"})
    shown = keys(app)
    assert "mlp.dataset" not in shown and "mlp.n_layers" not in shown and "mlp.width.0" not in shown
    assert "mlp.act.0" in shown  # activations are not hidden: one per layer, for the lesson's layers
    assert "mlp.preset" not in shown  # a preset would replace what the lesson fixes
    optimizer = app.selectbox(key="mlp.optimizer")
    assert optimizer.disabled and optimizer.value == "sgd"  # locked: the lesson's value, not editable
    rate = app.select_slider(key="mlp.learning_rate")
    assert not rate.disabled and rate.value == 0.003
    assert any("fixed by it" in c.value for c in app.caption)
    rate.set_value(0.01).run()
    app.session_state["mlp.optimizer"] = "adam"  # as a coach's fix does: the widgets' state, not the control
    app.session_state["mlp.dataset"] = "spiral"
    app.run()
    config = app.session_state["mlp.saved"]
    assert config.training.learning_rate == 0.01  # free: the student's
    assert config.training.optimizer == "sgd" and config.data.dataset == "circles"  # fixed: the lesson's
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at))
    assert not app.exception


def test_only_the_learning_rate_and_train_left(app):
    hidden = ",".join(f for f in CLASSROOM_FIELDS if f != "training.learning_rate")
    open_link(app, {**LESSON, "hide": hidden})
    assert keys(app) == {"mlp.learning_rate"}
    assert [e.label for e in app.expander if e.label in ("Data", "Model", "Training")] == ["Training"]
    assert not app.button(key="mlp.train").disabled
    assert app.session_state["mlp.saved"] == share.from_query(MLPRunConfig, LESSON)[0]


def test_a_tampered_classroom_link_says_what_it_ignored_and_keeps_the_rest(app):
    open_link(app, {"training.learning_rate": "1e9", "data.dataset": "xor", "hide": "data.dataset,model.depth,<b>",
                    "lock": "training.learning_rate"})
    assert not app.exception
    warnings = " ".join(w.value for w in app.warning)
    assert "unknown setting 'model.depth'" in warnings and "malformed setting name" in warnings
    assert "training.learning_rate, but its value '1e9' is not valid" in warnings
    assert "mlp.dataset" not in keys(app)  # the valid part: dataset hidden, at the link's xor
    rate = app.select_slider(key="mlp.learning_rate")
    assert not rate.disabled and rate.value == 0.01  # the tampered lock is dropped: free, at the default
    assert app.session_state["mlp.saved"].data.dataset == "xor"


def test_presenter_mode_builds_a_classroom_link_that_opens_as_built():
    app = AppTest.from_file(APP, default_timeout=30)
    app.query_params["presenter"] = "1"  # read when the session starts
    app.run()
    open_mlp(app)
    app.radio(key="mlp.preset").set_value("spiral").run()
    lock = "training.device"
    hide = [f for f in CLASSROOM_FIELDS if f not in ("training.learning_rate", lock)]
    app.multiselect(key="mlp.classroom.hide").set_value(hide).run()
    app.multiselect(key="mlp.classroom.lock").set_value([lock]).run()
    assert any("Students can change: Learning rate." == c.value for c in app.caption)
    [code] = app.code
    url = urlsplit(code.value)
    assert url.path.endswith("/mlp") and "presenter" not in url.query
    params = dict(parse_qsl(url.query))
    assert params["hide"] == ",".join(sorted(hide)) and params["lock"] == lock
    registry.shared().shutdown()

    student = AppTest.from_file(APP, default_timeout=30)
    student.run()
    open_link(student, params)
    assert keys(student) == {"mlp.learning_rate", "mlp.device"}
    assert student.selectbox(key="mlp.device").disabled
    from playground.mlp.presets import PRESETS

    assert student.session_state["mlp.saved"] == PRESETS["spiral"].config  # the lesson's settings
    registry.shared().shutdown()


def test_the_attention_page_takes_classroom_links_too(app):
    from playground.attention.config import AttentionRunConfig
    from playground.ui.config_form import widget_values as attention_widgets

    app.query_params.update({"task.task": "sort", "model.n_heads": "4", "hide": "model.d_model,model.n_layers",
                             "lock": "task.task,model.n_heads", "training.steps": "20"})
    app.switch_page("app_pages/attention.py").run()
    assert not app.exception
    form = set(attention_widgets(AttentionRunConfig(), "attention."))
    shown = {w.key for kind in ("selectbox", "number_input", "select_slider", "slider") for w in app.get(kind)
             if w.key in form}
    assert "attention.model.d_model" not in shown and "attention.model.n_layers" not in shown
    task = app.selectbox(key="attention.task.task")
    assert task.disabled and task.value == "sort"
    assert app.number_input(key="attention.model.n_heads").disabled
    assert not app.number_input(key="attention.training.steps").disabled
    assert not [s for s in app.selectbox if s.key == "attention.preset"]
    saved = app.session_state["attention.saved"]
    assert (saved.task.task, saved.model.n_heads, saved.training.steps) == ("sort", 4, 20)


def test_an_imported_config_keeps_the_lessons_locked_and_hidden_settings(app):
    """A student's imported file changes the free settings only: a locked control keeps showing the lesson's value,
    the one the run takes."""
    import dataclasses

    from playground.mlp.presets import PRESETS

    open_link(app, {**LESSON, "hide": "data.dataset", "lock": "training.epochs,training.learning_rate"})
    mine = PRESETS["moons"].config
    mine = dataclasses.replace(mine, training=dataclasses.replace(mine.training, epochs=37, learning_rate=0.3,
                                                                  batch_size=64))
    app.file_uploader(key="mlp.import_config").set_value(("mine.json", mine.to_json().encode(),
                                                          "application/json")).run()
    assert not app.exception
    epochs = app.number_input(key="mlp.epochs")
    assert epochs.disabled and epochs.value == 3  # the lesson's, not the file's 37
    saved = app.session_state["mlp.saved"]
    assert (saved.training.epochs, saved.training.learning_rate, saved.data.dataset) == (3, 0.003, "circles")
    assert saved.training.batch_size == 64  # free: the file's
