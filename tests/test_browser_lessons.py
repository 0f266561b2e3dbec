"""The Lessons page in a real browser at 1280 px, from a `?lesson=003` link in each language: the lesson
shown with its steps ⬜ and the preset in the builder (screenshots in artifacts/screenshots/lessons_*.png)."""

from __future__ import annotations

import pytest
from browser_helpers import SLOW, no_exception, open_page, shoot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("language", "title", "first_step"), [
    ("en", "Lessons", "1. Train the relu + Adam MLP"), ("zh", "课程", "1. 训练这个 relu + Adam"),
])
def test_a_lesson_link_shows_the_lesson_in_each_language(browser, server, language, title, first_step):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        open_page(page, server, f"?lesson=003&lang={language}")
        main = page.locator('[data-testid="stMain"]')
        main.get_by_role("heading", name=title).wait_for(timeout=SLOW)
        main.get_by_text(first_step).wait_for(timeout=SLOW)
        no_exception(page)
        assert "lessons" in page.url and "lesson=003" in page.url
        assert main.get_by_text("⬜").count() == 4
        shoot(page, f"lessons_{language}")
        # the builder describes the lesson's preset (mlp_relu_adam: "the tutorial reports test accuracy 0.9805")
        assert "0.9805" in page.locator('[data-testid="stSidebar"]').text_content()
    finally:
        context.close()
