"""Two people on one server: each browser session sees and controls only its own job."""

from __future__ import annotations

import pytest

from tests.e2e.server import click_button, open_mlp, progress_text, set_number, wait_idle, wait_status

pytestmark = pytest.mark.e2e


def test_two_sessions_train_at_once_and_one_cannot_stop_the_other(browser, app_url):
    alice_ctx, bob_ctx = browser.new_context(), browser.new_context()
    try:
        alice, bob = alice_ctx.new_page(), bob_ctx.new_page()
        for page in (alice, bob):
            open_mlp(page, app_url)
            set_number(page, "Epochs", 10000)
            click_button(page, "Train")
        wait_status(alice, "running", "queued", timeout=60)
        wait_status(bob, "running", "queued", timeout=60)
        click_button(alice, "Stop")
        wait_status(alice, "stopped", timeout=30)
        wait_idle(bob)
        assert "stopped" not in progress_text(bob)  # Alice's Stop reached only Alice's job
        wait_status(bob, "running", timeout=60)  # Bob's run goes on (out of the queue, if it waited)
        click_button(bob, "Stop")
        wait_status(bob, "stopped", timeout=30)
    finally:
        alice_ctx.close()
        bob_ctx.close()
