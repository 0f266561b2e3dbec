"""The Class page in a real browser, logged in as the teacher, in each language at 1280 px and 390 px, and
in the projector view (screenshots in artifacts/screenshots/classroom_*.png)."""

from __future__ import annotations

import pytest
from browser_helpers import SLOW, no_exception, open_page, shoot, wait_idle

pytestmark = pytest.mark.browser
PASSWORD = "board-s3cret"


@pytest.fixture(scope="module", autouse=True)
def teacher_password():
    """Set before the module's server starts (it copies the environment)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MNISTLAB_TEACHER_PASSWORD", PASSWORD)
        yield


def log_in(page, login: str, tab: str) -> None:
    main = page.locator('[data-testid="stMain"]')
    main.locator('input[type="password"]').fill(PASSWORD)
    main.get_by_role("button", name=login).click()
    main.get_by_role("tab", name=tab).wait_for(timeout=SLOW)
    wait_idle(page)


@pytest.mark.parametrize(("language", "title", "login", "tab"), [
    ("en", "Classroom", "Log in", "Settings and links"), ("zh", "班级", "登录", "设置与链接"),
])
def test_the_class_page_logged_in(browser, server, language, title, login, tab):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(60_000)
    main = page.locator('[data-testid="stMain"]')
    try:
        open_page(page, server, f"classroom?lang={language}")
        main.get_by_role("heading", name=title).wait_for(timeout=SLOW)
        log_in(page, login, tab)
        no_exception(page)
        shoot(page, f"classroom_{language}_1280")
        main.get_by_role("tab", name=tab).click()
        main.locator('[data-testid="stImage"] img').first.wait_for(timeout=SLOW)  # the QR code
        wait_idle(page)
        shoot(page, f"classroom_{language}_1280_links")
        page.set_viewport_size({"width": 390, "height": 844})
        wait_idle(page)
        shoot(page, f"classroom_{language}_390_links")
        main.get_by_role("tab").first.click()
        wait_idle(page)
        shoot(page, f"classroom_{language}_390")
        page.set_viewport_size({"width": 1280, "height": 900})

        zoom = """() => Number(getComputedStyle(document.querySelector('[data-testid="stMain"]')).zoom)"""
        assert page.evaluate(zoom) == 1
        page.goto(page.url.split("?")[0] + f"?lang={language}&projector=1")
        main.get_by_role("heading", name=title).wait_for(timeout=SLOW)
        wait_idle(page)
        page.wait_for_function(f"() => ({zoom})() > 1.3", timeout=30_000)
        log_in(page, login, tab)  # a new session
        shoot(page, f"classroom_{language}_1280_projector")
        no_exception(page)
    finally:
        context.close()
