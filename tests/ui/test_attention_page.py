
import numpy as np

from playground.attention.presets import PRESETS
from tests.ui.conftest import HOSTILE, charts, metric, progress_text, run_until, shown_text, values


def open_attention(at):
    at.switch_page("app_pages/attention.py").run()
    assert not at.exception
    return at


def heatmap(at, key: str = "attention.heatmap") -> dict:
    return charts(at)[key]


def test_reverse_trains_and_the_heatmap_forms(app):
    open_attention(app)
    app.number_input(key="attention.training.steps").set_value(400).run()
    app.button(key="attention.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at), timeout=120)
    assert metric(app, "Validation accuracy") >= 0.95
    tile = next(m for m in app.metric if m.label == "Validation accuracy")
    assert tile.help == "Token accuracy on the validation split."  # the full name, where the label has no room
    # the curves name the held-out split as the tiles do
    assert [t["name"] for t in charts(app)["attention.metric_chart"]["data"]] == ["train", "validation"]
    assert "validation (eval)" in [t["name"] for t in charts(app)["attention.loss_chart"]["data"]]
    z = values(heatmap(app)["data"][0]["z"]).astype(float)
    assert z.shape == (10, 10)
    np.testing.assert_allclose(z.sum(1), 1.0, atol=1e-3)
    assert np.mean(z[np.arange(10), 9 - np.arange(10)]) > 0.6  # the anti-diagonal
    # replay: the first snapshot is still near uniform
    app.toggle(key="attention.follow").set_value(False).run()
    replay = next(s for s in app.select_slider if s.label == "Replay: step")
    replay.set_value(replay.options[0]).run()
    z0 = values(heatmap(app)["data"][0]["z"]).astype(float)
    assert np.mean(z0[np.arange(10), 9 - np.arange(10)]) < 0.5


def test_own_input_shows_prediction_and_rejects_unknown_tokens(app):
    open_attention(app)
    app.number_input(key="attention.training.steps").set_value(300).run()
    app.button(key="attention.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at), timeout=120)
    app.text_input(key="attention.own_text").input("0 1 2 3 4 5 6 7 8 9").run()
    assert not app.exception
    assert any("Prediction:** `9876543210`" in m.value for m in app.markdown)
    app.text_input(key="attention.own_text").input("1 2 x").run()
    assert not app.exception and app.warning


def test_bad_model_settings_get_a_message_and_no_train(app):
    open_attention(app)
    app.number_input(key="attention.model.d_model").set_value(30).run()
    app.number_input(key="attention.model.n_heads").set_value(4).run()
    assert any("divisible by n_heads" in w.value for w in app.warning)
    assert app.button(key="attention.train").disabled


def test_sequence_longer_than_the_context_is_refused(app):
    open_attention(app)
    app.number_input(key="attention.task.seq_len").set_value(20).run()
    assert any("longer than the model's context" in w.value for w in app.warning)


def test_language_model_corpus_checks(app):
    open_attention(app)
    app.selectbox(key="attention.preset").set_value("tiny-lm").run()
    app.text_area(key="attention.task.text").input("too short").run()
    assert any("too short" in w.value for w in app.warning)
    app.text_area(key="attention.task.text").input("ok " * 400 + "\x00").run()
    assert any("binary" in w.value for w in app.warning)
    assert app.button(key="attention.train").disabled


def train_preset(at, preset: str, steps: int):
    open_attention(at)
    at.selectbox(key="attention.preset").set_value(preset).run()
    at.number_input(key="attention.training.steps").set_value(steps).run()
    at.number_input(key="attention.training.eval_every").set_value(steps).run()
    at.button(key="attention.train").click().run()
    run_until(at, lambda a: "completed" in progress_text(a), timeout=120)
    return at


def test_recall_accepts_the_example_it_shows(app):
    example = "a3 c1 b7 d4 e9 f0 = c"  # six pairs: the recall preset reads 8 tokens
    open_attention(app)
    app.selectbox(key="attention.preset").set_value("recall").run()
    assert any(example in c.value for c in app.caption)  # the preset's description
    train_preset(app, "recall", 25)
    box = app.text_input(key="attention.own_text")
    assert box.placeholder == f"e.g. {example}" and example in box.help
    box.input(example).run()
    assert not app.exception and not app.warning
    assert any(m.value.startswith("**Prediction:**") for m in app.markdown)
    app.text_input(key="attention.own_text").input("a3 c1 b7 = c").run()
    message = " ".join(w.value for w in app.warning)
    assert "exactly 8 tokens (6 key-value pairs" in message and "one per character" not in message
    assert example in message


def test_generate_bounds_top_k_and_drops_a_stale_sample(app):
    from playground.attention import tasks

    train_preset(app, "tiny-lm", 20)
    n_vocab = len(tasks.spec(PRESETS["tiny-lm"].config.task).vocab)
    top_k = next(n for n in app.number_input if n.label == "top-k (0 = all)")
    assert top_k.max == n_vocab
    app.button(key="attention.generate").click().run()
    assert not app.warning and len(app.text) == 1 and app.text[0].value.startswith("the lighthouse ")
    app.text_input(key="attention.own_text").input("the sea!").run()
    app.button(key="attention.generate").click().run()
    assert any("Unknown token '!'" in w.value for w in app.warning)
    assert not app.text  # the old sample is gone, not shown after the new prompt
    app.text_input(key="attention.own_text").input("the sea").run()
    app.button(key="attention.generate").click().run()
    assert len(app.text) == 1 and app.text[0].value.startswith("the sea")
    app.button(key="attention.reset").click().run()
    assert not app.text
    app.button(key="attention.train").click().run()
    run_until(app, lambda a: "completed" in progress_text(a), timeout=120)
    assert not app.text  # a new run starts without the last run's sample


def probe_step(at) -> int | None:
    """The step of the snapshot the probe view shows (the latest while following), from its caption."""
    caption = next((c.value for c in at.caption if c.value.startswith("Probe at step ")), None)
    return int(caption.removeprefix("Probe at step ").split(":")[0].replace(",", "")) if caption else None


def step_and_wait_for_its_snapshot(at) -> None:
    """Click Step while following, then rerun until the page shows that step's snapshot. The snapshot comes
    from the training thread after the click's own run (which usually still shows the one before), and the
    replay slider's range is fixed by the first run that draws it, so a test that reads the range must wait
    for each snapshot it counts on."""
    shown = probe_step(at)
    at.button(key="attention.step").click().run()
    run_until(at, lambda a: probe_step(a) not in (None, shown))


def test_the_replay_slider_stays_the_same_widget_while_snapshots_arrive(app):
    """New snapshots do not move the replay slider's range while the user is replaying (its thumb would move
    under the cursor); a button adds them. The slider stays one widget (same id) holding the user's step, or
    the browser would replace it and a drag in progress would be lost."""
    open_attention(app)
    app.number_input(key="attention.training.steps").set_value(2000).run()
    # only step 0 and the single steps evaluate: the pause lands at no fixed step, and an evaluation due at
    # a multiple of eval_every could arrive at any time
    app.number_input(key="attention.training.eval_every").set_value(2000).run()
    app.button(key="attention.train").click().run()
    app.button(key="attention.pause").click().run()
    run_until(app, lambda at: "paused" in progress_text(at))
    for _ in range(2):  # each single step evaluates and adds a snapshot: two or more make a replay slider
        step_and_wait_for_its_snapshot(app)
    # following was turned off once every snapshot so far had arrived: the held range has them all
    app.toggle(key="attention.follow").set_value(False).run()
    replay = next(s for s in app.select_slider if s.label == "Replay: step")
    before, picked = replay.id, replay.options[0]
    replay.set_value(picked).run()
    n_options = len(replay.options)
    assert n_options == 3  # step 0 and the two single steps: the newest snapshot when following was turned off
    for _ in range(2):
        app.button(key="attention.step").click().run()
    # both steps' snapshots have arrived (each comes from the training thread, after its click)
    run_until(app, lambda at: any(b.key == "attention.replay_newer" and b.label.startswith("Add the 2 ")
                                  for b in at.button))
    replay = next(s for s in app.select_slider if s.label == "Replay: step")
    assert len(replay.options) == n_options and replay.id == before  # the range holds still
    assert app.button(key="attention.replay_newer").label == "Add the 2 newer snapshots to the slider"
    app.button(key="attention.replay_newer").click().run()
    replay = next(s for s in app.select_slider if s.label == "Replay: step")
    assert len(replay.options) == n_options + 2
    assert replay.id == before and str(replay.value) == str(picked)
    app.button(key="attention.stop").click().run()


def test_the_chosen_preset_survives_a_page_switch(app):
    open_attention(app)
    app.selectbox(key="attention.preset").set_value("sort").run()
    app.switch_page("app_pages/home.py").run()
    open_attention(app)
    assert app.selectbox(key="attention.preset").value == "sort"
    assert any(c.value.startswith("sort") for c in app.caption)  # the sort preset's description


def test_changed_settings_say_so_under_the_preset_and_reload_it(app):
    open_attention(app)
    assert any(c.value.startswith("reverse:") for c in app.caption)
    app.number_input(key="attention.training.steps").set_value(123).run()
    assert "Settings changed from the reverse preset." in [c.value for c in app.caption]
    assert not any(c.value.startswith("reverse:") for c in app.caption)
    app.button(key="attention.reload_preset").click().run()
    assert app.number_input(key="attention.training.steps").value != 123
    assert any(c.value.startswith("reverse:") for c in app.caption)


def test_a_typed_corpus_survives_a_visit_to_another_page(app):
    open_attention(app)
    app.selectbox(key="attention.preset").set_value("tiny-lm").run()
    text = "the cat sat on the mat and the dog sat on the log. " * 12
    app.text_area(key="attention.task.text").input(text).run()
    app.switch_page("app_pages/home.py").run()
    open_attention(app)
    assert app.text_area(key="attention.task.text").value == text
    app.run()
    assert app.text_area(key="attention.task.text").value == text
    assert app.session_state["attention.saved"].task.text == text


def test_a_text_file_upload_fills_the_corpus_and_a_bad_one_keeps_its_message(app):
    open_attention(app)
    app.selectbox(key="attention.preset").set_value("tiny-lm").run()
    story = "Le petit café était fermé, mais la rue sentait le pain chaud. " * 10  # Latin-1 bytes, not UTF-8
    app.get("file_uploader")[0].set_value(("histoire.txt", story.encode("latin-1"), "text/plain")).run()
    assert app.text_area(key="attention.task.text").value == story and not app.error
    app.get("file_uploader")[0].set_value(("bin.txt", bytes(range(256)) * 12, "text/plain")).run()
    message = "bin.txt doesn't look like a plain text file."
    assert message in app.error[0].value
    assert app.text_area(key="attention.task.text").value == story  # kept: nothing lost
    app.number_input(key="attention.task.seq_len").set_value(24).run()  # any other change
    assert message in app.error[0].value  # still said while the file is in the uploader
    app.get("file_uploader")[0].set_value(("empty.txt", b"", "text/plain")).run()
    assert "empty.txt is empty." in app.error[0].value and app.text_area(key="attention.task.text").value == story
    long = "abc " * 30_000  # 120,000 characters
    app.get("file_uploader")[0].set_value(("long.txt", long.encode(), "text/plain")).run()
    assert "long.txt is too long: 120,000 characters; at most 100,000." in app.error[0].value


def test_recall_shows_the_prediction_at_its_scored_position_only(app):
    open_attention(app)
    app.selectbox(key="attention.preset").set_value("recall").run()
    app.number_input(key="attention.training.steps").set_value(20).run()
    app.button(key="attention.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at), timeout=120)
    probe = next(m.value for m in app.markdown if m.value.startswith("**Input:**"))
    prediction = probe.split("**Prediction:** `")[1].rstrip("`")
    target = next(m.value for m in app.markdown if m.value.startswith("**Target:**")).split("`")[1]
    assert len(prediction.split()) == len(target.split()) == 1  # the answer after "=", not a label per token


def test_the_first_hint_does_not_ask_for_the_preset_already_picked(app):
    open_attention(app)
    assert app.selectbox(key="attention.preset").value == "reverse"
    hint = app.info[0].value
    assert "**reverse** preset, a good first one, is picked" in hint and "Pick a preset" not in hint
    app.selectbox(key="attention.preset").set_value("sort").run()
    hint = app.info[0].value
    assert "**sort** preset is picked" in hint and "Pick a preset" not in hint
    app.number_input(key="attention.model.d_ff").set_value(72).run()  # no longer the preset's settings
    assert app.info[0].value == "Settings changed from the **sort** preset: press Train and watch the attention form."
    app.number_input(key="attention.training.batch_size").set_value(1024).run()  # refused: Train is disabled
    app.number_input(key="attention.model.n_layers").set_value(6).run()
    app.number_input(key="attention.model.d_ff").set_value(1024).run()
    assert app.button(key="attention.train").disabled and "MB of memory" in app.warning[0].value
    assert "press Train" not in app.info[0].value.split(";")[0] and "Change the settings" in app.info[0].value


def test_typed_input_and_a_corpus_file_name_are_shown_as_written(app):
    train_preset(app, "sentiment", 10)
    for word in ("__import__", "<b>bold</b>", "[click](http//example)"):  # the tokenizer drops ":", "." and "!"
        app.text_input(key="attention.own_text").input(f"the movie was {word}").run()
        assert f"Unknown token '{word}'" in shown_text(app.warning[0].value)
    app.text_input(key="attention.own_text").input("the movie was " + "z" * 30_000).run()
    assert len(app.warning[0].value) < 1_100 and "characters not shown" in app.warning[0].value
    app.selectbox(key="attention.preset").set_value("tiny-lm").run()
    name = f"{HOSTILE}.txt"
    app.get("file_uploader")[0].set_value((name, b"", "text/plain")).run()
    assert f"{name} is empty." in shown_text(app.error[0].value)


def test_settings_over_the_memory_budget_are_refused_before_train(app):
    """The form's bounds allow a run of gigabytes (the issue's 6 GB): the page names the estimate and the setting
    to lower, and Train stays disabled; lowering the batch as it says makes the run trainable again."""
    from playground import registry
    from playground.memory import estimate, largest_batch

    open_attention(app)
    for name, value in {"d_model": 256, "n_heads": 8, "n_layers": 6, "d_ff": 1024, "context": 128}.items():
        app.number_input(key=f"attention.model.{name}").set_value(value).run()
    app.number_input(key="attention.task.seq_len").set_value(128).run()
    app.number_input(key="attention.training.batch_size").set_value(256).run()
    config = app.session_state["attention.saved"]  # the settings as typed, kept for the next visit
    assert (config.model.n_layers, config.task.seq_len, config.training.batch_size) == (6, 128, 256)
    refusal = " ".join(w.value for w in app.warning)
    assert f"about {estimate(config).mb:,.0f} MB of memory" in refusal and "Lower batch_size" in refusal
    assert f"allows {registry.shared().limits.max_memory_mb:,} MB per run" in refusal
    assert app.button(key="attention.train").disabled
    fits = largest_batch(config, registry.shared().limits.max_memory_mb)
    app.number_input(key="attention.training.batch_size").set_value(fits).run()
    assert not any("MB of memory" in w.value for w in app.warning)
    assert not app.button(key="attention.train").disabled


def test_a_shared_link_over_the_memory_budget_is_shown_as_linked_with_the_refusal(app):
    app.query_params.update({"task.seq_len": "128", "model.context": "128", "model.n_heads": "8",
                             "model.n_layers": "6", "training.batch_size": "128"})
    open_attention(app)
    assert app.number_input(key="attention.model.n_layers").value == 6  # not silently changed to something smaller
    assert app.number_input(key="attention.training.batch_size").value == 128
    assert any("MB of memory" in w.value and "Lower " in w.value for w in app.warning)
    assert app.button(key="attention.train").disabled
