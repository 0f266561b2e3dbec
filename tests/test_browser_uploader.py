"""Every file uploader of the app in a real browser: in Chinese its own words (the button, the size limit,
what it says while a file is dragged over it) read in Chinese, Streamlit's English ones are hidden, the
button is still named and still opens the file dialog, and the upload works; in English it reads as
Streamlit wrote it. Screenshots of each in artifacts/screenshots/uploader_*.png (1280 px and 390 px)."""

from __future__ import annotations

import re
import tomllib

import numpy as np
import pytest
from apptest import ROOT
from browser_helpers import SHOTS, SLOW, new_page, next_frames, no_exception, wait_idle
from english import english_words

from mnistlab import i18n
from mnistlab.model.default import DEFAULT_MODEL_FILE

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u4e00-\u9fff]")
LIMIT_MB = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]


class Uploader:
    def __init__(self, path, key, types, multiple, expander=None):
        self.path, self.key, self.types, self.multiple, self.expander = path, key, types, multiple, expander


MODEL_EXPANDER = "Use a model trained elsewhere (.keras file)"
UPLOADERS = {
    "evaluate": Uploader("evaluate", "evaluate_upload", ["KERAS"], False, MODEL_EXPANDER),
    "draw": Uploader("draw", "draw_upload", ["KERAS"], False, MODEL_EXPANDER),
    "dataset": Uploader("dataset", "upload_files", [], True),
    "spec": Uploader("train", "builder_import", ["JSON"], False, "Share or import this model"),
}

# Streamlit's elements that hold its English words (what ui/uploader.py hides), and the element whose
# ::after shows ours
ENGLISH = {"button": 'button [data-testid="stMarkdownContainer"] > p',
           "limits": '[data-testid="stFileUploaderDropzoneInstructions"] > div > span'}
DRAGGING = {"dragging": ":scope > div:not([data-testid]) > span"}
SEEN = """(zone, selectors) => {
  const out = {};
  for (const [name, selector] of Object.entries(selectors)) {
    const element = zone.querySelector(selector);
    const shown = name === 'dragging' ? element : element.parentElement;
    const after = getComputedStyle(shown, '::after');
    out[name] = {text: element.textContent, visibility: getComputedStyle(element).visibility, after: after.content,
                 afterVisibility: after.visibility};
  }
  out.innerText = zone.innerText;
  return out;
}"""
LAYOUT = """zone => {
  // the width of the limits' words, ours (the ::after, which ellipsis would cut) or Streamlit's (its span)
  const textWidth = holder => {
    const after = getComputedStyle(holder, '::after'), span = holder.querySelector('span');
    const [style, text] = after.content === 'none' ? [getComputedStyle(span), span.textContent]
                                                   : [after, JSON.parse(after.content)];
    const context = document.createElement('canvas').getContext('2d');
    context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    return context.measureText(text).width;
  };
  const button = zone.querySelector('button');
  const label = button.querySelector('[data-testid="stMarkdownContainer"]');
  const icon = button.querySelector('[data-testid="stIconMaterial"]');
  const limits = zone.querySelector('[data-testid="stFileUploaderDropzoneInstructions"] > div');
  const [b, l, z, i, p] = [button, limits, zone, icon, label].map(e => e.getBoundingClientRect());
  return {
    overlap: !(b.right <= l.left || l.right <= b.left || b.bottom <= l.top || l.bottom <= b.top),
    buttonCut: button.scrollWidth > button.clientWidth + 1,
    limitsCut: textWidth(limits) > limits.clientWidth + 1,
    outside: Math.max(b.right, l.right) > z.right + 1 || Math.max(b.bottom, l.bottom) > z.bottom + 1,
    labelOffCentre: Math.abs((i.top + i.bottom) / 2 - (p.top + p.bottom) / 2),
    limitsHeight: l.height,
  };
}"""


def said(language: str, message: str, **params) -> str:
    """A message in `language`, from the catalog, as the page says it."""
    i18n.set_language_source(lambda: language)  # conftest's apptest_language puts the source back
    return i18n._(message, **params)


def css_text(content: str) -> str:
    """getComputedStyle's `content` ('"上传"') as the text it shows."""
    assert content.startswith('"') and content.endswith('"'), content
    return content[1:-1].replace('\\"', '"')


def expected_words(uploader: Uploader) -> dict[str, str]:
    from ui.uploader import dropzone_words

    i18n.set_language_source(lambda: "zh")
    return dropzone_words(uploader.types, uploader.multiple, LIMIT_MB)


@pytest.fixture(scope="module")
def dataset_file(tiny, tmp_path_factory):
    """The tiny sample as an mnist.npz in the Keras layout."""
    path = tmp_path_factory.mktemp("upload") / "tiny_mnist.npz"
    np.savez(path, x_train=tiny.x_train, y_train=tiny.y_train, x_test=tiny.x_test, y_test=tiny.y_test)
    return path


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory):
    from mnistlab.model.spec import ModelSpec, dense, flatten

    path = tmp_path_factory.mktemp("upload") / "imported.json"
    path.write_text(ModelSpec((flatten(), dense(77)), name="imported").to_json())
    return path


def open_uploader(page, server, uploader: Uploader, language: str):
    """The page in `language`, the uploader's expander opened; the uploader's dropzone."""
    page.goto(f"{server}/{uploader.path}?lang={language}")
    page.wait_for_selector('[data-testid="stSidebar"]', state="attached")
    wait_idle(page)
    if uploader.expander:
        page.locator("summary").filter(has_text=said(language, uploader.expander)).first.click()
    zone = page.locator(f'.st-key-{uploader.key} [data-testid="stFileUploaderDropzone"]')
    zone.wait_for(timeout=SLOW)
    zone.scroll_into_view_if_needed()
    page.wait_for_function("() => document.fonts.status === 'loaded'")
    next_frames(page)
    return zone


