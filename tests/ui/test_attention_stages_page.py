"""The attention page's stages of one head, each head's story, the output bars and the chart options."""

import numpy as np
import pytest

from tests.ui.conftest import charts, progress_text, run_until, values
from tests.ui.test_attention_page import open_attention, train_preset


def _z(chart: dict, i: int) -> np.ndarray:
    return values(chart["data"][i]["z"]).astype(float)


def test_reverse_stages_story_and_chart_options(app):
    open_attention(app)
    app.number_input(key="attention.training.steps").set_value(400).run()
    app.button(key="attention.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at), timeout=120)
    shown = charts(app)
    stages = shown["attention.stages"]
    assert [t["name"] for t in stages["data"]] == ["Q Kᵀ", "÷ √d_k", "masked", "softmax", "output: weights · V"]
    softmax = _z(stages, 3)
    np.testing.assert_allclose(softmax, _z(shown["attention.heatmap"], 0), atol=1e-6)  # the weights shown above
    assert softmax[0].argmax() == 9  # the first position reads the last one
    np.testing.assert_allclose(_z(stages, 1), _z(stages, 0) / np.sqrt(32), rtol=1e-4)
    assert any("d_model = 32, n_heads = 1, d_k = d_model / n_heads = 32" in c.value for c in app.caption)
    assert any("own colour scale" in c.value and "masked equals scaled" in c.value for c in app.caption)
    # chart options as on the MLP page: smoothing (the loss and the heads' stories; none by default) and a log axis
    assert "train (smoothed)" not in [t["name"] for t in shown["attention.loss_chart"]["data"]]
    app.slider(key="attention.smoothing").set_value(0.6).run()
    smoothed = values(charts(app)["attention.story"]["data"][3]["y"]).astype(float)
    app.slider(key="attention.smoothing").set_value(0.0).run()
    shown = charts(app)
    assert "train (smoothed)" not in [t["name"] for t in shown["attention.loss_chart"]["data"]]
    story = shown["attention.story"]
    assert [t["name"] for t in story["data"]] == ["previous", "self", "first", "mirror", "entropy"]
    mirror, entropy = (values(story["data"][i]["y"]).astype(float) for i in (3, 4))
    assert mirror[0] < 0.3 and mirror[-1] > 0.8 and entropy[-1] < entropy[0] / 2  # the head locked in
    assert not np.allclose(smoothed, mirror) and smoothed[-1] < mirror[-1]  # smoothing lags the rise
    grid = shown["attention.heads_story"]  # it starts with the pattern the heads lock in on: mirror, for reverse
    assert [t["name"] for t in grid["data"]] == ["L1 H1"] and "mirror share" in grid["data"][0]["hovertemplate"]
    np.testing.assert_allclose(values(grid["data"][0]["y"]).astype(float), mirror)  # the same story
    assert grid["layout"]["annotations"][0]["text"] == f"{mirror[-1]:.2f}"
    previous = values(story["data"][0]["y"]).astype(float)
    app.selectbox(key="attention.colour_heads_by").set_value("previous share").run()
    grid = charts(app)["attention.heads_story"]
    np.testing.assert_allclose(values(grid["data"][0]["y"]).astype(float), previous)
    assert grid["layout"]["annotations"][0]["text"] == f"{previous[-1]:.2f}"
    app.toggle(key="attention.log_y").set_value(True).run()
    shown = charts(app)
    assert shown["attention.loss_chart"]["layout"]["yaxis"]["type"] == "log"
    assert shown["attention.story"]["layout"]["yaxis2"]["type"] == "log"
    # the user's own input: its stages and the output probabilities at each position
    app.text_input(key="attention.own_text").input("0 1 2 3 4 5 6 7 8 9").run()
    shown = charts(app)
    np.testing.assert_allclose(_z(shown["attention.own_stages"], 3), _z(shown["attention.own_heatmap"], 0), atol=1e-6)
    bars = shown["attention.own_bars"]["data"][0]
    assert bars["text"] == list("9876543210") and values(bars["y"]).astype(float).min() > 0.5


def test_sentiment_shows_class_probability_bars(app):
    train_preset(app, "sentiment", 50)
    app.text_input(key="attention.own_text").input("the movie was not good").run()
    assert not app.exception and not app.warning
    bars = charts(app)["attention.own_bars"]["data"][0]
    assert bars["x"] == ["negative", "positive"]
    assert sum(values(bars["y"]).astype(float)) == pytest.approx(1.0, abs=1e-5)
    # no mirror in this task: the heads' grid starts with entropy, which every head has
    assert app.selectbox(key="attention.colour_heads_by").value == "entropy (nats)"


def test_language_model_next_character_bars_follow_top_k_and_top_p(app):
    train_preset(app, "tiny-lm", 20)
    app.text_input(key="attention.own_text").input("the sea").run()
    model, draw = (values(t["y"]).astype(float) for t in charts(app)["attention.next_char"]["data"])
    assert model.sum() <= 1 + 1e-5 and (draw > 0).sum() > 3
    top_k = next(n for n in app.number_input if n.label == "top-k (0 = all)")
    top_k.set_value(3).run()
    model, draw = (values(t["y"]).astype(float) for t in charts(app)["attention.next_char"]["data"])
    assert (draw > 0).sum() == 3 and draw[:3].sum() == pytest.approx(1.0, abs=1e-5)
    assert list(np.argsort(-model)[:3]) == [0, 1, 2]  # bars sorted by the model's probability
    top_k.set_value(0).run()
    app.slider(key="attention.top_p").set_value(0.05).run()
    _, draw = (values(t["y"]).astype(float) for t in charts(app)["attention.next_char"]["data"])
    assert (draw > 0).sum() == 1 and draw[0] == pytest.approx(1.0)  # the top character alone
    app.slider(key="attention.top_p").set_value(0.5).run()
    app.button(key="attention.generate").click().run()
    assert not app.warning and app.text[0].value.startswith("the sea")
