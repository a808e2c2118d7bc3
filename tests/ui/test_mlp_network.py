"""The MLP page's network view: drawn live beside the boundary, a neuron drawn large on request, and its
absence for tables."""

from tests.ui.conftest import charts, progress_text, run_until
from tests.ui.test_mlp_page import open_mlp


def _pictures(app) -> list[str]:
    return [im["source"] for im in charts(app)["mlp.network_chart"]["layout"].get("images", [])]


def test_the_network_view_draws_every_neuron_and_changes_while_it_trains(app):
    open_mlp(app)
    assert _pictures(app) == []  # before Train: the view's place, empty
    app.number_input(key="mlp.epochs").set_value(40).run()
    app.button(key="mlp.train").click().run()
    seen = []
    run_until(app, lambda at: seen.append(tuple(_pictures(at))) or "completed" in progress_text(at))
    network = charts(app)["mlp.network_chart"]
    titles = [a["text"] for a in network["layout"]["annotations"]]
    assert titles == ["inputs", "hidden 1", "hidden 2", "output"]  # moons: 2-16-16-2, all shown
    assert [im["sizey"] for im in network["layout"]["images"]] == [2, 16, 16, 2]  # a picture per unit, by column
    neurons = next(t for t in network["data"] if t["name"] == "neurons")
    assert "bias" in neurons["text"][2] and "x1" in neurons["text"][2]
    drawn = {s for s in seen if s}
    assert len(drawn) >= 2  # the pictures changed between refreshes while it trained


def test_a_neuron_is_drawn_large_with_its_weights_and_wide_layers_say_what_is_hidden(app):
    open_mlp(app)
    app.selectbox(key="mlp.preset").set_value("spiral").run()
    app.number_input(key="mlp.epochs").set_value(3).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at))
    assert any("144 units are not drawn" in c.value for c in app.caption)  # 3 layers of 64, 16 of each shown
    app.selectbox(key="mlp.inspect_neuron").set_value("2:0").run()
    neuron = charts(app)["mlp.neuron_chart"]
    assert neuron["layout"]["title"]["text"].startswith("hidden 2 · unit ")
    heat, bars = neuron["data"]
    assert heat["type"] == "heatmap" and bars["y"][-1] == "bias" and len(bars["y"]) == 16 + 1


def test_a_table_shows_each_layers_weights_and_outputs_instead(app):
    open_mlp(app)
    app.selectbox(key="mlp.preset").set_value("iris-keras").run()
    app.number_input(key="mlp.epochs").set_value(2).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at))
    drawn = charts(app)
    assert "mlp.network_chart" not in drawn and "mlp.confusion_chart" in drawn
    assert any("drawn for datasets with two features" in c.value for c in app.caption)
    layers = {t["name"]: t for t in drawn["mlp.layers_chart"]["data"]}  # iris-keras: 4-64-64-3
    assert set(layers) == {f"{kind} · {name}" for kind in ("weights", "outputs")
                           for name in ("hidden 1", "hidden 2", "output")}
    assert "top 32 of 64" in drawn["mlp.layers_chart"]["layout"]["xaxis2"]["title"]["text"]


def test_a_link_with_features_loads_them(app):
    app.query_params["data.dataset"] = "circles"
    app.query_params["data.features"] = "x2,y2"
    open_mlp(app)
    assert app.multiselect(key="mlp.features").value == ["x2", "y2"]


def test_the_features_preset_trains_on_seven_inputs_shown_in_the_network_view(app):
    open_mlp(app)
    assert app.multiselect(key="mlp.features").value == ["x", "y"]
    app.selectbox(key="mlp.preset").set_value("spiral-features").run()
    assert app.multiselect(key="mlp.features").value == ["x", "y", "x2", "y2", "xy", "sin_x", "sin_y"]
    link = app.query_params["data.features"]
    assert (link[0] if isinstance(link, list) else link) == "x,y,x2,y2,xy,sin_x,sin_y"  # the share link has them
    app.number_input(key="mlp.epochs").set_value(5).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at))
    network = charts(app)["mlp.network_chart"]
    neurons = next(t for t in network["data"] if t["name"] == "neurons")
    assert neurons["text"][:7] == ["inputs · x", "inputs · y", "inputs · x²", "inputs · y²", "inputs · x·y",
                                   "inputs · sin x", "inputs · sin y"]
    assert "sin y" in neurons["text"][7]  # a hidden unit's tooltip lists its weight from sin y
    app.multiselect(key="mlp.features").set_value([]).run()
    assert any("at least one input feature" in w.value for w in app.warning)
    assert app.button(key="mlp.train").disabled


def test_the_run_replays_by_slider_and_plays_to_the_end(app):
    open_mlp(app)
    app.number_input(key="mlp.epochs").set_value(30).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at))
    last_boundary = charts(app)["mlp.boundary_chart"]["layout"]["images"][0]["source"]
    last_pictures = _pictures(app)
    app.toggle(key="mlp.follow").set_value(False).run()
    slider = app.select_slider(key="mlp.replay")
    steps = [int(option.replace(",", "")) for option in slider.options]  # AppTest gives the formatted options
    assert len(steps) >= 2 and slider.value == steps[-1]  # replay starts at the newest snapshot
    slider.set_value(steps[0]).run()
    assert charts(app)["mlp.boundary_chart"]["layout"]["images"][0]["source"] != last_boundary
    assert _pictures(app) != last_pictures  # the network view of the first evaluation
    app.button(key="mlp.replay_play").click().run()
    shown = [app.select_slider(key="mlp.replay").value]
    while "mlp.replay_playing" in app.session_state:  # each refresh shows the next snapshot until the last
        app.run()
        shown.append(app.select_slider(key="mlp.replay").value)
        assert len(shown) <= len(steps) + 1
    assert shown[:len(steps)] == steps  # one snapshot per refresh, in order, from the first
    assert "mlp.replay_play" in [b.key for b in app.button]  # Play again once it has ended


def test_many_wide_layers_show_fewer_units_each_with_a_note(app):
    open_mlp(app)
    app.slider(key="mlp.n_layers").set_value(8).run()
    for i in range(8):
        app.number_input(key=f"mlp.width.{i}").set_value(64)
    app.number_input(key="mlp.epochs").set_value(1).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at))
    images = charts(app)["mlp.network_chart"]["layout"]["images"]
    assert sum(im["sizey"] for im in images) <= 80 and all(im["sizey"] < 16 for im in images[1:-1])
    assert any("fewer units per layer, to keep the page quick" in c.value for c in app.caption)
