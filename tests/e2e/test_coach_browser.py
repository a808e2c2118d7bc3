"""The coach in a real browser: a run at learning rate 1e-5 ends with the coach's banner, and its button puts a
learning rate 100 times larger in the form."""

from __future__ import annotations

import pytest

from tests.e2e.server import (
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


def _learning_rate_shown(page) -> str:
    widget = page.locator('[data-testid="stSlider"]').filter(has=page.get_by_text("Learning rate", exact=True))
    return widget.get_by_role("slider").get_attribute("aria-valuetext") or ""


def test_coach_explains_a_too_low_learning_rate_and_its_button_fixes_it(page, app_url):
    open_mlp(page, app_url)
    set_select_slider(page, "Learning rate", "1e-05")
    assert _learning_rate_shown(page) == "1e-05"
    set_number(page, "Epochs", 20)
    click_button(page, "Train")
    wait_status(page, "completed", timeout=90)
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="Coach")
    banner = poll("the coach's banner", lambda: alert.count() and alert.first.inner_text(), timeout=30)
    assert "looks too low" in banner and "fell only" in banner
    wait_idle(page)
    click_button(page, "Set the learning rate to 0.001")
    poll("the learning rate 0.001 in the form", lambda: _learning_rate_shown(page) == "0.001", timeout=30)
    assert not exceptions(page)
