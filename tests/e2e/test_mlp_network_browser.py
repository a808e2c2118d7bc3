"""The MLP page's network view in a real browser: train spiral, watch the neurons' pictures change while it
trains, then replay the run."""

from __future__ import annotations

import pytest

from tests.e2e.server import (
    CHARTS_JS,
    click_button,
    exceptions,
    open_mlp,
    poll,
    progress_text,
    select_option,
    wait_charts,
    wait_status,
)

pytestmark = pytest.mark.e2e

# The pictures (layout image sources) of a chart keyed `name`, as plotly.js holds them now; null when not drawn
PICTURES_JS = """(name) => {
  const chart = (__CHARTS__).find(c => c.dataset.name === name);
  return chart && chart.layout ? (chart.layout.images || []).map(im => im.source).join('|') : null;
}""".replace("__CHARTS__", CHARTS_JS)


def pictures(page, name: str = "mlp.network_chart") -> str | None:
    return page.evaluate(PICTURES_JS, name)


def test_train_spiral_watch_the_network_view_change_then_replay_it(page, app_url):
    open_mlp(page, app_url)
    select_option(page, "Preset", "spiral")
    wait_charts(page, {"mlp.boundary_chart", "mlp.network_chart"})
    click_button(page, "Train")
    wait_status(page, "running")
    seen: set[str] = set()

    def changed_while_running() -> bool:
        now = pictures(page)
        if now and "running" in progress_text(page):
            seen.add(now)
        return len(seen) >= 3

    poll("three different network views while the run trains", changed_while_running, timeout=60)
    # both views are above the fold at 1,400 x 1,000 while the run trains
    top_of = """(name) => { const f = [...document.querySelectorAll('iframe')].find(f => { try {
        return f.contentDocument.querySelector(`#chart[data-name="${name}"]`); } catch (e) { return false; } });
        const r = f.getBoundingClientRect(); return [r.top, r.bottom]; }"""
    for name in ("mlp.boundary_chart", "mlp.network_chart"):
        top, bottom = page.evaluate(top_of, name)
        assert 0 <= top and bottom <= 1000, (name, top, bottom)
    wait_status(page, "completed", timeout=120)
    final = pictures(page)
    page.get_by_text("Follow training live").click()  # replay: the slider and Play
    click_button(page, "Play")
    replayed: set[str] = set()

    def replaying() -> bool:
        now = pictures(page)
        if now and now != final:
            replayed.add(now)
        return len(replayed) >= 3

    poll("the replay to show three earlier network views", replaying, timeout=60)
    poll("the replay to end at the last snapshot", lambda: pictures(page) == final, timeout=90)
    assert not exceptions(page)
