"""Two people, one training place: with turns, both see their curves move while both runs train."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.server import (
    Server,
    click_button,
    live_state,
    open_mlp,
    poll,
    set_number,
    start_server,
    stop_server,
    wait_status,
)

pytestmark = pytest.mark.e2e

TURN_S = 1.0


@pytest.fixture(scope="module")
def turns_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own with one training place and turns of TURN_S seconds."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PLAYGROUND_MAX_JOBS", "1")
        env.setenv("PLAYGROUND_TURN_S", str(TURN_S))
        server: Server = start_server(tmp_path_factory.mktemp("turns") / "server.log")
    try:
        yield server.url
    finally:
        code, _ = stop_server(server)
        assert code >= 0, server.log()


def last_step(page) -> float:
    _, chart = live_state(page)
    return chart.last_step() if chart else 0.0


def test_two_sessions_with_one_place_both_see_their_curves_move(browser, turns_url):
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(2)]
    try:
        pages = [context.new_page() for context in contexts]
        for page in pages:
            open_mlp(page, turns_url)
            set_number(page, "Epochs", 3000)  # minutes of training: both runs go on throughout
        for page in pages:
            click_button(page, "Train")
        for page in pages:
            wait_status(page, "running", timeout=60)
        seen: list[str] = []
        for _ in range(2):  # two rounds: each run's curve moves, then moves again after the other's turn
            before = [last_step(page) for page in pages]
            for page, start in zip(pages, before, strict=True):
                poll("the loss curve to move", lambda p=page, s=start: last_step(p) > s, timeout=30 + 4 * TURN_S)
            seen += [live_state(page)[0] for page in pages]
        assert all("running" in text for text in seen)  # waiting for a turn is not a pause
        for page in pages:
            poll("the sharing note", lambda p=page: p.get_by_text("Sharing the server with 1 other run").count(),
                 timeout=10)
            assert "paused" not in live_state(page)[0]
        for page in pages:
            click_button(page, "Stop")
            wait_status(page, "stopped", timeout=30)
    finally:
        for context in contexts:
            context.close()
