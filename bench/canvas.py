"""The Draw page in a real browser: the default model's accuracy on digits drawn with a mouse,
and how fast the answer follows the pen.

Starts a fresh `streamlit run app.py` (offline, an empty temporary cache; the default model is the
one that ships with the app, mnistlab/model/default/), opens Draw in headless Chromium and
draws digits 0–9 with the mouse: stroke paths written here by hand (two writing styles per
digit), each at three sizes and places on the canvas with a small slant — never a test set.
Between digits the canvas is cleared with its own Clear button.

Printed:
  accuracy     how many of the drawn digits the default model reads as meant
  pen-up → answer   p50 / p95 ms from the mouse-up of a digit's first stroke until its
               answer ("It's a …") appears on screen, timed inside the page
  pen-up → canvas echo   the same for the stroke counter under the canvas: the bare
               browser → server → browser round trip of the same rerun, the reference
  ratio        answer / echo at the median: what preprocessing and prediction add

Goal: pen-up → answer median ≤ 150 ms.

    python bench/canvas.py [--places 4] [--timeout 900] [--cache DIR]
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import REPO_ROOT, median, percentile  # noqa: E402

CHROMIUM = os.environ.get("MNISTLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]

# Strokes in a unit box (x right, y down), as a person writes them; two styles per digit.
DIGITS: dict[int, list[list[list[tuple[float, float]]]]] = {
    0: [[[(0.5, 0.0), (0.2, 0.15), (0.08, 0.5), (0.2, 0.88), (0.5, 1.0), (0.8, 0.86), (0.92, 0.5), (0.8, 0.12),
          (0.5, 0.0)]],
        [[(0.55, 0.02), (0.25, 0.2), (0.15, 0.55), (0.3, 0.92), (0.6, 0.97), (0.85, 0.65), (0.82, 0.25),
          (0.6, 0.05), (0.45, 0.08)]]],
    1: [[[(0.5, 0.0), (0.5, 1.0)]],
        [[(0.3, 0.2), (0.55, 0.0), (0.55, 1.0)]]],
    2: [[[(0.12, 0.25), (0.35, 0.03), (0.7, 0.05), (0.85, 0.3), (0.6, 0.6), (0.1, 1.0), (0.92, 1.0)]],
        [[(0.15, 0.2), (0.5, 0.0), (0.85, 0.2), (0.75, 0.5), (0.15, 0.95), (0.5, 0.9), (0.9, 0.95)]]],
    3: [[[(0.15, 0.1), (0.5, 0.0), (0.82, 0.15), (0.75, 0.4), (0.4, 0.5), (0.8, 0.6), (0.88, 0.85), (0.5, 1.0),
          (0.12, 0.9)]],
        [[(0.2, 0.05), (0.8, 0.05), (0.45, 0.42), (0.8, 0.6), (0.82, 0.85), (0.5, 1.0), (0.15, 0.88)]]],
    4: [[[(0.65, 1.0), (0.65, 0.0), (0.1, 0.68), (0.92, 0.68)]],
        [[(0.2, 0.0), (0.15, 0.55), (0.85, 0.55)], [(0.7, 0.1), (0.7, 1.0)]]],
    5: [[[(0.85, 0.02), (0.25, 0.02), (0.2, 0.45), (0.55, 0.38), (0.85, 0.55), (0.85, 0.85), (0.5, 1.0),
          (0.12, 0.9)]],
        [[(0.25, 0.02), (0.2, 0.45), (0.6, 0.4), (0.85, 0.62), (0.75, 0.92), (0.4, 1.0), (0.15, 0.88)],
         [(0.25, 0.02), (0.85, 0.02)]]],
    6: [[[(0.75, 0.0), (0.35, 0.25), (0.15, 0.65), (0.35, 0.98), (0.7, 0.95), (0.8, 0.7), (0.55, 0.52),
          (0.2, 0.65)]],
        [[(0.65, 0.0), (0.3, 0.35), (0.2, 0.75), (0.45, 1.0), (0.75, 0.85), (0.7, 0.58), (0.4, 0.55),
          (0.22, 0.72)]]],
    7: [[[(0.1, 0.05), (0.9, 0.05), (0.4, 1.0)]],
        [[(0.1, 0.08), (0.88, 0.05), (0.45, 1.0)], [(0.35, 0.5), (0.8, 0.5)]]],
    8: [[[(0.75, 0.12), (0.5, 0.0), (0.22, 0.15), (0.3, 0.38), (0.75, 0.62), (0.8, 0.88), (0.5, 1.0), (0.2, 0.88),
          (0.25, 0.62), (0.7, 0.38), (0.75, 0.12)]],
        [[(0.5, 0.48), (0.2, 0.3), (0.3, 0.05), (0.7, 0.05), (0.8, 0.3), (0.5, 0.48), (0.18, 0.7), (0.3, 0.97),
          (0.7, 0.97), (0.82, 0.7), (0.5, 0.48)]]],
    9: [[[(0.8, 0.3), (0.55, 0.45), (0.25, 0.35), (0.25, 0.1), (0.55, 0.0), (0.8, 0.15), (0.8, 0.5), (0.7, 1.0)]],
        [[(0.78, 0.18), (0.5, 0.02), (0.22, 0.18), (0.3, 0.45), (0.75, 0.35)], [(0.78, 0.1), (0.75, 1.0)]]],
}
# (size as a fraction of the canvas, centre x, centre y, slant in degrees)
PLACES = [(0.7, 0.5, 0.5, 0.0), (0.45, 0.35, 0.38, 8.0), (0.9, 0.52, 0.5, -6.0), (0.3, 0.7, 0.7, 4.0)]

TIMERS = """() => {
  window.__bench = {up: null, answer: null, echo: null};
  const heading = () => [...document.querySelectorAll('h2')].find(h => h.textContent.startsWith("It's a"));
  const echo = () => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
                       .find(c => c.textContent.startsWith('Strokes on the canvas:'))?.textContent;
  let lastEcho = echo(), lastHeading = heading()?.textContent ?? null;
  document.addEventListener('pointerup', () => { window.__bench.up = performance.now(); }, true);
  new MutationObserver(() => {
    const now = performance.now(), h = heading()?.textContent ?? null, e = echo();
    if (window.__bench.up !== null && window.__bench.answer === null && h !== null && h !== lastHeading)
      window.__bench.answer = now;
    if (window.__bench.up !== null && window.__bench.echo === null && e !== lastEcho) window.__bench.echo = now;
    lastHeading = h; lastEcho = e;
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(cache: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "MNISTLAB_OFFLINE": "1", "MNISTLAB_CACHE_DIR": cache, "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("streamlit did not start")


def placed(strokes, box: dict, size: float, cx: float, cy: float, slant: float) -> list[list[tuple[float, float]]]:
    """Unit-box strokes in page pixels: scaled, turned by `slant`, centred at (cx, cy) of the canvas."""
    w = box["width"]
    cos, sin = math.cos(math.radians(slant)), math.sin(math.radians(slant))
    out = []
    for stroke in strokes:
        points = []
        for x, y in stroke:
            dx, dy = (x - 0.5) * size * w, (y - 0.5) * size * w
            points.append((box["x"] + cx * w + dx * cos - dy * sin, box["y"] + cy * w + dx * sin + dy * cos))
        out.append(points)
    return out


def draw_stroke(page, points: list[tuple[float, float]], step_px: float = 8.0) -> None:
    page.mouse.move(*points[0])
    page.mouse.down()
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        n = max(1, int(math.hypot(x1 - x0, y1 - y0) / step_px))
        for k in range(1, n + 1):
            page.mouse.move(x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n)
    page.mouse.up()


def wait_idle(page) -> None:
    page.wait_for_timeout(100)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--places", type=int, default=len(PLACES), help="sizes/places per drawing style")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the default model")
    parser.add_argument("--cache", help="the server's training cache folder; default: a fresh one")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as fresh:
        process, url = start_server(args.cache or fresh)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                page.set_default_timeout(60_000)
                t0 = time.monotonic()
                page.goto(url + "/draw")
                canvas = page.locator('[class*="st-key-draw_canvas"] canvas').first
                canvas.wait_for()
                # the default model: trained by the warm-up; the page says "still training" until then
                page.get_by_text("Draw a digit in the box").first.wait_for(timeout=args.timeout * 1000)
                page.wait_for_function("() => ![...document.querySelectorAll('[data-testid=\"stAlert\"]')]"
                                       ".some(a => a.textContent.includes('still training'))",
                                       timeout=args.timeout * 1000)
                wait_idle(page)
                print(f"default model ready {time.monotonic() - t0:.0f} s after the first page view")
                box = canvas.bounding_box()
                clear = page.get_by_role("button", name="Clear", exact=True)
                page.evaluate(TIMERS)
                results, answer_ms, echo_ms = [], [], []
                for digit, styles in DIGITS.items():
                    for style in styles:
                        for size, cx, cy, slant in PLACES[: args.places]:
                            strokes = placed(style, box, size, cx, cy, slant)
                            page.evaluate("() => { window.__bench.up = null; window.__bench.answer = null; "
                                          "window.__bench.echo = null; }")
                            draw_stroke(page, strokes[0])
                            page.wait_for_function("() => window.__bench.answer !== null && "
                                                   "window.__bench.echo !== null")
                            timers = page.evaluate("() => window.__bench")
                            answer_ms.append(timers["answer"] - timers["up"])
                            echo_ms.append(timers["echo"] - timers["up"])
                            for n, stroke in enumerate(strokes[1:], start=2):
                                draw_stroke(page, stroke)
                                page.get_by_text(f"Strokes on the canvas: {n}", exact=True).wait_for()
                            wait_idle(page)
                            heading = page.locator("h2", has_text="It's a").first.inner_text()
                            read = int(heading.split("It's a ")[1].split()[0])
                            results.append((digit, read))
                            clear.click()
                            page.get_by_text("Draw a digit in the box").first.wait_for()
                            wait_idle(page)
                browser.close()
        finally:
            process.terminate()
            process.wait(10)

    right = sum(meant == read for meant, read in results)
    print(f"digits drawn: {len(results)} (10 digits × 2 styles × {args.places} sizes/places)")
    print(f"accuracy of the default model: {right}/{len(results)} = {right / len(results):.2f}")
    wrong = [f"{meant}→{read}" for meant, read in results if meant != read]
    print(f"read wrongly (meant→read): {', '.join(wrong) or 'none'}")
    print(f"pen-up → answer:      p50 {median(answer_ms):6.0f} ms   p95 {percentile(answer_ms, 95):6.0f} ms")
    print(f"pen-up → canvas echo: p50 {median(echo_ms):6.0f} ms   p95 {percentile(echo_ms, 95):6.0f} ms")
    print(f"ratio answer/echo at the median: {median(answer_ms) / median(echo_ms):.2f}   "
          f"(goal: answer p50 ≤ 150 ms: {'met' if median(answer_ms) <= 150 else 'not met'})")


if __name__ == "__main__":
    main()
