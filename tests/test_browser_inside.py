"""End to end in headless Chromium: the Inside page's map answers a click, Evaluate leads to Inside,
and the page reads at a laptop's and a phone's width (screenshots in artifacts/screenshots/)."""

from __future__ import annotations

import pytest
from browser_helpers import SLOW, no_exception, shoot, wait_idle

pytestmark = pytest.mark.browser


@pytest.fixture
def laptop(browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


@pytest.fixture(scope="module")
def model_file(tiny, tmp_path_factory):
    """A small CNN trained for 1 epoch on the tiny sample, as a .keras file to upload."""
    from mnistlab.engine.train import train
    from mnistlab.model.io import model_to_bytes
    from mnistlab.model.spec import ModelSpec, conv2d, dense, flatten, maxpool2d

    spec = ModelSpec((conv2d(6, 3), maxpool2d(2), flatten(), dense(32)), epochs=1, name="browser_cnn")
    path = tmp_path_factory.mktemp("model") / "small_cnn.keras"
    path.write_bytes(model_to_bytes(train(spec, tiny, use_cache=False).model))
    return path


def upload_model(page, server, model_file):  # noqa: F811
    """The session gets its model the way a student brings one: uploaded on Evaluate."""
    page.goto(f"{server}/evaluate")  # not test_browser's open_page: on a phone the sidebar is folded away
    page.wait_for_selector('[data-testid="stSidebar"]', state="attached")
    page.wait_for_load_state("networkidle")
    wait_idle(page)
    page.get_by_text("Use a model trained elsewhere").first.click()
    page.locator('.st-key-evaluate_upload input[type="file"]').set_input_files(str(model_file))
    page.get_by_text("Using small_cnn.keras").first.wait_for(timeout=SLOW)
    wait_idle(page)


def open_inside(page, server, model_file):  # noqa: F811
    upload_model(page, server, model_file)
    page.get_by_role("link", name="Inside").first.click()
    wait_idle(page)
    page.get_by_text("It reads").first.wait_for(timeout=SLOW)
    no_exception(page)


def test_clicking_a_point_of_the_map_shows_its_digit(laptop, server, model_file):  # noqa: F811
    page = laptop
    open_inside(page, server, model_file)
    shoot(page, "inside_layers_1280")
    page.get_by_role("tab", name="Why this answer").click()
    shoot(page, "inside_why_1280")
    page.get_by_role("tab", name="Weights").click()
    page.get_by_text("The first Conv2D layer's 6 filters").first.wait_for()
    shoot(page, "inside_weights_1280")
    page.get_by_role("tab", name="How it sorts the digits").click()
    chart = page.locator(".st-key-inside_map_model .js-plotly-plot")
    chart.wait_for()
    shoot(page, "inside_map_1280")
    # the points of the first class's trace; its customdata holds the test images' numbers
    index = int(chart.evaluate("node => node.data[0].customdata[3]"))
    chart.locator(".scatterlayer .trace").first.locator(".point").nth(3).click(force=True)
    wait_idle(page)
    no_exception(page)
    page.get_by_text(f"test image {index} · from the map").first.wait_for()
    page.get_by_text(f"Ringed on the maps: test image {index}").first.wait_for()
    shoot(page, "inside_map_clicked_1280")


def test_an_evaluate_mistake_opens_on_inside(browser, server, model_file):  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        upload_model(page, server, model_file)
        button = page.get_by_role("button", name="Look inside", exact=True)
        button.wait_for(timeout=SLOW)
        button.click()
        wait_idle(page)
        page.get_by_text("A mistake").first.wait_for(timeout=SLOW)
        page.get_by_text("mistake #1 · test image").first.wait_for()
        no_exception(page)
        assert "/inside" in page.url
        shoot(page, "inside_mistake_390")
        page.get_by_role("tab", name="Why this answer").click()
        shoot(page, "inside_why_390")
        page.get_by_role("tab", name="How it sorts the digits").click()
        page.locator(".st-key-inside_map_model .js-plotly-plot").wait_for()
        shoot(page, "inside_map_390")
    finally:
        context.close()
