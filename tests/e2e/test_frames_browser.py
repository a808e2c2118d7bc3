"""The MLP page animates a training run's frames in a real browser: between two live refreshes the boundary and
the network view step through several frames (the rate is measured by benchmarks/tfp_page.py, not here: on a
shared CI machine a rate is a timing), and once the run has ended the boundary shows the final figure's own."""

from __future__ import annotations

import pytest

from tests.e2e.server import click_button, exceptions, poll, wait_charts, wait_heading, wait_status

pytestmark = pytest.mark.e2e
# A share link: two spiral arms, three hidden layers of 8 (the network view shows every unit, so its pictures are
# in the frames too), long enough to watch
LINK = ("/mlp?data.dataset=spiral&data.n_classes=2&model.hidden_sizes=8,8,8&model.activations=tanh,tanh,tanh"
        "&training.epochs=1500")

# The chart keyed `name`'s frame counters (window.playgroundFrames in its iframe) and its background's size
STATS_JS = """(name) => {
  for (const f of document.querySelectorAll('iframe')) {
    let chart;
    try { chart = f.contentDocument.querySelector('#chart'); } catch (e) { continue; }
    if (!chart || chart.dataset.name !== name) continue;
    const s = f.contentWindow.playgroundFrames;
    const images = chart.layout ? chart.layout.images || [] : [];
    const source = images.length ? images[0].source : '';
    return { drawn: s.drawn, index: s.index, between: s.between.slice(), source: source };
  }
  return null;
}"""


def stats(page, name: str) -> dict | None:
    return page.evaluate(STATS_JS, name)


def png_width(source: str) -> int:
    """The width of a PNG data URI's image, from its IHDR header."""
    import base64

    raw = base64.b64decode(source.split(",", 1)[1][:64])
    return int.from_bytes(raw[16:20], "big")


def test_the_boundary_steps_through_frames_between_refreshes_and_ends_on_the_final_figure(page, app_url):
    page.goto(app_url + LINK)
    wait_heading(page, "MLP playground", timeout=120)
    wait_charts(page, {"mlp.boundary_chart", "mlp.network_chart"})
    click_button(page, "Train")
    wait_status(page, "running")

    def animated(name: str) -> bool:  # some refresh's batch was played as several frames, not one jump
        s = stats(page, name)
        return bool(s and any(n >= 3 for n in s["between"]))

    poll("the boundary to draw 3 frames between two refreshes", lambda: animated("mlp.boundary_chart"), timeout=60)
    poll("the network view to draw 3 frames between two refreshes", lambda: animated("mlp.network_chart"), timeout=60)
    during = stats(page, "mlp.boundary_chart")
    assert png_width(during["source"]) < 60  # a frame's coarse grid is drawn, not only the figure's
    wait_status(page, "completed", timeout=180)
    final = poll("the final figure's background", lambda: (s := stats(page, "mlp.boundary_chart"))
                 and png_width(s["source"]) == 60 and s, timeout=30)
    assert final["drawn"] > during["drawn"]
    assert not exceptions(page)
