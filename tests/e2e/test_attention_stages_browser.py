"""The stages of a head and the output's probabilities in a real browser: train reverse, take its head apart,
then type an input and see the probability bars."""

from __future__ import annotations

import pytest

from tests.e2e.server import CHARTS_JS, click_button, exceptions, poll, wait_heading, wait_idle, wait_status

pytestmark = pytest.mark.e2e

# A chart's traces as plotly.js holds them after drawing: [{name, z (nested lists) or y (list)}], or null.
TRACES_JS = """(key) => {
  const el = (__CHARTS__).find(c => c.dataset.name === key);
  if (!el || !el._fullData || !el._fullData.length) return null;
  return el._fullData.map(t => ({
    name: t.name,
    z: t.z ? Array.from(t.z, row => Array.from(row, v => v === null ? null : Number(v))) : null,
    y: t.y ? Array.from(t.y, Number) : null,
    text: t.text ? Array.from(t.text, String) : null,
    hover: t.hovertemplate || '',
  }));
}""".replace("__CHARTS__", CHARTS_JS)


def test_reverse_head_taken_apart_and_the_probability_bars(page, app_url):
    page.goto(app_url + "/attention", wait_until="domcontentloaded")
    wait_heading(page, "Attention playground")
    page.get_by_role("button", name="Train", exact=True).wait_for()
    wait_idle(page)
    click_button(page, "Train")
    wait_status(page, "completed", timeout=120)
    wait_idle(page)
    stages = poll("the stages of the head", lambda: page.evaluate(TRACES_JS, "attention.stages"), timeout=60)
    assert [t["name"] for t in stages] == ["Q Kᵀ", "÷ √d_k", "masked", "softmax", "output: weights · V"]
    softmax = stages[3]["z"]
    assert len(softmax) == 10 and "%{z:.3f}" in stages[3]["hover"]  # hover gives the numbers
    first = softmax[0]
    assert first.index(max(first)) == 9 and max(first) > 0.5  # the first position reads the last one
    story = poll("the head's story", lambda: page.evaluate(TRACES_JS, "attention.story"), timeout=30)
    mirror = next(t for t in story if t["name"] == "mirror")["y"]
    assert mirror[-1] > 0.8 > mirror[0]
    box = page.get_by_test_id("stTextInputField")
    box.fill("0 1 2 3 4 5 6 7 8 9")
    box.press("Enter")
    bars = poll("the probability bars", lambda: page.evaluate(TRACES_JS, "attention.own_bars"), timeout=60)
    assert bars[0]["text"] == list("9876543210")
    assert len(bars[0]["y"]) == 10 and min(bars[0]["y"]) > 0.5
    own = poll("the stages of the input", lambda: page.evaluate(TRACES_JS, "attention.own_stages"), timeout=30)
    assert own[3]["z"][0].index(max(own[3]["z"][0])) == 9
    assert not exceptions(page)
