"""Fixtures for the browser tests: a real `streamlit run app.py` server and Debian's Chromium.

These tests never skip. Without Chromium they fail and say to run `make test`, which installs it.
pytest-playwright's own fixtures are not used (its browser download does not work here); the
`browser` and `page` fixtures below replace them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.server import Server, crash_lines, launch_chromium, start_server, stop_server

VIEWPORT = {"width": 1400, "height": 1000}


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One app server for the whole session. At teardown it must exit on SIGTERM without crashing."""
    server = start_server(tmp_path_factory.mktemp("streamlit") / "server.log")
    yield server
    code, seconds = stop_server(server)
    log = server.log()
    assert code >= 0, f"the server did not exit on SIGTERM and was killed ({code}) after {seconds:.1f} s:\n{log}"
    assert not crash_lines(log), f"the server crashed while shutting down:\n{log}"


@pytest.fixture(scope="session")
def app_url(app_server: Server) -> str:
    """The base URL of the shared app server, e.g. http://127.0.0.1:PORT."""
    return app_server.url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = launch_chromium(pw)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh context per test: a new browser session, so a new Streamlit session and no old job."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    p = context.new_page()
    yield p
    context.close()
