"""The chart component: its files, and a chart whose identity is its key, not its figure."""

from __future__ import annotations

import json
from pathlib import Path

import plotly

from playground.ui import charts
from tests.ui.conftest import APP, progress_text, run_until


def test_component_dir_serves_the_page_and_the_installed_plotly_js():
    folder = charts.component_dir()
    assert (folder / "index.html").read_bytes() == charts.HTML.read_bytes()
    bundled = Path(plotly.__file__).with_name("package_data") / "plotly.min.js"
    assert (folder / "plotly.min.js").stat().st_size == bundled.stat().st_size > 1_000_000
    assert '"plotly.min.js"' in (folder / "index.html").read_text()  # the page's fallback copy


def test_plotly_js_comes_from_the_apps_static_files_when_served(app):
    """Static files carry ETag and Last-Modified, so browsers keep plotly.js; the component's own files
    carry neither and were downloaded again by every chart on every page view."""
    from streamlit import config

    before = config.get_option("server.enableStaticServing")
    config.set_option("server.enableStaticServing", True)
    try:
        app.switch_page("app_pages/mlp.py").run()
        _, args = _loss_chart(app)
    finally:
        config.set_option("server.enableStaticServing", before)
    name = f"plotly-{plotly.__version__}.min.js"
    assert args["plotly_js"] == f"../../app/static/{name}"
    copy, bundled = Path(APP).parent / "static" / name, charts.PLOTLY_JS
    assert copy.read_bytes() == bundled.read_bytes()
    assert copy.stat().st_mtime == bundled.stat().st_mtime  # Last-Modified is the install's, not today's


def _loss_chart(at) -> tuple[str, dict]:
    element = next(e for e in at.get("component_instance") if json.loads(e.proto.json_args)["name"] == "mlp.loss_chart")
    args = json.loads(element.proto.json_args)
    return element.proto.id, args


def test_a_live_chart_keeps_its_identity_while_its_figure_changes(app):
    """st.plotly_chart gave a chart a new identity with every new figure, so the browser rebuilt it at each
    refresh and lost the user's zoom; the component's identity comes from the key alone."""
    app.switch_page("app_pages/mlp.py").run()
    app.number_input(key="mlp.epochs").set_value(5000).run()
    app.button(key="mlp.train").click().run()
    first_id, first = _loss_chart(app)
    run_until(app, lambda at: _loss_chart(at)[1]["figure"] != first["figure"])
    second_id, second = _loss_chart(app)
    assert first_id == second_id != ""
    assert first["revision"] == second["revision"] != ""  # the run: zoom is kept while it trains
    assert second["height"] == json.loads(second["figure"])["layout"]["height"] > 0
    assert json.loads(second["figure"])["layout"]["uirevision"] == "loss"  # plotly keeps zoom across updates
    app.button(key="mlp.stop").click().run()
    assert "stopped" in progress_text(app)
    app.button(key="mlp.train").click().run()  # a new run starts from its own axes, not the last run's zoom
    assert _loss_chart(app)[1]["revision"] not in ("", first["revision"])
    app.button(key="mlp.reset").click().run()
    assert _loss_chart(app)[1]["revision"] == ""
