"""Plotly charts that update in place while a run trains.

`st.plotly_chart` (Streamlit 1.67) derives a chart's identity from its figure, so every live refresh
unmounted every chart in the browser and drew it again from scratch with plotly.js, and a user's zoom
was lost at the next refresh. Measured on the MLP page in headless Chromium: all four charts were new
elements after each 0.4 s refresh, and the browser's main thread had no idle time left while a run
trained. `chart` draws a figure through a small Streamlit component instead (`chart/index.html`: an
iframe with plotly.js, no build step) whose identity is its key. A refresh sends the new figure's JSON
and the same plot is updated with `Plotly.react`, which keeps zoom, pan and legend clicks for as long as
the figure's `uirevision` and the chart's `revision` (the run) stay the same; an unchanged figure is not
drawn again.

plotly.js is the copy bundled with the installed plotly package (`plotly/package_data/plotly.min.js`),
so the browser draws with the version that wrote the figure and nothing comes from outside the server.
Streamlit serves a component's files without a validator or a lifetime, so every chart would download
plotly.js (1.5 MB compressed) again on every page view. The app's static files (`server.enableStaticServing`,
`static/` beside app.py) are served with ETag and Last-Modified, so `plotly_js_url` puts a copy there, named
by version, and the browser keeps it; the component's own copy is the fallback.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from contextlib import nullcontext
from functools import cache
from pathlib import Path

import plotly
import plotly.graph_objects as go
from streamlit import config
from streamlit.components.v1 import declare_component
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.scriptrunner import get_script_run_ctx

from playground.figure_json import figure_json
from playground.ui.session import presenter

HTML = Path(__file__).with_name("chart") / "index.html"
PLOTLY_JS = Path(plotly.__file__).with_name("package_data") / "plotly.min.js"
PRESENTER_FONT_SIZE = 18  # pixels, for the charts' text in presenter mode (plots.TEMPLATE: 13)


def _copy_once(source: Path, target: Path) -> None:
    """Copy `source` to `target` unless it is there; written whole or not at all (servers may race)."""
    if target.is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, staging = tempfile.mkstemp(dir=target.parent, prefix=".playground-")
    os.close(fd)
    try:
        shutil.copy2(source, staging)  # keeps the modification time: Last-Modified, so browsers keep it long
        os.replace(staging, target)
    finally:
        if os.path.exists(staging):
            os.remove(staging)


def plotly_js_url() -> str:
    """plotly.js among the app's static files, relative to the component's page, or "" when the server does
    not serve static files or the folder cannot be written (the component then uses its own copy)."""
    ctx = get_script_run_ctx()
    if ctx is None or not config.get_option("server.enableStaticServing"):
        return ""
    name = f"plotly-{plotly.__version__}.min.js"
    if not _static_copy(str(Path(ctx.main_script_path).parent / "static" / name)):
        return ""
    return f"../../app/static/{name}"  # the page is <base>/component/<name>/index.html


@cache
def _static_copy(path: str) -> bool:
    try:
        _copy_once(PLOTLY_JS, Path(path))
    except OSError:
        return False
    return True


@cache
def component_dir() -> Path:
    """A directory with the component's page and plotly.js, made once per installed version.

    Streamlit serves a component's files from one directory; plotly.js lives in the plotly package, so
    both are copied into a directory in the system's temp folder named by a hash of the page and the
    plotly version. Servers of the same installation share it; when it cannot be written (another user's
    on a shared machine), this server makes its own.
    """
    digest = hashlib.sha256(HTML.read_bytes() + plotly.__version__.encode()).hexdigest()[:16]
    try:
        return _fill(Path(tempfile.gettempdir()) / f"playground-chart-{digest}")
    except OSError:
        return _fill(Path(tempfile.mkdtemp(prefix="playground-chart-")))


def _fill(folder: Path) -> Path:
    _copy_once(HTML, folder / "index.html")
    _copy_once(PLOTLY_JS, folder / "plotly.min.js")
    return folder


@cache
def _component():
    """The component, declared once per process (at the first chart, inside a script run, where Streamlit
    registers it with the server), not again at every live refresh."""
    return declare_component("chart", path=component_dir())


def chart(figure: go.Figure, key: str, where: DeltaGenerator | None = None, revision: int | str = "",
          frames: dict | None = None) -> None:
    """Draw `figure` in `where` (a container or column; None: where `st.*` would draw), updated in place
    under `key`.

    The figure's `layout.height` (pixels) sets the chart's height; its width follows the container.
    `revision` names what the chart shows (the run's number; "" before any run): zoom, pan and hidden
    legend items are kept while it and the figure's `uirevision` stay the same, and reset when either
    changes, so a new run, Reset or a switch to a log axis starts from the figure's own axes.
    In presenter mode its text is PRESENTER_FONT_SIZE pixels (what sets no size of its own: ticks, legend, titles).
    `frames`: the frames captured since the last refresh, as mlp/frame_plots' payload; the chart plays them over
    the figure's layout images until the next refresh, then shows the figure's own once the run has ended and they
    are played. None: no animation (the figure as it is: a replay, a run without frames).
    """
    component = _component()
    with where if where is not None else nullcontext():  # a component draws into the active container
        font_size = PRESENTER_FONT_SIZE if presenter() else 0
        component(figure=figure_json(figure), height=int(figure.layout.height or 450), name=key,
                  plotly_js=plotly_js_url(), revision=str(revision), font_size=font_size, frames=frames, key=key,
                  default=None)
