"""Driving the app in headless Chromium with Playwright: the browser, waiting for Streamlit to be
idle, screenshots. The `server`, `browser` and `page` fixtures are in conftest.py."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from apptest import ROOT

SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("MNISTLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
SLOW = 120_000  # ms: the first training imports TensorFlow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Streamlit marks its root with the script's state ("initial", "rerunRequested", "running",
# "notRunning"); with no status widget either, nothing is left to draw.
IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]');
}"""


def wait_idle(page, timeout=SLOW):
    """Until no script run is going on. Call it after waiting for what an action shows, so
    that the run the action caused has surely started."""
    page.wait_for_function(IDLE, timeout=timeout)


def new_page(browser, width):
    """A page in a context of its own, `width` px wide: a phone (touch, mobile) below 500 px, a laptop above."""
    phone = width < 500
    context = browser.new_context(viewport={"width": width, "height": 844 if phone else 900}, is_mobile=phone,
                                  has_touch=phone)
    page = context.new_page()
    page.set_default_timeout(60_000)
    return context, page


def open_page(page, server, path=""):
    page.goto(f"{server}/{path}")
    page.wait_for_selector('[data-testid="stSidebar"]')
    wait_idle(page)


def next_frames(page):
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def shoot(page, name):
    """A screenshot once the widgets' placeholders, fonts and images are all in place."""
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=30_000)
    page.wait_for_function("() => document.fonts.status === 'loaded' && "
                           "[...document.images].every(image => image.complete)", timeout=30_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    # Streamlit scrolls inside its main block, so a full-page shot is only the window: make
    # the window as tall as the page for the shot, then put it back.
    size = page.viewport_size
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight || 0")
    tall = min(max(height, size["height"]), 8000)
    page.set_viewport_size({"width": size["width"], "height": tall})
    page.wait_for_function(f"() => window.innerHeight === {tall}")
    next_frames(page)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(size)


def set_number(page, label, value, shows):
    """Type a number into a box, and wait until its run is over and the page shows `shows`."""
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    page.get_by_text(shows).first.wait_for()
    wait_idle(page)


def no_exception(page):
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()


@contextmanager
def server_store(url: str) -> Iterator[str]:
    """MNISTLAB_RUNS_URL set to `url` while a module's server starts and runs (the store its pages show),
    then put back as it was."""
    previous = os.environ.get("MNISTLAB_RUNS_URL")
    os.environ["MNISTLAB_RUNS_URL"] = url
    try:
        yield url
    finally:
        if previous is None:
            os.environ.pop("MNISTLAB_RUNS_URL", None)
        else:
            os.environ["MNISTLAB_RUNS_URL"] = previous
