"""Every page at a laptop's 1280 px and on a phone (390 px) in English and Chinese: nothing wider than the
window, no button or table header whose text is cut; and a run's model loaded on Experiments read in
Chinese on the pages that show it (screenshots in artifacts/screenshots/phone_*.png and zh_loaded_*.png)."""

from __future__ import annotations

import time

import pytest
from browser_helpers import SHOTS, SLOW, new_page, no_exception, open_page, server_store, shoot, wait_idle
from english import english_words
from test_browser_lang import BROWSER_ALLOWED, VISIBLE_WORDS

pytestmark = pytest.mark.browser

PAGES = ["", "dataset", "train", "evaluate", "inside", "draw", "experiments", "lessons", "challenges", "classroom"]
# How far the page's main column reaches past the window: a phone scrolls sideways when it is above 0
OVERFLOW = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  return Math.max(document.documentElement.scrollWidth - window.innerWidth, main.scrollWidth - main.clientWidth);
}"""
# Buttons and table headers whose text does not fit their box (cut, or "…")
CUT = """() => [...document.querySelectorAll(
    '[data-testid="stMain"] button, [data-testid="stSidebar"] button, [data-testid="stMain"] th')]
  .filter(e => e.offsetParent !== null && e.innerText.trim() && e.scrollWidth > e.clientWidth + 1
    && !e.closest('[data-testid="stSidebar"][data-collapsed="true"]'))
  .map(e => e.innerText.trim().slice(0, 40))"""


@pytest.fixture(scope="module")
def runs_url(tmp_path_factory):
    """A class's store with one run whose model is real (set before the server starts)."""
    from mnistlab import ModelSpec, load_dataset, train
    from mnistlab.model.spec import dense, flatten
    from mnistlab.store.runs import Store

    sample = load_dataset("mnist", "sample")
    spec = ModelSpec((flatten(), dense(32)), epochs=1, train_size=500, name="mlp_relu_adam_modified")
    result = train(spec, sample, use_cache=False)
    url = f"sqlite:///{tmp_path_factory.mktemp('runs') / 'runs.sqlite'}"
    Store(url).add(name=spec.name, dataset="mnist", source="MNIST sample: 5,000 real digits",
                   spec_json=spec.to_json(), history=result.history, seconds=result.seconds, epochs_done=1,
                   status="done", cache_key="phone-1", model_bytes=result.model_bytes(), test_accuracy=0.8, owner="ann")
    with server_store(url):
        yield url


@pytest.fixture(scope="module")
def server(runs_url, server):  # conftest's server, started once the store's URL is in its environment
    return server


def open_on_phone(page, server, path):
    """As open_page, where the sidebar is folded away (a phone)."""
    page.goto(f"{server}/{path}")
    page.wait_for_selector('[data-testid="stSidebar"]', state="attached")
    wait_idle(page)


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_fits_the_screen(browser, server, lang, width, path):
    context, page = new_page(browser, width)
    try:
        open_on_phone(page, server, f"{path}?lang={lang}")
        page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=SLOW)
        wait_idle(page)
        no_exception(page)
        overflow, cut = page.evaluate(OVERFLOW), page.evaluate(CUT)
        if width < 500:
            shoot(page, f"phone_{lang}_{path or 'home'}")
    finally:
        context.close()
    assert overflow <= 1, f"the page is {overflow} px wider than the {width} px window"
    assert not cut, f"buttons or table headers cut at {width} px: {cut}"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_sidebar_fits_a_phone(browser, server, lang):
    """The sidebar opened over the page, as a student opens it to build a model."""
    context, page = new_page(browser, 390)
    try:
        open_on_phone(page, server, f"train?lang={lang}")
        page.locator('[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button'
                     ).first.click()
        page.wait_for_selector('[data-testid="stSidebar"][data-collapsed="false"]')
        page.wait_for_timeout(800)  # its slide-in
        cut = page.evaluate(CUT)
        page.screenshot(path=str(SHOTS / f"phone_{lang}_sidebar.png"))
    finally:
        context.close()
    assert not cut, f"sidebar buttons cut on a phone: {cut}"


def _select_first_run(page) -> None:
    """Tick the first row of the Experiments grid (drawn on a canvas: click its selection cell)."""
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(timeout=SLOW)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the row under the 35-px header, its checkbox column
    page.get_by_text("使用这个模型", exact=True).wait_for(timeout=SLOW)
    wait_idle(page)


def test_a_loaded_run_reads_in_chinese_on_every_page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        open_page(page, server, "experiments?lang=zh")
        _select_first_run(page)
        page.get_by_role("button", name="使用这个模型").click()
        page.get_by_text("现在是你的当前模型", exact=False).wait_for(timeout=SLOW)
        nav = page.locator('[data-testid="stSidebarNav"]')
        for name, shot in (("评估", "evaluate"), ("模型内部", "inside"), ("手写识别", "draw")):
            nav.get_by_text(name, exact=True).click()
            page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=SLOW)
            wait_idle(page)
            time.sleep(0.5)
            wait_idle(page)
            no_exception(page)
            text = page.evaluate(VISIBLE_WORDS)
            assert "训练记录 1" in text, text[:300]  # the loaded run's model is the one named on the page
            english = [w for line in text.splitlines() for w in english_words(line, BROWSER_ALLOWED)]
            shoot(page, f"zh_loaded_{shot}")
            assert not english, (shot, english[:20])
    finally:
        context.close()
