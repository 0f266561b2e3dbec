"""The Lessons page in a real browser at 1280 px: a `?lesson=003` link in each language shows the lesson with
its steps ⬜ and the preset in the builder; lesson 000 followed to the end as a student does it, each step
ticked ✅ once done and kept under the nickname after a reload (screenshots in artifacts/screenshots/lesson*.png)."""

from __future__ import annotations

import re

import pytest
from browser_helpers import SLOW, no_exception, open_page, set_number, shoot, wait_idle

pytestmark = pytest.mark.browser

LESSON = "000"  # the quickest to follow on the offline sample: two short MLP trainings and a comparison
NICK = "lena"
# The marks of the steps shown on the Lessons page, in order ("✅ **1. Open the Train page …**")
MARKS = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stMarkdownContainer"] p')]
  .map(p => p.innerText.trim()).filter(text => /^[✅⬜] \\d+\\. /u.test(text)).map(text => [...text][0])"""
TEST_ACCURACY = '[data-testid="stMetric"]:has-text("Test accuracy")'


@pytest.fixture
def laptop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


@pytest.mark.parametrize(("language", "title", "first_step"), [
    ("en", "Lessons", "1. Train the relu + Adam MLP"), ("zh", "课程", "1. 训练这个 relu + Adam"),
])
def test_a_lesson_link_shows_the_lesson_in_each_language(laptop, server, language, title, first_step):
    page = laptop
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


def step_marks(page) -> list[str]:
    """Once the lesson's three steps are drawn."""
    page.wait_for_function(f"() => ({MARKS})().length === 3", timeout=SLOW)
    return page.evaluate(MARKS)


def lessons_page(page) -> list[str]:
    """Back to Lessons by the sidebar's menu, as a student goes back; the steps' marks it shows."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Lessons").click()
    page.wait_for_url(re.compile(r"/lessons\?"))
    page.get_by_role("heading", name="Lessons").first.wait_for(timeout=SLOW)
    wait_idle(page)
    no_exception(page)
    return step_marks(page)


def go_to_step(page, number: int, page_path: str, heading: str) -> None:
    """The step's own button: its preset into the builder, then its page."""
    page.locator(f".st-key-lesson_{LESSON}_step_{number} button").click()
    page.wait_for_url(re.compile(rf"/{page_path}(\?|$)"))
    page.get_by_role("heading", name=heading).first.wait_for(timeout=SLOW)
    wait_idle(page)
    no_exception(page)


def training_settings(page) -> None:
    """The sidebar's Training settings open (it stays open from one page to the next)."""
    if not page.get_by_label("Epochs", exact=True).is_visible():
        page.locator('[data-testid="stSidebar"]').get_by_text("Training settings").click()
        page.get_by_label("Epochs", exact=True).wait_for()


def train(page) -> None:
    page.get_by_role("button", name="Train", exact=True).click()
    page.locator(TEST_ACCURACY).wait_for(timeout=SLOW)
    wait_idle(page)
    no_exception(page)


def test_lesson_000_followed_to_the_end_is_ticked_and_kept(laptop, browser, server):
    page = laptop
    open_page(page, server, f"?lesson={LESSON}&nick={NICK}")
    page.get_by_role("heading", name="Lessons").first.wait_for(timeout=SLOW)
    page.get_by_text("1. Open the Train page with the tutorial's model loaded").wait_for(timeout=SLOW)
    wait_idle(page)
    assert step_marks(page) == ["⬜"] * 3

    # 1. the Train page, with the tutorial's model in the builder
    go_to_step(page, 1, "train", "Train")
    assert "MLP, tanh, SGD" in page.locator('[data-testid="stMain"]').inner_text()
    assert lessons_page(page) == ["✅", "⬜", "⬜"]

    # 2. train it, a few epochs being enough: 1 epoch of 1,000 images on two busy cores
    go_to_step(page, 2, "train", "Train")
    training_settings(page)
    set_number(page, "Epochs", 1, re.compile(r"· 1 epoch\b"))
    set_number(page, "Training subset (0 = all)", 1000, "· 1,000 training images")
    assert page.locator(TEST_ACCURACY).count() == 0  # nothing trained yet in this session
    train(page)
    assert lessons_page(page) == ["✅", "✅", "⬜"]

    # 3. another momentum, trained again: not done until the two runs are compared on Experiments
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Train").click()
    page.wait_for_url(re.compile(r"/train(\?|$)"))
    page.locator(TEST_ACCURACY).wait_for(timeout=SLOW)  # the first training's result, still the session's
    wait_idle(page)
    training_settings(page)
    # the model differs from the one just trained: the page warns of its few weight updates again
    set_number(page, "Momentum (SGD)", 0.5, "This training makes only")
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("This training makes only").wait_for(state="detached", timeout=SLOW)  # the click's run
    wait_idle(page)  # the first result is gone once that run is over: the metric waited for next is the new one
    page.locator(TEST_ACCURACY).wait_for(timeout=SLOW)
    wait_idle(page)
    no_exception(page)
    assert lessons_page(page) == ["✅", "✅", "⬜"]

    go_to_step(page, 3, "experiments", "Experiments")
    for box, option in (("Run A", 0), ("Run B", 1)):
        page.get_by_role("combobox", name=box).click()
        page.get_by_role("option").nth(option).click()
        wait_idle(page)
    comparison = page.get_by_text(re.compile(r"Test accuracy: run A \d+\.\d\d%, run B \d+\.\d\d%"))
    comparison.wait_for(timeout=SLOW)  # both models evaluated on the test set
    wait_idle(page)
    no_exception(page)
    # the two runs differ by their momentum (a table drawn on a canvas, read by its caption)
    page.get_by_text("The table: only the layers and settings in which the two runs differ.").wait_for()
    marks = lessons_page(page)
    assert marks == ["✅"] * 3 and "⬜" not in marks
    page.get_by_text("3 of 3 steps done").wait_for()
    shoot(page, "lesson_000_done_en")

    # a reload is a new session: the progress comes back from the store, under the nickname
    assert f"nick={NICK}" in page.url
    page.reload()
    page.get_by_text("1. Open the Train page with the tutorial's model loaded").wait_for(timeout=SLOW)
    wait_idle(page)
    no_exception(page)
    assert step_marks(page) == ["✅"] * 3

    # in Chinese too; and another nickname has done none of it
    for language, nick, done in (("zh", NICK, "✅"), ("en", "mo", "⬜")):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        try:
            other = context.new_page()
            other.set_default_timeout(60_000)
            open_page(other, server, f"lessons?lesson={LESSON}&nick={nick}&lang={language}")
            wait_idle(other)
            no_exception(other)
            assert step_marks(other) == [done] * 3, (language, nick)
            if language == "zh":
                shoot(other, "lesson_000_done_zh")
        finally:
            context.close()
