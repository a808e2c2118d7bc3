"""Plotly charts that update in place while a run trains.

`st.plotly_chart` (Streamlit 1.67) derives a chart's identity from its figure, so every live refresh
unmounted every chart in the browser and drew it again from scratch with plotly.js, and a user's zoom
was lost at the next refresh. Measured on the MLP page in headless Chromium: all four charts were new
elements after each 0.4 s refresh, and the browser's main thread had no idle time left while a run
trained. `chart` draws a figure through a small Streamlit component instead (`chart/index.html`: an
iframe with plotly.js, no build step) whose identity is its key. A refresh sends the new figure's JSON
and the same plot is updated with `Plotly.react`, which keeps zoom, pan and legend clicks (each figure
carries a constant `uirevision`); an unchanged figure is not drawn again.

plotly.js is the copy bundled with the installed plotly package (`plotly/package_data/plotly.min.js`),
so the browser draws with the version that wrote the figure and nothing is fetched from the network.
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
import plotly.io as pio
from streamlit.components.v1 import declare_component
from streamlit.delta_generator import DeltaGenerator

HTML = Path(__file__).with_name("chart") / "index.html"
PLOTLY_JS = Path(plotly.__file__).with_name("package_data") / "plotly.min.js"


@cache
def component_dir() -> Path:
    """A directory with the component's page and plotly.js, made once per installed version.

    Streamlit serves a component's files from one directory; plotly.js lives in the plotly package, so
    both are copied into a directory in the system's temp folder named by a hash of the page and the
    plotly version. Servers of the same installation share it; it is written whole or not at all.
    """
    digest = hashlib.sha256(HTML.read_bytes() + plotly.__version__.encode()).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / f"playground-chart-{digest}"
    if not (target / "plotly.min.js").is_file():
        staging = Path(tempfile.mkdtemp(prefix="playground-chart-"))
        shutil.copyfile(HTML, staging / "index.html")
        shutil.copyfile(PLOTLY_JS, staging / "plotly.min.js")
        try:
            os.replace(staging, target)  # atomic: another server may have made it meanwhile
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def chart(figure: go.Figure, key: str, where: DeltaGenerator | None = None) -> None:
    """Draw `figure` in `where` (a container or column; None: where `st.*` would draw), updated in place
    under `key`.

    The figure's `layout.height` (pixels) sets the chart's height; its width follows the container.
    """
    component = declare_component("chart", path=component_dir())
    with where if where is not None else nullcontext():  # a component draws into the active container
        component(figure=pio.to_json(figure, validate=False), height=int(figure.layout.height or 450), name=key,
                  key=key, default=None)
