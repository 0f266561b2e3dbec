"""The canvas sends its strokes; the core checks them (a browser may send anything) and draws them."""

from __future__ import annotations

import math
import shutil
import subprocess

import numpy as np
import pytest
from apptest import answer_headings as headings
from apptest import app_at
from helpers import canvas_sends

from mnistlab.data.preprocess import MNIST_STROKE_PX, drawing_problem, stroke_width, to_mnist
from mnistlab.data.strokes import MAX_POINTS, MAX_STROKES, StrokeError, parse_strokes, rasterise
from ui.draw_canvas import ASSETS

SIZE, PEN = 280, 20


def flat(points):
    return [v for point in points for v in point]


def test_nothing_drawn_is_no_strokes_and_no_image():
    assert parse_strokes(None, SIZE) == []
    assert parse_strokes([], SIZE) == []
    assert rasterise([], SIZE, PEN) is None


def test_strokes_become_point_arrays():
    strokes = parse_strokes([[10, 20, 30, 40, 50.5, 60], [5, 5]], SIZE)
    assert [s.tolist() for s in strokes] == [[[10, 20], [30, 40], [50.5, 60]], [[5, 5]]]


def test_a_line_is_drawn_with_the_pen_width_and_round_ends():
    image = rasterise(parse_strokes([flat([(60, 140), (220, 140)])], SIZE), SIZE, PEN)
    assert image.shape == (SIZE, SIZE) and image.dtype == np.uint8
    ink = image > 127
    rows = np.flatnonzero(ink.any(axis=1))
    assert rows[-1] - rows[0] + 1 == pytest.approx(PEN, abs=2)
    cols = np.flatnonzero(ink.any(axis=0))  # round caps reach half a pen past each end
    assert cols[0] == pytest.approx(60 - PEN / 2, abs=1) and cols[-1] == pytest.approx(220 + PEN / 2, abs=1)
    assert not ink[:100].any() and not ink[180:].any()


def test_a_click_is_a_dot_as_wide_as_the_pen():
    ink = rasterise(parse_strokes([[140, 140]], SIZE), SIZE, PEN) > 127
    area = np.count_nonzero(ink)
    assert area == pytest.approx(math.pi * (PEN / 2) ** 2, rel=0.15)


def test_a_drawn_seven_reaches_the_model_like_an_mnist_digit():
    seven = [flat([(60, 50), (220, 50), (120, 240)]), flat([(100, 145), (190, 145)])]
    image = rasterise(parse_strokes(seven, SIZE), SIZE, PEN)
    assert drawing_problem(image) is None
    image28 = to_mnist(image)
    assert image28.shape == (28, 28)
    assert stroke_width(image28 > 0.5) == pytest.approx(MNIST_STROKE_PX, rel=0.35)


@pytest.mark.parametrize(("value", "code"), [
    ({"strokes": []}, "strokes_not_list"),
    ("10,20", "strokes_not_list"),
    ([[]] * (MAX_STROKES + 1), "too_many_strokes"),
    ([[1, 2], "1,2"], "stroke_not_list"),
    ([[0, 0] * (MAX_POINTS + 1)], "too_many_points"),
    ([[0, 0] * (MAX_POINTS // 2), [0, 0] * (MAX_POINTS // 2 + 1)], "too_many_points"),
    ([[]], "stroke_odd"),
    ([[10, 20, 30]], "stroke_odd"),
    ([[10, "20"]], "stroke_not_numbers"),
    ([[10, None]], "stroke_not_numbers"),
    ([[True, False]], "stroke_not_numbers"),
    ([[10, float("nan")]], "stroke_outside"),
    ([[10, float("inf")]], "stroke_outside"),
    ([[-1, 10]], "stroke_outside"),
    ([[10, SIZE + 1]], "stroke_outside"),
    ([[10, 1e308]], "stroke_outside"),
])
def test_what_is_not_strokes_inside_the_canvas_is_refused_with_its_reason(value, code):
    with pytest.raises(StrokeError) as info:
        parse_strokes(value, SIZE)
    assert info.value.code == code
    assert str(info.value)  # a sentence for the student, not a traceback


def test_a_huge_message_is_refused_before_it_is_read():
    """A hostile client's million-point stroke costs a length check, not a million conversions."""
    huge = [[0, 0] * 1_000_000]
    with pytest.raises(StrokeError) as info:
        parse_strokes(huge, SIZE)
    assert info.value.code == "too_many_points"
    assert info.value.params["count"] == 1_000_000


def test_the_most_a_canvas_may_send_is_accepted():
    strokes = [[float(i % SIZE), 10.0] * (MAX_POINTS // MAX_STROKES) for i in range(MAX_STROKES)]
    parsed = parse_strokes(strokes, SIZE)
    assert len(parsed) == MAX_STROKES and sum(len(s) for s in parsed) == MAX_POINTS
    assert rasterise(parsed, SIZE, PEN).shape == (SIZE, SIZE)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_the_canvas_javascript_is_valid():
    """Parsed as the ES module it is (`export default`): given the file's path instead, node 20
    reports nothing wrong with an ES module that does not parse (`node --check broken.js` exits 0)."""
    source = (ASSETS / "canvas.js").read_text(encoding="utf-8")
    checked = subprocess.run(["node", "--input-type=module", "--check"], input=source, capture_output=True,
                             text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr


# The page, with what a browser's canvas would send put into its state (AppTest cannot draw).

def draw_page(small_model, strokes):
    at = app_at("app_pages/draw.py", small_model, canvas_sends(*strokes))
    at.run()
    assert not at.exception, at.exception
    return at


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def test_the_strokes_a_canvas_sends_are_what_the_model_reads(small_model):
    at = draw_page(small_model, [flat([(140, 40), (140, 240)])])
    assert not at.error, [e.value for e in at.error]
    assert "Strokes on the canvas: 1" in captions(at)
    (heading,) = headings(at)
    assert heading.startswith("## It's a ")


def test_a_hostile_canvas_gets_a_clear_line_and_counts_as_empty(small_model):
    at = draw_page(small_model, [[0, 0] * 1_000_000])
    assert [e.value for e in at.error] == [f"A drawing has at most {MAX_POINTS:,} points, not 1,000,000."]
    assert "Strokes on the canvas: 0" in captions(at)
    assert not headings(at)
