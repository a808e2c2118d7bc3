"""The MLP playground in a real browser: Chromium driven by Playwright against `streamlit run app.py`.

Each test drives the page as a user would (sidebar link, buttons, keyboard) and reads back what the
page shows: the progress text, the metrics and the loss chart's plotly data. All waits poll, since a
chart can unmount for a moment between two live updates.
"""

from __future__ import annotations

import re
import time
from urllib.parse import quote

import pytest

from tests.e2e.server import (
    CHARTS_JS,
    click_button,
    crash_lines,
    exceptions,
    go_to,
    live_state,
    metric_value,
    open_mlp,
    poll,
    progress_text,
    select_option,
    set_number,
    set_select_slider,
    start_server,
    stop_server,
    wait_charts,
    wait_heading,
    wait_idle,
    wait_status,
)
from tests.ui.conftest import HOSTILE

pytestmark = pytest.mark.e2e

PER_STEP = "train (per step)"
TEST_EPOCH = "test (epoch)"
HEADINGS = {"Home": "Neural network playground", "MLP playground": "MLP playground"}


def step_of(progress: str) -> int:
    m = re.search(r"step ([\d,]+)/", progress)
    assert m, f"no step in {progress!r}"
    return int(m.group(1).replace(",", ""))


def read_while_running(page):
    """(loss chart, progress text), read together while the progress text says running."""
    def read():
        text, chart = live_state(page)
        if "running" in text and chart and chart.points(PER_STEP) > 0:
            return chart, text
        if any(s in text for s in ("completed", "stopped", "diverged", "failed")):
            raise AssertionError(f"the run ended before the loss chart could be read twice: {text!r}")
        return None
    return poll("a loss chart with points while running", read, timeout=60)


def test_moons_trains_live_and_reaches_090(page, app_url):
    open_mlp(page, app_url)
    assert page.get_by_label("Preset", exact=True).input_value() == "moons"
    assert page.get_by_label("Dataset", exact=True).input_value() == "moons"
    set_number(page, "Epochs", 1000)  # 25,000 steps: long enough to watch the curve grow, even on a fast CPU
    click_button(page, "Train")

    first, text1 = read_while_running(page)
    time.sleep(0.5)  # at least one live refresh (0.4 s) later

    def grown():
        chart, text = read_while_running(page)
        # Streamlit renders a refresh element by element, so the text and the chart may be one refresh
        # apart in a single read: wait until both have moved on.
        later = chart.last_step(PER_STEP) > first.last_step(PER_STEP) and step_of(text) > step_of(text1)
        if later and chart.points(TEST_EPOCH) > first.points(TEST_EPOCH):
            return chart, text
        return None

    second, text2 = poll("the loss curve to gain points", grown, timeout=30)
    # Per-step losses are downsampled to a few hundred points, so growth shows as a later last step;
    # the per-epoch test loss is not downsampled at this length, so its point count grows too.
    assert second.last_step(PER_STEP) > first.last_step(PER_STEP), (first, second)
    assert second.points(PER_STEP) >= first.points(PER_STEP), (first, second)
    assert second.points(TEST_EPOCH) > first.points(TEST_EPOCH), (first, second)
    assert step_of(text2) > step_of(text1), (text1, text2)

    final = wait_status(page, "completed", timeout=120)
    assert "step 25,000/25,000" in final, final
    wait_idle(page)
    accuracy = poll("the test accuracy metric", lambda: metric_value(page, "Test accuracy"), timeout=30)
    assert float(accuracy) >= 0.9, f"test accuracy {accuracy} on the page (progress: {final!r})"
    assert not exceptions(page)


def test_diverging_run_shows_hint_and_next_run_works(page, app_url):
    open_mlp(page, app_url)
    select_option(page, "Optimizer", "SGD")
    set_select_slider(page, "Learning rate", "10")
    click_button(page, "Train")
    wait_status(page, "diverged", timeout=60)
    alert = poll("the divergence message",
                 lambda: " ".join(t for t in page.locator('[data-testid="stAlert"]').all_inner_texts()
                                  if "training diverged" in t), timeout=30)
    assert "learning rate" in alert.lower() and "10" in alert, alert
    assert not exceptions(page)

    wait_idle(page)
    set_select_slider(page, "Learning rate", "0.1")
    click_button(page, "Train")
    final = wait_status(page, "completed", timeout=90)
    assert "step 2,500/2,500" in final, final
    wait_idle(page)
    accuracy = poll("the test accuracy metric", lambda: metric_value(page, "Test accuracy"), timeout=30)
    assert 0.0 <= float(accuracy) <= 1.0, accuracy
    assert not page.locator('[data-testid="stAlert"]').filter(has_text="training diverged").count()
    assert not exceptions(page)


