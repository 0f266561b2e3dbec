"""The app works offline, as in a classroom without internet: no page asks anything of another host
(issue 18 item 9: the browser console filled with ERR_NAME_NOT_RESOLVED). The server, browser and
helpers are test_browser.py's."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from browser_helpers import SLOW, no_exception, open_page
from test_browser_lang import PAGES

pytestmark = pytest.mark.browser

LOCAL = {"127.0.0.1", "localhost", "::1"}


def _foreign(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme not in ("data", "blob", "about") and parsed.hostname not in LOCAL


def _left_behind(request) -> bool:
    """One of the app's own files still loading when the test opened the next page: the browser aborts it."""
    return not _foreign(request.url) and request.failure == "net::ERR_ABORTED"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_no_page_fetches_from_another_host(page, server, language):  # noqa: F811
    asked, failed = [], []
    page.on("request", lambda request: asked.append(request.url))
    page.on("requestfailed", lambda request: None if _left_behind(request) else failed.append(
        f"{request.url} {request.failure}"))
    page.on("console", lambda message: failed.append(message.text) if "ERR_NAME" in message.text else None)
    for path, _title in PAGES:
        open_page(page, server, f"{path}?lang={language}")
        page.locator('[data-testid="stMain"]').locator("h1, h2, h3").first.wait_for(timeout=SLOW)
        page.wait_for_load_state("networkidle")
        no_exception(page)
    assert len(asked) > len(PAGES)  # the recording works: the app's own files were asked for
    assert not sorted({url for url in asked if _foreign(url)})
    assert not failed
