"""The app in Chinese in a real browser: every page opened from a `?lang=zh` link speaks Chinese
(screenshots in artifacts/screenshots/zh_*.png, drawn with fonts-noto-cjk), and the sidebar's
switch changes the language in place. The server, browser and helpers are test_browser.py's."""

from __future__ import annotations

import re

import pytest
from browser_helpers import SLOW, no_exception, open_page, shoot, wait_idle
from english import english_words

pytestmark = pytest.mark.browser

PAGES = [("", "首页"), ("dataset", "数据集"), ("train", "训练"), ("evaluate", "评估"), ("inside", "模型内部"),
         ("draw", "手写识别"), ("experiments", "实验记录"), ("lessons", "课程")]
CJK = re.compile(r"[\u4e00-\u9fff]")
# What a browser shows besides our words: plotly's own axis numbers and the sample's file names.
BROWSER_ALLOWED = {"offline"}
# The page's words as a reader sees them: not icon names (Material icons are ligature text), not code.
VISIBLE_WORDS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  main.querySelectorAll('span, i').forEach(e => {
    if (getComputedStyle(e).fontFamily.includes('Material')) e.setAttribute('data-icon-word', '');
  });
  const copy = main.cloneNode(true);
  // Streamlit's own file-uploader words ("Upload", "200MB per file") have no translation hook: left out
  copy.querySelectorAll('[data-icon-word], [data-testid*="Icon"], code, pre, .modebar, '
                        + '[data-testid="stFileUploaderDropzone"]').forEach(e => e.remove());
  document.body.appendChild(copy);
  const text = copy.innerText;
  copy.remove();
  return text;
}"""


@pytest.mark.parametrize(("path", "title"), PAGES)
def test_every_page_speaks_chinese_from_a_link(page, server, path, title):  # noqa: F811
    open_page(page, server, f"{path}?lang=zh")
    nav = page.locator('[data-testid="stSidebarNav"]')
    for _path, name in PAGES:
        assert nav.get_by_text(name, exact=True).count() == 1, f"{name} missing from the navigation"
    main = page.locator('[data-testid="stMain"]')
    main.locator("h1, h2, h3").first.wait_for(timeout=SLOW)
    no_exception(page)
    text = page.evaluate(VISIBLE_WORDS)
    assert len(CJK.findall(text)) > 20, text[:500]
    english = [w for line in text.splitlines() for w in english_words(line, BROWSER_ALLOWED)]
    assert not english, english[:20]
    shoot(page, f"zh_{path or 'home'}")


def test_the_sidebar_switch_changes_the_language_and_keeps_the_page(page, server):  # noqa: F811
    open_page(page, server, "train?lang=zh")
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.get_by_text("训练", exact=True).count() == 1
    page.locator('[data-testid="stSidebar"] [data-testid="stButtonGroup"]').get_by_text("English", exact=True).click()
    nav.get_by_text("Train", exact=True).wait_for(timeout=SLOW)
    wait_idle(page)
    assert "/train" in page.url
    assert nav.get_by_text("训练", exact=True).count() == 0
    page.locator('[data-testid="stSidebar"] [data-testid="stButtonGroup"]').get_by_text("中文", exact=True).click()
    nav.get_by_text("训练", exact=True).wait_for(timeout=SLOW)
    wait_idle(page)
    assert "/train" in page.url and "lang=zh" in page.url  # a reload or a shared link keeps it
    page.reload()
    nav.get_by_text("训练", exact=True).wait_for(timeout=SLOW)
    no_exception(page)


def test_a_chinese_browser_gets_chinese_without_asking(browser, server):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    try:
        chinese = context.new_page()
        chinese.set_default_timeout(60_000)
        open_page(chinese, server, "dataset")  # no ?lang=: st.context.locale is the browser's language
        chinese.locator('[data-testid="stSidebarNav"]').get_by_text("数据集", exact=True).wait_for(timeout=SLOW)
        assert chinese.locator('[data-testid="stMain"] h1').first.inner_text().startswith("数据集")
        no_exception(chinese)
    finally:
        context.close()