# Watches the decision boundary chart: counts DOM changes among its data points and collects the background
# images it shows. Returns false while the chart has no background yet (before the first evaluation).
WATCH_BOUNDARY_JS = """() => {
  const el = (__CHARTS__).find(c => c.dataset.name === 'mlp.boundary_chart');
  if (!el || !el._fullLayout || !(el._fullLayout.images || []).length) return false;
  window.__boundary = { changes: 0, sources: new Set(), points: el.querySelectorAll('.scatterlayer .point').length };
  new MutationObserver((list) => { window.__boundary.changes += list.length; })
    .observe(el.querySelector('.scatterlayer'), { subtree: true, attributes: true, childList: true });
  window.__boundaryPoll = setInterval(() => window.__boundary.sources.add(el._fullLayout.images[0].source), 50);
  return true;
}""".replace("__CHARTS__", CHARTS_JS)
READ_BOUNDARY_JS = """() => { clearInterval(window.__boundaryPoll);
  const b = window.__boundary; return { changes: b.changes, sources: b.sources.size, points: b.points }; }"""


def test_live_refreshes_redraw_the_boundary_background_not_its_points(page, app_url):
    """The background (the model's output) changes at every refresh; the data points on it stay as drawn.
    Redrawing every point at every refresh was most of the browser's work for this chart."""
    open_mlp(page, app_url)
    set_number(page, "Epochs", 10000)  # runs until stopped
    click_button(page, "Train")
    wait_status(page, "running", timeout=60)
    poll("the boundary chart with its background", lambda: page.evaluate(WATCH_BOUNDARY_JS), timeout=60)
    # At least three backgrounds: five live refreshes on a quiet machine (2 s), longer on a loaded one
    poll("three backgrounds", lambda: page.evaluate("() => window.__boundary.sources.size >= 3"), timeout=30)
    seen = page.evaluate(READ_BOUNDARY_JS)
    assert "running" in progress_text(page)
    assert seen["points"] > 100, seen
    assert seen["sources"] >= 3, f"the background should change at each refresh: {seen}"
    assert seen["changes"] == 0, f"the points were redrawn: {seen}"
    click_button(page, "Stop")
    wait_status(page, "stopped", timeout=30)
    assert not exceptions(page)


BOUNDARY_JS = """() => {
  const el = (__CHARTS__).find(c => c.dataset.name === 'mlp.boundary_chart');
  if (!el || !el._fullLayout || !(el._fullLayout.images || []).length) return null;
  const image = el._fullLayout.images[0];
  return { x: el._fullLayout.xaxis.range, extent: [image.x, image.x + image.sizex],
           visible: Object.fromEntries(el._fullData.map(t => [t.name, t.visible])) };
}""".replace("__CHARTS__", CHARTS_JS)


def test_boundary_view_and_legend_choices_last_for_a_run(page, app_url):
    """Within a run, a legend click and a zoom last while the chart updates; "Reset axes" goes back to the
    whole background; the next run shows every trace again (the chart keeps plotly's trace objects between
    refreshes, and plotly writes legend clicks into them: they must not outlive the run)."""
    open_mlp(page, app_url)
    set_number(page, "Epochs", 10000)
    click_button(page, "Train")
    wait_status(page, "running", timeout=60)
    poll("the boundary with its background", lambda: page.evaluate(BOUNDARY_JS), timeout=60)
    time.sleep(1.0)  # past the page's full rerun as the run starts, which may mount the charts again
    frame = next(f for f in page.frames if f.locator('#chart[data-name="mlp.boundary_chart"]').count())

    frame.locator(".legend .traces", has=frame.locator(".legendtext", has_text="train · 0")).locator(
        ".legendtoggle").click()
    # plotly acts on a legend click after its double-click delay (300 ms); a zoom begun before that drops it
    poll("the legend click", lambda: page.evaluate(BOUNDARY_JS)["visible"]["train · 0"] == "legendonly", timeout=5)
    frame.locator("#chart").scroll_into_view_if_needed()
    box = frame.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6, steps=5)
    page.mouse.up()
    time.sleep(1.0)  # a few live refreshes
    seen = page.evaluate(BOUNDARY_JS)
    assert seen["visible"]["train · 0"] == "legendonly", seen
    width = seen["extent"][1] - seen["extent"][0]
    assert seen["x"][1] - seen["x"][0] < 0.5 * width, f"the zoom was not kept: {seen}"

    frame.locator("#chart").hover()
    frame.locator('.modebar-btn[data-title="Reset axes"]').click()
    seen = poll("the whole background in view", lambda: (v := page.evaluate(BOUNDARY_JS))
                and v["x"][1] - v["x"][0] > 0.9 * width and v, timeout=10)
    assert seen["x"] == pytest.approx(seen["extent"], abs=0.05 * width), seen

    click_button(page, "Stop")
    wait_status(page, "stopped", timeout=30)
    wait_idle(page)
    click_button(page, "Reset")
    wait_idle(page)
    click_button(page, "Train")
    wait_status(page, "running", timeout=60)
    again = poll("the next run's boundary", lambda: page.evaluate(BOUNDARY_JS), timeout=60)
    assert again["visible"]["train · 0"] is True, again
    click_button(page, "Stop")
    assert not exceptions(page)


