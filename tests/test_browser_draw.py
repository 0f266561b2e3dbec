"""Draw in a real headless Chromium: every stroke registers, wherever it starts, by mouse or finger."""

from __future__ import annotations

import pytest
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, SLOW, no_exception, open_page, wait_idle

pytestmark = pytest.mark.browser

EDGE = 3  # px inside the drawing area's edge where a corner stroke starts
STEPS = 6  # a quick stroke: few pointer moves, no hover pause before it


@pytest.fixture(scope="module")
def touch_browser(server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def draw_page(touch_browser, server):  # noqa: F811
    context = touch_browser.new_context(viewport={"width": 1280, "height": 1000}, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    open_page(page, server, "draw")
    yield page
    context.close()


def canvas_box(page) -> dict:
    canvas = page.locator('[class*="st-key-draw_canvas"] canvas').first
    canvas.wait_for(timeout=SLOW)
    return canvas.bounding_box()


def starts(box: dict) -> dict[str, tuple[float, float, float, float]]:
    """Start point and direction of a stroke from each corner and from the top-right band
    where the canvas's toolbar used to float."""
    x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
    return {
        "top left": (x0 + EDGE, y0 + EDGE, 1, 1),
        "top right": (x0 + w - EDGE, y0 + EDGE, -1, 1),
        "bottom left": (x0 + EDGE, y0 + h - EDGE, 1, -1),
        "bottom right": (x0 + w - EDGE, y0 + h - EDGE, -1, -1),
        "top-right band": (x0 + w - 70, y0 + 12, -1, 1),
        "top-right band, far right": (x0 + w - 20, y0 + 25, -1, 1),
    }


def mouse_stroke(page, x: float, y: float, dx: float, dy: float) -> None:
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, STEPS + 1):
        page.mouse.move(x + dx * 12 * step, y + dy * 12 * step)
    page.mouse.up()


def touch_stroke(cdp, x: float, y: float, dx: float, dy: float) -> None:
    def touch(kind: str, points: list[dict]) -> None:
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", [{"x": x, "y": y}])
    for step in range(1, STEPS + 1):
        touch("touchMove", [{"x": x + dx * 12 * step, "y": y + dy * 12 * step}])
    touch("touchEnd", [])


def wait_strokes(page, n: int) -> None:
    page.get_by_text(f"Strokes on the canvas: {n}", exact=True).wait_for(timeout=SLOW)


@pytest.mark.parametrize("pointer", ["mouse", "touch"])
def test_a_stroke_starting_anywhere_on_the_drawing_area_registers(draw_page, pointer):
    page = draw_page
    box = canvas_box(page)
    wait_strokes(page, 0)
    cdp = page.context.new_cdp_session(page) if pointer == "touch" else None
    for n, (where, (x, y, dx, dy)) in enumerate(starts(box).items(), start=1):
        if cdp is None:
            mouse_stroke(page, x, y, dx, dy)
        else:
            touch_stroke(cdp, x, y, dx, dy)
        try:
            wait_strokes(page, n)
        except Exception as exc:
            raise AssertionError(f"a {pointer} stroke starting at the {where} was lost") from exc
    no_exception(page)


def test_undo_redo_and_clear_sit_outside_the_drawing_area_and_work(draw_page):
    page = draw_page
    box = canvas_box(page)
    wait_strokes(page, 0)
    x, y = box["x"] + box["width"] / 2, box["y"] + 40
    for n in (1, 2):
        mouse_stroke(page, x + 30 * n, y, 0, 3)
        wait_strokes(page, n)
    undo = page.get_by_role("button", name="Undo", exact=True)
    redo = page.get_by_role("button", name="Redo", exact=True)
    clear = page.get_by_role("button", name="Clear", exact=True)
    for button in (undo, redo, clear):
        b = button.bounding_box()
        assert b["y"] >= box["y"] + box["height"], "the button overlaps the drawing area"
    undo.click()
    wait_strokes(page, 1)
    redo.click()
    wait_strokes(page, 2)
    undo.click()
    wait_strokes(page, 1)
    clear.click()
    wait_strokes(page, 0)
    page.get_by_text("Draw a digit in the box").first.wait_for(timeout=SLOW)
    no_exception(page)


def test_the_pen_stops_at_the_servers_limit_on_strokes(draw_page):
    """Beyond MAX_STROKES the canvas draws no more strokes, rather than send what the server refuses."""

    from mnistlab.data.strokes import MAX_STROKES

    page = draw_page
    box = canvas_box(page)
    wait_strokes(page, 0)
    for n in range(MAX_STROKES + 3):  # dots, in a grid
        page.mouse.click(box["x"] + 20 + 30 * (n % 8), box["y"] + 20 + 30 * (n // 8))
    wait_strokes(page, MAX_STROKES)
    wait_idle(page)
    assert page.get_by_text(f"Strokes on the canvas: {MAX_STROKES}", exact=True).count() == 1
    assert page.locator('[data-testid="stAlert"]', has_text="at most").count() == 0
    no_exception(page)