def shoot_uploader(page, uploader: Uploader, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(f'.st-key-{uploader.key} [data-testid="stFileUploader"]').screenshot(path=str(SHOTS / f"{name}.png"))


def check_layout(zone) -> None:
    layout = zone.evaluate(LAYOUT)
    assert not layout["overlap"] and not layout["buttonCut"] and not layout["limitsCut"], layout
    assert not layout["outside"], layout
    assert layout["labelOffCentre"] <= 2, layout  # the button's word beside its icon, not above or below it
    assert layout["limitsHeight"] <= 30, layout  # one line


def upload_result(page, name: str, file) -> None:
    """What the page shows once it has the file."""
    if name in ("evaluate", "draw"):
        expander = page.locator('[data-testid="stExpander"]').filter(has=page.locator(f".st-key-{UPLOADERS[name].key}"))
        success = expander.locator('[data-testid="stAlertContentSuccess"]')
        success.wait_for(timeout=SLOW)
        assert file.name in success.inner_text() and CJK.search(success.inner_text())
    elif name == "dataset":
        success = page.locator('[data-testid="stMain"] [data-testid="stAlertContentSuccess"]').first
        success.wait_for(timeout=SLOW)
        assert CJK.search(success.inner_text()), success.inner_text()
    else:  # the builder took the imported spec: the address it offers holds its 77-unit Dense layer
        page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').filter(has_text='"units":77').wait_for(
            state="attached", timeout=SLOW)
    wait_idle(page)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0, page.locator(
        '[data-testid="stAlertContentError"]').first.inner_text()
    no_exception(page)


@pytest.mark.parametrize("name", list(UPLOADERS))
def test_an_uploader_speaks_chinese_and_still_uploads(browser, server, name, dataset_file, spec_file):
    uploader = UPLOADERS[name]
    words = expected_words(uploader)
    assert f"{LIMIT_MB} MB" in words["limits"] and all(CJK.search(w) for w in words.values()), words
    assert not [w for text in words.values() for w in english_words(text)], words
    context, page = new_page(browser, 1280)
    try:
        zone = open_uploader(page, server, uploader, "zh")
        seen = zone.evaluate(SEEN, ENGLISH)
        for part in ENGLISH:  # Streamlit's English words are there, hidden; ours are shown in their place
            assert CJK.search(seen[part]["text"]) is None, seen
            assert seen[part]["visibility"] == "hidden" and seen[part]["afterVisibility"] == "visible", seen
            assert css_text(seen[part]["after"]) == words[part], seen
            assert not zone.locator(ENGLISH[part]).is_visible()
        assert not english_words(seen["innerText"].replace("upload", "")), seen["innerText"]  # the icon's name
        check_layout(zone)
        shoot_uploader(page, uploader, f"uploader_zh_{name}_1280")

        # while a file is dragged over it
        drag = page.evaluate_handle("() => { const d = new DataTransfer(); d.items.add(new File(['x'], 'a.bin')); "
                                    "return d; }")
        zone.dispatch_event("dragenter", {"dataTransfer": drag})
        overlay = zone.locator(":scope > div:not([data-testid]) > span")
        overlay.wait_for(state="attached")
        dragging = zone.evaluate(SEEN, DRAGGING)["dragging"]
        assert dragging["text"].startswith("Drag and drop") and not overlay.is_visible(), dragging
        assert css_text(dragging["after"]) == words["dragging"], dragging
        shoot_uploader(page, uploader, f"uploader_zh_{name}_dragging")
        zone.dispatch_event("dragleave", {"dataTransfer": drag})
        overlay.wait_for(state="detached")

        # the button keeps a name (our word) and opens the file dialog
        file = {"evaluate": DEFAULT_MODEL_FILE, "draw": DEFAULT_MODEL_FILE, "dataset": dataset_file,
                "spec": spec_file}[name]
        with page.expect_file_chooser() as chooser:
            zone.get_by_role("button", name=words["button"], exact=True).click()
        chooser.value.set_files(str(file))
        upload_result(page, name, file)
    finally:
        context.close()


@pytest.mark.parametrize("name", ["evaluate", "dataset", "spec"])
def test_an_uploader_stays_english_in_english(browser, server, name):
    uploader = UPLOADERS[name]
    context, page = new_page(browser, 1280)
    try:
        zone = open_uploader(page, server, uploader, "en")
        seen = zone.evaluate(SEEN, ENGLISH)
        assert seen["button"]["after"] == "none" and seen["limits"]["after"] == "none", seen
        limits = f"{LIMIT_MB}MB per file" + (f" • {', '.join(uploader.types)}" if uploader.types else "")
        assert seen["innerText"].split("\n")[-1] == limits, seen["innerText"]
        assert zone.get_by_role("button", name="Upload", exact=True).is_visible()
        assert not CJK.search(seen["innerText"])
        check_layout(zone)
        shoot_uploader(page, uploader, f"uploader_en_{name}_1280")
    finally:
        context.close()


@pytest.mark.parametrize("name", ["evaluate", "dataset"])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_uploader_fits_a_phone(browser, server, name, language):
    uploader = UPLOADERS[name]
    context, page = new_page(browser, 390)
    try:
        zone = open_uploader(page, server, uploader, language)
        check_layout(zone)
        text = zone.evaluate(SEEN, ENGLISH)
        shown = text["button"]["after"] if language == "zh" else text["button"]["text"]
        assert (CJK.search(shown) is not None) == (language == "zh"), text
        shoot_uploader(page, uploader, f"uploader_{language}_{name}_390")
    finally:
        context.close()