def test_pause_step_resume(page, app_url):
    open_mlp(page, app_url)
    set_number(page, "Epochs", 10000)  # 50,000 steps: it runs until we stop it
    click_button(page, "Train")
    wait_status(page, "running", timeout=60)

    click_button(page, "Pause")
    wait_status(page, "paused", timeout=30)
    wait_idle(page)

    def settled():
        # "paused" can show while the step that had already passed the gate is still computing, so
        # the count may move by one after it: wait until a second without steps.
        before = wait_status(page, "paused", timeout=10)
        time.sleep(1.0)
        after = wait_status(page, "paused", timeout=10)
        return step_of(after) == step_of(before) and after

    paused = poll("no steps while paused", settled, timeout=20, interval=0)

    click_button(page, "Step")
    poll("exactly one more step", lambda: (t := progress_text(page)) and "paused" in t
         and step_of(t) == step_of(paused) + 1, timeout=30)
    time.sleep(0.5)
    assert step_of(wait_status(page, "paused", timeout=10)) == step_of(paused) + 1

    click_button(page, "Resume")
    resumed = wait_status(page, "running", "completed", timeout=30)
    poll("steps after resuming",
         lambda: (t := progress_text(page)) and step_of(t) > step_of(resumed), timeout=30)

    click_button(page, "Stop")
    wait_status(page, "stopped", timeout=30)
    wait_idle(page)
    assert page.get_by_role("button", name="Train", exact=True).is_enabled()
    assert not exceptions(page)


def tooltips_shown(page, seconds: float = 1.5) -> list[str]:
    """The texts of the tooltips open at any moment within `seconds` (Streamlit opens a tooltip 200 ms after
    the pointer enters its target, and removes it from the page when it closes)."""
    seen: set[str] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen.update(page.locator('[data-testid="stTooltipContent"]').all_inner_texts())
        time.sleep(0.05)
    return sorted(seen)


def test_a_clicked_job_button_leaves_no_tooltip_over_the_page(page, app_url):
    """The pointer rests on a button after its click; a help tooltip opened there and covered the page title
    until the mouse moved."""
    open_mlp(page, app_url)
    set_number(page, "Epochs", 10000)  # 50,000 steps: it runs until it is reset
    wait_idle(page)
    for name, status in (("Train", "running"), ("Step", "paused"), ("Reset", None)):
        click_button(page, name)
        if status:
            wait_status(page, status, timeout=60)
        wait_idle(page)
        assert page.evaluate("() => document.querySelectorAll('button:hover').length") == 1, name  # still on it
        assert tooltips_shown(page) == [], name
    assert not exceptions(page)


def test_no_page_shows_a_traceback(page, app_url):
    page.goto(app_url, wait_until="domcontentloaded")
    wait_heading(page, "Neural network playground")
    wait_idle(page)
    assert not exceptions(page), exceptions(page)
    nav = page.locator('[data-testid="stSidebarNav"]').get_by_role("link")
    titles = [t.strip().splitlines()[-1].strip() for t in nav.all_inner_texts()]  # drop the icon's ligature
    assert "Home" in titles and "MLP playground" in titles, titles
    # Every page in the navigation (later issues add more), then back to the two this issue is about.
    for title in [*titles, "Home", "MLP playground"]:
        go_to(page, title)
        if title in HEADINGS:
            wait_heading(page, HEADINGS[title])
        wait_idle(page)
        assert not exceptions(page), f"{title}: {exceptions(page)}"
    page.goto(app_url + "/mlp", wait_until="domcontentloaded")  # a direct link to the page
    wait_heading(page, "MLP playground")
    wait_idle(page)
    assert not exceptions(page), exceptions(page)


