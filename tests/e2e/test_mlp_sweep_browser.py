"""The MLP page's sweep in a real browser: open the sweep, train three learning rates, see three curves."""

from __future__ import annotations

import pytest

from tests.e2e.server import CHARTS_JS, click_button, exceptions, open_mlp, poll, set_number, wait_idle

pytestmark = pytest.mark.e2e

# Per trace of a chart keyed `name`: [trace name, number of points] (null while the chart is not mounted)
TRACES_JS = """(name) => {
  const el = (__CHARTS__).find(c => c.dataset.name === name);
  if (!el || !el.data) return null;
  const full = el._fullData && el._fullData.length === el.data.length ? el._fullData : el.data;
  return full.map(t => [t.name || '', t.x && t.x.length !== undefined ? t.x.length : 0]);
}""".replace("__CHARTS__", CHARTS_JS)


def test_a_sweep_of_three_learning_rates_draws_three_curves(page, app_url):
    open_mlp(page, app_url)
    set_number(page, "Epochs", 20)
    page.get_by_text("Sweep: train variants of this setup side by side").click()
    chips = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Values (2 to 8)")
    poll("three learning rates picked", lambda: all(chips.get_by_text(v, exact=True).count() for v in
                                                  ("0.1", "0.01", "0.001")), timeout=30)
    click_button(page, "Train sweep")

    def curves():
        text = page.locator('[data-testid="stProgress"]').all_inner_texts()
        traces = page.evaluate(TRACES_JS, "mlp.sweep.loss_chart")
        if any("completed" in t for t in text) and traces and all(n > 50 for _, n in traces):
            return traces
        return None

    traces = poll("the sweep's loss chart with three finished curves", curves, timeout=120)
    assert [name for name, _ in traces] == ["0.001", "0.01", "0.1"]
    summary = poll("the summary chart", lambda: page.evaluate(TRACES_JS, "mlp.sweep.summary_chart"), timeout=30)
    assert {"0.001", "0.01", "0.1"} <= {name for name, _ in summary}  # a marker per value (and a joining line)
    wait_idle(page)
    assert not exceptions(page)
