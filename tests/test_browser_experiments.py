"""The Experiments table at a laptop's 1280 px, in English and Chinese: the columns that matter, Test
accuracy among them, fit without a sideways scroll (screenshots in artifacts/screenshots/experiments_*.png)."""

from __future__ import annotations

import time

import pytest
from browser_helpers import SLOW, no_exception, open_page, server_store, shoot

from mnistlab.model.presets import PRESETS

pytestmark = pytest.mark.browser

GRID = '[data-testid="stDataFrame"]'
# The grid's own scroller (glide-data-grid draws on a canvas inside it): wider content scrolls sideways
FITS = """() => {
  const scroller = document.querySelector('[data-testid="stDataFrame"] .dvn-scroller');
  return scroller ? [scroller.scrollWidth, scroller.clientWidth] : null;
}"""


@pytest.fixture(scope="module")
def runs_url(tmp_path_factory):
    """A class's store with a few runs, for the server to show (set before the server starts)."""
    from mnistlab.store.runs import Store

    url = f"sqlite:///{tmp_path_factory.mktemp('runs') / 'runs.sqlite'}"
    store = Store(url)
    history = {"loss": [0.5, 0.3, 0.2, 0.15], "accuracy": [0.85, 0.91, 0.94, 0.95]}
    for number, (name, accuracy) in enumerate((("mlp_relu_adam_modified", 0.8712), ("mlp_relu_adam", 0.9805),
                                               ("cnn_keras_io", 0.9891), ("mlp_tanh_sgd_modified", 0.9433))):
        spec = PRESETS[name.removesuffix("_modified")].spec.replace(name=name)
        store.add(name=name, dataset="mnist", source="MNIST sample: 5,000 real digits", spec_json=spec.to_json(),
                  history=history, seconds=12.3 + number, epochs_done=4, status="stopped" if number == 3 else "done",
                  cache_key=f"browser-{number}", model_bytes=None, test_accuracy=accuracy, owner="ann")
    with server_store(url):
        yield url


@pytest.fixture(scope="module")
def server(runs_url, server):  # conftest's server, started once the store's URL is in its environment
    return server


def grid_fits(page) -> list[int]:
    page.locator(GRID).first.wait_for(timeout=SLOW)
    deadline = time.monotonic() + 10
    sizes = page.evaluate(FITS)
    while sizes is None and time.monotonic() < deadline:
        time.sleep(0.2)
        sizes = page.evaluate(FITS)
    return sizes


@pytest.mark.parametrize(("lang", "extra"), [("en", "Parameters"), ("zh", "参数")])
def test_the_experiments_table_fits_a_laptop_screen(browser, server, lang, extra):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        open_page(page, server, f"experiments?lang={lang}")
        no_exception(page)
        scroll_width, client_width = grid_fits(page)
        shoot(page, f"experiments_{lang}_1280")
        assert scroll_width <= client_width, (scroll_width, client_width)  # no column past the right edge
        pills = page.locator('[data-testid="stButtonGroup"]').filter(has_text=extra)
        assert pills.count() == 1, "the other columns are offered beside the table"
        page.set_viewport_size({"width": 390, "height": 844})
        time.sleep(1)
        shoot(page, f"experiments_{lang}_390")
    finally:
        context.close()
