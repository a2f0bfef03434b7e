"""Browser fixtures: Debian's chromium driven by Playwright, axe-core from node_modules here.

Both are installed by `make test`; when one is missing the tests fail with a message saying how to
install it (a skipped browser test would let a broken page through CI unnoticed).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("PILOTIS_CHROMIUM", "/usr/bin/chromium")
AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module", autouse=True)
def allow_orm_beside_playwright():
    """Playwright's sync API runs an event loop in this thread; Django's ORM, called by the test
    between browser steps, would otherwise refuse to run "from an async context". Set while a
    browser test module runs (its browser is closed before the variable goes): every xdist worker
    collects this file, and the variable must not leak into other tests."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium manque ({CHROMIUM}) : installez le paquet Debian « chromium » "
            "(apt-get install chromium) ou indiquez son chemin par PILOTIS_CHROMIUM."
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright manque : make install-test (pip install -e '.[test]').")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"axe-core manque ({AXE_JS}) : make install-test (npm ci dans tests/browser).")
    return AXE_JS.read_text()


class Browser:
    """A page of chromium on the live server, signed in as `user` if given."""

    def __init__(self, chromium, live_server, axe_source: str):
        self.chromium, self.live_server, self.axe_source = chromium, live_server, axe_source
        self.context = chromium.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()

    def login(self, user) -> None:
        from django.test import Client

        client = Client()
        client.force_login(user)
        cookie = client.cookies["sessionid"]
        self.context.add_cookies(
            [{"name": "sessionid", "value": cookie.value, "url": self.live_server.url}]
        )

    def open(self, path: str):
        response = self.page.goto(self.live_server.url + path)
        assert response.status == 200, (path, response.status)
        return self.page

    def axe_violations(self) -> list[str]:
        """axe-core's violations on the open page, as « rule: target » lines."""
        # Evaluated through the DevTools protocol: the site's CSP (no inline script) stays on.
        self.page.evaluate(self.axe_source)
        result = self.page.evaluate("async () => await axe.run(document)")
        return [f"{v['id']}: {node['target']}" for v in result["violations"] for node in v["nodes"]]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def browser(chromium, live_server, axe_source, transactional_db):
    opened = Browser(chromium, live_server, axe_source)
    yield opened
    opened.close()