def test_server_exits_cleanly_on_sigterm_while_training(browser, tmp_path):
    """SIGTERM mid-training: every job thread is stopped and joined, the server exits within 10 s."""
    server = start_server(tmp_path / "server.log")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        open_mlp(page, server.url)
        set_number(page, "Epochs", 10000)
        click_button(page, "Train")
        wait_status(page, "running", timeout=60)
    finally:
        code, seconds = stop_server(server, timeout=10.0)
        context.close()
    log = server.log()
    assert code >= 0, f"killed after {seconds:.1f} s: the server did not exit on SIGTERM mid-training:\n{log}"
    assert seconds < 10.0, f"the server took {seconds:.1f} s to exit:\n{log}"
    assert not crash_lines(log), f"the server crashed on SIGTERM mid-training:\n{log}"


def test_charts_take_traces_that_go_away_without_a_script_error(page, app_url):
    """A trace that leaves a chart (a class of another dataset, the smoothed curve at smoothing 0) is looked up
    by its uid in a CSS selector inside plotly.js; a uid that is not a valid class name threw there and left the
    chart half drawn."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_mlp(page, app_url)
    wait_charts(page, {"mlp.boundary_chart"})
    select_option(page, "Dataset", "blobs")  # three classes: six point traces in the boundary chart
    wait_idle(page)
    poll("three classes drawn", lambda: len(boundary_traces(page)) == 6, timeout=30)
    select_option(page, "Dataset", "moons")  # two classes: two of the traces go away
    wait_idle(page)
    poll("two classes drawn", lambda: len(boundary_traces(page)) == 4, timeout=30)
    time.sleep(0.5)  # an error thrown inside plotly.js arrives asynchronously
    assert not errors, errors


def boundary_traces(page) -> list[str]:
    """Names of the boundary chart's traces, as plotly.js drew them."""
    return page.evaluate("""() => {
      const el = (__CHARTS__).find(c => c.dataset.name === 'mlp.boundary_chart');
      return el && el._fullData ? el._fullData.map(t => t.name) : [];
    }""".replace("__CHARTS__", CHARTS_JS))


TICK_FONT_JS = """() => {
  const chart = (__CHARTS__).find(c => c.dataset.name === 'mlp.boundary_chart');
  const tick = chart && chart.querySelector('.xtick text');
  return tick ? tick.style.fontSize : null;
}""".replace("__CHARTS__", CHARTS_JS)


def test_presenter_mode_enlarges_the_charts_text(page, app_url):
    open_mlp(page, app_url)  # moons: the boundary chart previews the points, with ticks on its axes
    wait_charts(page, {"mlp.boundary_chart"})
    assert poll("the boundary's ticks", lambda: page.evaluate(TICK_FONT_JS), timeout=30) == "13px"
    page.locator('[data-testid="stSidebar"]').get_by_text("Presenter mode").click()
    poll("larger ticks in presenter mode", lambda: page.evaluate(TICK_FONT_JS) == "18px", timeout=30)
    page.locator('[data-testid="stSidebar"]').get_by_text("Presenter mode").click()
    poll("the figure's own ticks again", lambda: page.evaluate(TICK_FONT_JS) == "13px", timeout=30)


# Text cut off with an ellipsis: an element of a metric tile, a button or a toggle narrower than its content.
CUT_TEXT_JS = """() => [...document.querySelectorAll(
    '[data-testid="stMetric"] *, [data-testid^="stBaseButton"] *, [data-testid="stCheckbox"] *')]
  .filter(e => getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.textContent.trim())"""


def test_a_narrow_window_wraps_tiles_and_buttons_instead_of_cutting_them(page, app_url):
    page.set_viewport_size({"width": 1000, "height": 800})  # a small laptop window, sidebar open
    open_mlp(page, app_url)
    set_number(page, "Epochs", 5)
    click_button(page, "Train")
    wait_status(page, "completed", timeout=60)
    wait_idle(page)
    assert page.locator('[data-testid="stMetric"]').count() == 4
    assert page.evaluate(CUT_TEXT_JS) == []


def test_a_hostile_share_link_shows_its_value_as_text(page, app_url):
    """The real renderer: no link, image, tag, colour, icon, emoji or math comes out of a link's value."""
    page.goto(f"{app_url}/mlp?data.dataset={quote(HOSTILE)}", wait_until="domcontentloaded")
    wait_heading(page, "MLP playground")
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="Ignored data.dataset")
    alert.first.wait_for(timeout=60_000)
    made = alert.first.locator("a, img, b, strong, em, .katex, [data-testid=stIconMaterial], [style*=color]")
    assert made.count() == 0, made.evaluate_all("els => els.map(e => e.outerHTML)")
    shown = alert.first.inner_text().replace("\u2060", "")
    assert f"Ignored data.dataset='{HOSTILE}'" in shown, shown
