"""The attention playground in a real browser: train the reverse preset and watch the heatmap form."""

from __future__ import annotations

import pytest

from tests.e2e.server import (
    CHARTS_JS,
    click_button,
    exceptions,
    go_to,
    poll,
    progress_text,
    wait_charts,
    wait_heading,
    wait_idle,
    wait_status,
)

pytestmark = pytest.mark.e2e

# The selected head's heatmap: the chart keyed "attention.heatmap", one heatmap trace. Returns its z as nested
# lists, or null (before the first evaluation the chart is drawn empty).
HEATMAP_JS = """() => {
  const el = (__CHARTS__).find(c => c.dataset.name === 'attention.heatmap');
  const full = (el && el._fullData) || [];
  if (full.length === 1 && full[0].type === 'heatmap') {
    return Array.from(full[0].z, row => Array.from(row, Number));
  }
  return null;
}""".replace("__CHARTS__", CHARTS_JS)
# The selected head's y range, [bottom, top]: the first query token is drawn at the top.
Y_RANGE_JS = """() => {
  const el = (__CHARTS__).find(c => c.dataset.name === 'attention.heatmap');
  return el && el._fullLayout ? el._fullLayout.yaxis.range : null;
}""".replace("__CHARTS__", CHARTS_JS)
# The heatmap and the progress text in one read, so they belong together.
SHOWN_JS = """() => ({
  z: (__HEATMAP__)(),
  progress: (document.querySelector('[data-testid="stProgress"]') || {}).innerText || '',
})""".replace("__HEATMAP__", HEATMAP_JS)


def anti_diagonal(z: list[list[float]]) -> float:
    n = len(z)
    return sum(z[i][n - 1 - i] for i in range(n)) / n


def test_reverse_heatmap_appears_and_changes_while_training(page, app_url):
    page.goto(app_url, wait_until="domcontentloaded")
    wait_heading(page, "Neural network playground")
    go_to(page, "Attention playground")
    wait_heading(page, "Attention playground")
    page.get_by_role("button", name="Train", exact=True).wait_for()
    wait_idle(page)
    wait_charts(page, {"attention.loss_chart", "attention.heatmap", "attention.grid"})  # the page has loaded
    click_button(page, "Train")
    shown = poll("the first attention heatmap", lambda: (s := page.evaluate(SHOWN_JS))["z"] and s["progress"] and s,
                 timeout=60)
    assert "running" in shown["progress"] or "starting" in shown["progress"], shown["progress"]
    first = shown["z"]
    assert len(first) == 10 and all(abs(sum(row) - 1) < 1e-3 for row in first)
    changed = poll("the heatmap to change while training runs",
                   lambda: (z := page.evaluate(HEATMAP_JS)) is not None and z != first and "running" in
                   progress_text(page) and z, timeout=60)
    assert changed != first
    wait_status(page, "completed", timeout=120)
    final = poll("the final heatmap", lambda: page.evaluate(HEATMAP_JS), timeout=30)
    bottom, top = page.evaluate(Y_RANGE_JS)
    assert bottom > top  # reversed, as the figure says, not the axes of the empty chart drawn before it
    # The first heatmap the page happened to show may already be a trained one on a fast machine: replay
    # the first snapshot (the untrained model) to compare with.
    page.get_by_text("Follow training live", exact=True).click()
    wait_idle(page)
    replay = page.locator('[data-testid="stSlider"]').filter(has=page.get_by_text("Replay: step", exact=True))
    thumb = replay.get_by_role("slider")
    thumb.focus()
    thumb.press("Home")
    wait_idle(page)
    untrained = poll("the replayed first heatmap", lambda: (z := page.evaluate(HEATMAP_JS)) != final and z, timeout=30)
    assert anti_diagonal(final) > 0.6 > anti_diagonal(untrained)
    assert not exceptions(page)


def test_the_replay_slider_can_be_dragged_while_training_runs(page, app_url):
    """Snapshots keep arriving while a user drags the replay slider back: the slider must stay the widget
    being dragged (it used to be replaced at every refresh, so the drag went nowhere)."""
    page.goto(app_url + "/attention", wait_until="domcontentloaded")
    wait_heading(page, "Attention playground")
    page.get_by_role("button", name="Train", exact=True).wait_for()
    wait_idle(page)
    page.get_by_text("Training", exact=True).click()  # the collapsed expander with the number of steps
    steps = page.get_by_label("Steps", exact=True)
    steps.fill("20000")
    steps.press("Enter")
    wait_idle(page)
    click_button(page, "Train")
    wait_status(page, "running", timeout=60)
    page.get_by_text("Follow training live", exact=True).click()
    wait_idle(page)  # the rerun that the switch starts has drawn the slider (a busy machine takes a while)
    replay = page.locator('[data-testid="stSlider"]').filter(has=page.get_by_text("Replay: step", exact=True))
    value = replay.locator('[data-testid="stSliderThumbValue"]')
    start = int(poll("the replay slider", lambda: value.count() and value.inner_text(), timeout=30))
    replay.scroll_into_view_if_needed()  # the mouse below works in the viewport's coordinates
    thumb, track = value.locator("..").bounding_box(), replay.bounding_box()
    x, y = thumb["x"] + thumb["width"] / 2, thumb["y"] + thumb["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 13):  # 2.4 s of dragging to the left, over several live refreshes
        page.mouse.move(max(track["x"] + 2, x - i * (x - track["x"]) / 12), y)
        page.wait_for_timeout(200)
    page.mouse.up()
    wait_idle(page)
    dragged = int(value.inner_text())
    assert dragged < start, (start, dragged)
    page.wait_for_timeout(1500)  # more refreshes: the choice stays
    assert "running" in progress_text(page) and int(value.inner_text()) == dragged
    click_button(page, "Stop")
    wait_status(page, "stopped", timeout=30)
    assert not exceptions(page)
