"""The sidebar model builder in a real browser (issue 18): many students typing at once on a busy
server keep every value of their model; editing a layer keeps its panel open; the Add button fits
in both languages. The server, browser and page are conftest.py's fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse
from dataclasses import replace

import pytest
from browser_helpers import IDLE, SLOW, no_exception, open_page, wait_idle

from mnistlab.model.naming import model_title
from mnistlab.model.presets import PRESETS
from mnistlab.model.spec import OPTIMIZER_TITLES, param_count

pytestmark = pytest.mark.browser

PRESET = "mlp_relu_adam"
SESSIONS = int(os.environ.get("MNISTLAB_BUILDER_SESSIONS", "12"))
TYPED = (("Epochs", 7), ("Training subset (0 = all)", 1500), ("Random seed", 4242))


def student_spec(i: int):
    """A different model for each student, none of whose values is a widget's minimum."""
    base = PRESETS["mlp_relu_adam"].spec
    layers = tuple(replace(layer, units=200 + 8 * i) if layer.kind == "dense" else layer for layer in base.layers)
    return base.replace(layers=layers, optimizer="rmsprop", learning_rate=round(0.002 + 0.0001 * i, 6),
                        batch_size=64 + i, validation_split=0.15)


def train_line(spec) -> str:
    return (f"{model_title(spec.name)} · {param_count(spec):,} parameters · {OPTIMIZER_TITLES[spec.optimizer]} "
            f"(learning rate {spec.learning_rate:g}) · batch size {spec.batch_size} · {spec.epochs} epochs · "
            f"{spec.train_size:,} training images")


@pytest.fixture
def busy_cpu():
    """A process that keeps a CPU busy, as a class's trainings do: the server's runs are slow and
    each keystroke's run is cut short by the next one."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
               for _ in range(int(os.environ.get("MNISTLAB_BUILDER_BURNERS", "1")))]
    yield
    for burner in burners:
        burner.kill()
        burner.wait()


def test_many_students_typing_at_once_keep_their_models(browser, server, busy_cpu):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pages = []
    for i in range(SESSIONS):
        page = context.new_page()  # noqa: F811 — each page is a session of its own
        page.set_default_timeout(SLOW)
        page.goto(f"{server}/train?spec={urllib.parse.quote(student_spec(i).to_json())}")
        pages.append(page)
    for i, page in enumerate(pages):  # the Train page shows the loaded model
        page.get_by_text(f"batch size {64 + i} ·").first.wait_for(timeout=3 * SLOW)
        page.wait_for_function(IDLE, timeout=SLOW)
        page.locator('[data-testid="stSidebar"]').get_by_text("Training settings").click()
        page.get_by_label("Epochs", exact=True).wait_for()
    for page in pages:  # then each loads the tutorial preset, which draws the builder's widgets anew
        page.locator(".st-key-builder_load button").first.click()
    for page in pages:  # and starts typing as soon as the Train page shows it
        page.get_by_text(f"{model_title(PRESET)} · ").first.wait_for(timeout=3 * SLOW)
    for label, value in TYPED:  # everyone types at once: no page waits for its runs to end
        for page in pages:
            box = page.get_by_label(label, exact=True)
            box.fill(str(value))
            box.press("Enter")
    for i, page in enumerate(pages):
        wanted = PRESETS[PRESET].spec.replace(name=f"{PRESET}_modified", epochs=7, train_size=1500, seed=4242)
        page.get_by_text(train_line(wanted)).first.wait_for(timeout=SLOW)
        wait_idle(page)
        no_exception(page)
        line = page.locator('[data-testid="stMain"]').get_by_text(" parameters · ").first.inner_text()
        assert line == train_line(wanted), f"student {i}"
        sidebar = page.locator('[data-testid="stSidebar"]')
        table = sidebar.locator('[data-testid="stTable"]').inner_text()
        assert table.count("Dense 512 relu") == 2 and table.count("Dropout 0.2") == 2, f"student {i}: {table}"
        values = {label: page.get_by_label(label, exact=True).input_value()
                  for label in ("Epochs", "Training subset (0 = all)", "Random seed", "Batch size", "Learning rate")}
        assert values == {"Epochs": "7", "Training subset (0 = all)": "1500", "Random seed": "4242",
                          "Batch size": str(wanted.batch_size), "Learning rate": f"{wanted.learning_rate:g}"}, \
            f"student {i}"
        slider = sidebar.locator('[data-testid="stSliderThumbValue"]').first
        assert slider.inner_text() == f"{wanted.validation_split:g}", f"student {i}"
    context.close()


def test_editing_a_layer_keeps_its_panel_open(page, server):  # noqa: F811
    open_page(page, server, "train")
    sidebar = page.locator('[data-testid="stSidebar"]')
    panel = sidebar.locator('[data-testid="stExpander"]').nth(1)  # the first Dense layer's
    panel.get_by_text("2. Dense 512 relu").click()
    units = panel.get_by_label("Units", exact=True)
    units.fill("64")
    units.press("Enter")
    sidebar.get_by_text("2. Dense 64 relu").wait_for()
    wait_idle(page)
    assert units.is_visible(), "the layer's panel closed when its units changed"
    no_exception(page)


@pytest.mark.parametrize(("lang", "add"), [("en", "Add"), ("zh", "添加")])
def test_the_add_button_fits(browser, server, lang, add):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()  # noqa: F811
    page.set_default_timeout(SLOW)
    open_page(page, server, f"train?lang={lang}")
    button = page.locator(".st-key-builder_add button").first
    button.wait_for()
    assert button.inner_text().strip() == add
    fits = button.evaluate("""b => [...b.querySelectorAll('*'), b].every(e => e.scrollWidth <= e.clientWidth
                                      || getComputedStyle(e).display === 'inline')""")
    assert fits, f"the {lang} Add button is cut: {button.evaluate('b => b.outerHTML')[:400]}"
    context.close()
