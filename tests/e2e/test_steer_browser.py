"""Steering a running job in a real browser: train, change the learning rate while it trains, see the marker."""

from __future__ import annotations

import pytest

from tests.e2e.server import (
    CHARTS_JS,
    click_button,
    exceptions,
    open_mlp,
    poll,
    set_number,
    set_select_slider,
    wait_status,
)

pytestmark = pytest.mark.e2e

# The loss chart's change markers as plotly.js holds them: [label, x of its vertical line] per change.
MARKS_JS = """() => {
  const el = (__CHARTS__).find(c => c.dataset.name === 'mlp.loss_chart');
  if (!el || !el.layout) return null;
  const notes = (el.layout.annotations || []).filter(a => String(a.text).includes('→'));
  const lines = el.layout.shapes || [];
  return notes.map((a, i) => [String(a.text), lines[i] ? Number(lines[i].x0) : null]);
}""".replace("__CHARTS__", CHARTS_JS)


def test_change_the_learning_rate_mid_run_and_see_the_marker(page, app_url):
    open_mlp(page, app_url)
    assert page.get_by_text("the learning rate and weight decay apply at the next step").count() == 1
    set_number(page, "Epochs", 2000)  # 50,000 steps: it runs until stopped
    click_button(page, "Train")
    wait_status(page, "running", timeout=60)
    set_select_slider(page, "Learning rate", "0.03")  # one notch up from the moons preset's 0.01, while it trains
    marks = poll("the change's marker on the loss chart", lambda: page.evaluate(MARKS_JS), timeout=60)
    (label, x), = marks
    assert label == "learning rate 0.01 → 0.03" and x > 0
    assert "running" in wait_status(page, "running")  # the same run goes on with the new rate
    page.get_by_text("Changed the running job's learning rate 0.01 → 0.03").wait_for(timeout=10_000)
    click_button(page, "Stop")
    wait_status(page, "stopped", timeout=30)
    # the marker stays with the run's record (polled: the chart is drawn again after the run ends)
    poll("the marker after the run stopped", lambda: page.evaluate(MARKS_JS) == marks, timeout=30)
    assert not exceptions(page)
