"""The run history in a real browser: train, restart with another learning rate, and the first run's curve is drawn
faintly on the second run's loss chart, named by what differed, with both runs in the history's table."""

from __future__ import annotations

import time

import pytest

from tests.e2e.server import (
    CHARTS_JS,
    click_button,
    exceptions,
    open_mlp,
    poll,
    set_number,
    set_select_slider,
    wait_idle,
    wait_status,
)

pytestmark = pytest.mark.e2e

# The loss chart's traces as the browser's plotly holds them: [name, opacity, number of points].
LOSS_TRACES_JS = """() => {
  const el = (__CHARTS__).find(c => c.dataset.name === 'mlp.loss_chart');
  if (!el || !el.data) return null;
  const full = el._fullData && el._fullData.length === el.data.length ? el._fullData : el.data;
  return full.map(t => [t.name || '', t.opacity === undefined ? 1 : t.opacity, t.y && t.y.length || 0]);
}""".replace("__CHARTS__", CHARTS_JS)
GHOST = "run 1: learning rate 0.01 → 0.1"


def test_restart_with_another_learning_rate_shows_the_first_runs_ghost_curve(page, app_url):
    open_mlp(page, app_url)
    set_number(page, "Epochs", 300)  # long enough to restart it while it trains
    click_button(page, "Train")
    wait_status(page, "running", timeout=60)
    set_select_slider(page, "Learning rate", "0.1")
    click_button(page, "Restart")

    def ghost():
        traces = page.evaluate(LOSS_TRACES_JS) or []
        return next((t for t in traces if t[0] == GHOST and t[2] > 0), None)
    name, opacity, points = poll("the first run's ghost curve on the loss chart", ghost, timeout=60)
    assert opacity < 0.5 and points >= 1  # faint, with the first run's held-out losses
    traces = page.evaluate(LOSS_TRACES_JS)
    assert [t[0] for t in traces].index(GHOST) < [t[0] for t in traces].index("train (per step)")  # drawn under
    click_button(page, "Stop")
    wait_status(page, "stopped", timeout=60)
    wait_idle(page)
    assert page.get_by_role("heading", name="Run history").count() == 1
    table = page.locator('[data-testid="stDataFrame"]').filter(has=page.locator("canvas")).last
    table.wait_for(timeout=30_000)
    picker = page.get_by_label("Run", exact=True)
    assert picker.input_value() == "run 2"  # the newest run is picked; both are listed

    def listed() -> bool:
        if not page.get_by_role("option").count():  # (re)open the list: a rerun may have closed it
            picker.click()
            time.sleep(0.3)
        return sorted(page.get_by_role("option").all_inner_texts()) == ["run 1", "run 2"]
    poll("both runs in the run picker", listed, timeout=30, interval=0.3)
    page.keyboard.press("Escape")
    assert not exceptions(page)
