"""A shared `?spec=` link in a real browser: the widgets show the link's exact numbers, or a refusal while
the app keeps working. The server, browser and helpers are test_browser.py's."""

from __future__ import annotations

import json
import urllib.parse

import pytest
from browser_helpers import SHOTS, no_exception, open_page, shoot

from mnistlab import PRESETS, ModelSpec
from mnistlab.model.budget import megabytes, training_memory

pytestmark = pytest.mark.browser


def link(**changes) -> str:
    data = {**PRESETS["mlp_tanh_sgd"].spec.to_dict(), **changes}
    return "train?spec=" + urllib.parse.quote(json.dumps(data, separators=(",", ":")))


def test_a_link_shows_its_exact_numbers_and_the_memory_estimate(page, server):  # noqa: F811
    open_page(page, server, link(learning_rate=0.00123456789, momentum=0.87654321, decay=1.5e-07, epochs=200,
                                 batch_size=4096, validation_split=0.15))
    page.locator('[data-testid="stSidebar"]').get_by_text("Training settings").click()
    assert page.get_by_label("Learning rate", exact=True).input_value() == "0.00123456789"
    assert page.get_by_label("Learning-rate decay (old Keras `decay`)", exact=True).input_value() == "1.5e-7"
    assert page.get_by_label("Momentum (SGD)", exact=True).input_value() == "0.87654321"
    assert page.get_by_label("Epochs", exact=True).input_value() == "200"
    assert page.locator('[data-testid="stSidebar"] input[type="range"]').input_value() == "0.15"
    assert page.get_by_label("Batch size", exact=True).input_value() == "4096"
    no_exception(page)
    shoot(page, "link_exact_numbers")
    memory = page.locator('[data-testid="stSidebar"] [data-testid="stMetric"]', has_text="Training memory")
    memory.scroll_into_view_if_needed()
    spec = ModelSpec.from_json(urllib.parse.unquote(page.url.split("spec=", 1)[1]))
    assert megabytes(training_memory(spec).total) in memory.inner_text()  # e.g. "130 MB", next to the parameters
    page.screenshot(path=str(SHOTS / "link_exact_numbers_sidebar.png"))


def test_a_link_over_the_limits_is_refused_and_the_page_works(page, server):  # noqa: F811
    open_page(page, server, link(epochs=500))
    refusal = page.get_by_text("Epochs must be between 1 and 200, got 500.")
    refusal.wait_for()
    assert refusal.is_visible()  # at the top of the builder, not under the fold
    page.get_by_role("button", name="Train", exact=True).wait_for()  # the default model, ready to train
    no_exception(page)
    shoot(page, "link_refused")
    page.locator('[data-testid="stSidebar"]').screenshot(path=str(SHOTS / "link_refused_sidebar.png"))


def test_six_kilobytes_of_brackets_in_the_link_break_no_page(page, server):  # noqa: F811
    open_page(page, server, "?spec=" + "%5B" * 6000)
    page.get_by_text("nested too deeply").wait_for()
    for name in ("Dataset", "Train", "Experiments"):
        page.locator('[data-testid="stSidebarNav"]').get_by_text(name, exact=True).click()
        page.get_by_role("heading", name=name).first.wait_for()
        no_exception(page)
    shoot(page, "link_brackets")
