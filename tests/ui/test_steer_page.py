"""Steering a running job from the pages (playground.ui.steer): the form's learning rate, weight decay and batch size
go to the job while it trains, each change is marked on the loss chart; early stopping's widgets and its note."""

import re

from tests.ui.conftest import charts, progress_text, run_until


def open_page(at, page: str):
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception
    return at


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def marks(at, page: str) -> list[str]:
    layout = charts(at)[f"{page}.loss_chart"]["layout"]
    return [a["text"] for a in layout.get("annotations", []) if "→" in a["text"]]


def test_a_learning_rate_changed_mid_run_is_marked_on_the_loss_chart(app):
    open_page(app, "mlp")
    assert "learning rate and weight decay apply at the next step and the batch size at the next epoch" in captions(app)
    app.number_input(key="mlp.epochs").set_value(5000).run()
    app.button(key="mlp.train").click().run()
    app.button(key="mlp.pause").click().run()
    run_until(app, lambda at: "paused" in progress_text(at))
    assert app.select_slider(key="mlp.learning_rate").value == 0.01  # the moons preset's
    app.select_slider(key="mlp.learning_rate").set_value(0.1).run()
    assert "Changed the running job's learning rate 0.01 → 0.1" in captions(app)
    assert "Other settings changed" not in captions(app)  # the running job trains with the form's settings
    assert not app.select_slider(key="mlp.learning_rate").disabled
    app.button(key="mlp.step").click().run()
    run_until(app, lambda at: marks(at, "mlp") == ["learning rate 0.01 → 0.1"])
    shapes = charts(app)["mlp.loss_chart"]["layout"]["shapes"]
    step = int(re.search(r"step ([\d,]+)/", progress_text(app)).group(1).replace(",", ""))
    assert shapes[0]["x0"] == step - 1 and "paused" in progress_text(app)  # it applied before the step Step took
    app.button(key="mlp.stop").click().run()


def test_a_setting_that_cannot_change_while_training_waits_for_restart(app):
    open_page(app, "mlp")
    app.number_input(key="mlp.epochs").set_value(5000).run()
    app.button(key="mlp.train").click().run()
    app.button(key="mlp.pause").click().run()
    app.number_input(key="mlp.seed").set_value(3).run()
    assert "Other settings changed: they apply when you press Restart." in captions(app)
    app.button(key="mlp.stop").click().run()


def test_early_stopping_says_which_split_decides_and_ends_the_run(app):
    open_page(app, "mlp")
    assert "Early stopping decides" not in captions(app)  # off by default
    app.number_input(key="mlp.epochs").set_value(2000).run()
    app.number_input(key="mlp.patience").set_value(3).run()
    assert "Early stopping decides on a validation split of 20% of the training rows, never on the test split" in \
        captions(app)
    app.checkbox(key="mlp.restore_best_weights").check().run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at))
    assert "Early stopping watches the validation loss on 160 of the training rows (20%), held out of training" in \
        captions(app)
    note = " ".join(i.value for i in app.info)
    assert "Stopped early at step" in note and "Restored the weights of step" in note


def test_the_attention_page_steers_its_job_too(app):
    open_page(app, "attention")
    assert "the batch size at the next step" in captions(app)
    app.number_input(key="attention.training.steps").set_value(100_000).run()
    app.button(key="attention.train").click().run()
    app.button(key="attention.pause").click().run()
    app.number_input(key="attention.training.batch_size").set_value(16).run()
    app.button(key="attention.step").click().run()
    run_until(app, lambda at: marks(at, "attention") and marks(at, "attention")[0].startswith("batch size"))
    app.button(key="attention.stop").click().run()
