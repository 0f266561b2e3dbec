"""Turn a drawing into a 28×28 image made the way MNIST digits were made.

A model trained on MNIST has only ever seen digits that were cropped to their ink,
scaled so that the longer side is 20 px (keeping the aspect ratio, with anti-aliased
gray levels) and placed in a 28×28 field so that their centre of mass is at the
centre. A raw canvas drawing is nothing like that (large, off centre, thin or thick
strokes), so it must go through the same steps or the model's answers mean little.

MNIST translated by whole pixels: the centre of mass of every MNIST digit lies within
half a pixel of (14, 14) in array indices, so we shift by whole pixels as well,
which also keeps the gray levels unblurred.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from mnistlab.data.pixels import gray_levels_to_unit
from mnistlab.errors import DrawingError
from mnistlab.i18n import N_, _

SIZE = 28
BOX = 20
CENTRE = 14.0
# Ink below this (on a 0..1 scale) is anti-aliasing fringe or sensor/JPEG noise:
# it must not widen the bounding box or count as a stroke.
NOISE = 0.1
# Fewer ink pixels than this is a stray click, not a digit.
MIN_INK_PIXELS = 5
# MNIST's typical stroke width in the 20 px box, as `stroke_width` measures it: the median over
# the 1,000 test digits of the offline sample is 2.68 px (quartiles 2.36 and 3.07). Drawings
# are brought to it, whatever the pen and the size they were drawn at.
MNIST_STROKE_PX = 2.7
# The solid strokes are drawn this wide (in 20 px-box pixels) before the anti-aliased shrink,
# which widens them by about 0.3 px as `stroke_width` measures: so they land on MNIST's.
PEN_BEFORE_RESIZE_PX = 2.4
# Pens thinner or thicker than this fraction of MNIST's, after scaling, are left as drawn.
STROKE_TOLERANCE = 0.15
# Thinning never takes more than this fraction of the typical stroke width.
MAX_THINNING = 0.35
# A shape whose strokes are wider than this fraction of its longer side is a blob, not a digit
# (MNIST digits: 0.13 in the median; 1 of the 1,000 sample test digits above 0.35).
BLOB_WIDTH_RATIO = 0.4
# A blob smaller than this fraction of the drawing area is a dot; a larger one a scribble.
DOT_EXTENT = 0.2
# Strokes longer in all than this many times the drawing's longer side are a scribble: the
# longest path of ink in MNIST (a bold 8) is 3.2 times its size, the median 1.9.
SCRIBBLE_LENGTH_RATIO = 3.5
# ITU-R 601 luma weights, the ones PIL's "L" conversion uses.
_LUMA = np.array([0.299, 0.587, 0.114])


def _border(a: np.ndarray) -> np.ndarray:
    """The outermost ring of a 2-D array: what a drawing's background looks like."""
    if min(a.shape) <= 2:
        return a.ravel()
    return np.concatenate([a[0], a[-1], a[1:-1, 0], a[1:-1, -1]])


def _unit_scale(a: np.ndarray) -> np.ndarray:
    """Bring any numeric pixel array to float64 in [0, 1].

    uint8 and other unsigned integers use their full range; floats (and signed
    integers) already in [0, 1] are kept, anything larger is taken to be 0..255.
    """
    if a.dtype == np.bool_:
        return a.astype(np.float64)
    if a.dtype == np.uint8:
        return gray_levels_to_unit(a)
    if np.issubdtype(a.dtype, np.unsignedinteger):  # 16-bit images use their own full range
        return a.astype(np.float64) / np.iinfo(a.dtype).max
    f = np.nan_to_num(a.astype(np.float64), nan=0.0, posinf=1e300, neginf=0.0)
    if f.max() > 1.0:
        f = gray_levels_to_unit(f)
    return np.clip(f, 0.0, 1.0)


def ink_map(image: np.ndarray) -> np.ndarray:
    """Return where the ink is, as float64 (H, W) in [0, 1] (1 = full ink).

    Accepts a 2-D gray array or (H, W, C) with C = 1 (gray), 2 (gray + alpha),
    3 (RGB) or 4 (RGBA), uint8 or float. Works for white-on-black as well as
    black-on-white: the background is read from the border (its median), because a
    drawing rarely touches every edge. Partly transparent pixels count as they look
    on screen, blended into that background.

    Raises DrawingError (a ValueError, said in the reader's language) when the array is not an
    image at all (wrong number of dimensions or channels, no pixels, not numeric): that is a
    programming error or a broken upload, not an empty drawing.
    """
    a = np.asarray(image)
    if a.dtype.kind not in "buif":
        raise DrawingError("drawing_not_numeric", N_("A drawing must be a numeric array, not {dtype}."),
                           dtype=str(a.dtype))
    if a.ndim == 3 and a.shape[2] in (1, 2, 3, 4):
        channels = a.shape[2]
    elif a.ndim == 2:
        a, channels = a[:, :, None], 1
    else:
        raise DrawingError("drawing_not_image", N_("A drawing must be a gray (H, W) or colour (H, W, 1-4) image; "
                                                   "got an array of shape {shape}."), shape=str(a.shape))
    if a.size == 0:
        raise DrawingError("drawing_empty_array", N_("A drawing must have pixels; got shape {shape}."),
                           shape=str(a.shape))

    a = _unit_scale(a)
    has_alpha = channels in (2, 4)
    colour = a[:, :, :-1] if has_alpha else a
    gray = colour[:, :, 0] if colour.shape[2] == 1 else colour @ _LUMA
    alpha = a[:, :, -1] if has_alpha else np.ones_like(gray)
    opaque_border = _border(alpha) >= 0.5
    border_gray = _border(gray)[opaque_border] if opaque_border.any() else _border(gray)
    background = float(np.median(border_gray))
    # Partly transparent pixels blend into the background, as they look on screen.
    seen = alpha * gray + (1.0 - alpha) * background
    if background < 0.5:  # light ink on a dark background, like MNIST itself
        ink = (seen - background) / (1.0 - background)
    else:
        ink = (background - seen) / background
    return np.clip(ink, 0.0, 1.0)


def _resize(patch: np.ndarray, height: int, width: int) -> np.ndarray:
    """Anti-aliased resize of float ink.

    Shrinking averages the area each output pixel covers (BOX), which is what
    anti-aliasing a large drawing into 20 px means and undoes an enlargement
    exactly; enlarging a tiny drawing uses Lanczos so it is smooth, not blocky.
    """
    shrinking = height <= patch.shape[0] and width <= patch.shape[1]
    method = Image.Resampling.BOX if shrinking else Image.Resampling.LANCZOS
    img = Image.fromarray(np.ascontiguousarray(patch, dtype=np.float32))
    out = np.asarray(img.resize((width, height), method))
    return np.clip(out, 0.0, 1.0)


def stroke_width(mask: np.ndarray) -> float:
    """Typical width in pixels of the strokes of a boolean ink mask (0 for no ink).

    For a band w pixels wide the distance of its pixels to the background runs 1, 2, …,
    w/2, …, 2, 1, whose mean is w/4 + 1/2; so w = 4 (mean − 1/2). One number for any
    shape, no skeleton needed, and the same measure for a 28×28 digit and a canvas.
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return 0.0
    distance = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    return float(max(4.0 * (distance[mask].mean() - 0.5), 1.0))


def _normalise_strokes(mask: np.ndarray) -> np.ndarray | None:
    """Thicken or thin the strokes of a cropped boolean mask so that, once its longer side is
    scaled to the 20 px box, they are about MNIST_STROKE_PX wide; None when they already are."""
    width = stroke_width(mask)
    longer = max(mask.shape)
    # Growing by r on each side also grows the box by 2r: solve w + 2r = T (M + 2r) / BOX.
    target_ratio = PEN_BEFORE_RESIZE_PX / BOX
    radius = (target_ratio * longer - width) / (2.0 * (1.0 - target_ratio))
    if abs(2 * radius) <= STROKE_TOLERANCE * width:
        return None
    if radius > 0:
        pad = int(np.ceil(radius)) + 1
        grown = ndimage.distance_transform_edt(~np.pad(mask, pad)) <= radius
        return _crop(grown)
    radius = min(-radius, MAX_THINNING * width)
    distance = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    # The ridge (each stroke's middle line) stays, so a stroke thinner than the rest is kept, only thin.
    ridge = mask & (distance >= ndimage.maximum_filter(distance, size=3))
    return _crop((distance > radius) | ridge)


def _crop(mask: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def drawing_problem(image: np.ndarray | None) -> str | None:
    """Why a drawing is not a digit the model could read — a dot, a filled box, a scribble —
    as a sentence for the student in their language; None when it looks like a digit (or is empty)."""
    if image is None:
        return None
    strong = ink_map(image) > 0.5
    if np.count_nonzero(strong) < MIN_INK_PIXELS:
        return None
    patch = _crop(strong)
    longer, width = max(patch.shape), stroke_width(patch)
    if width > BLOB_WIDTH_RATIO * longer:
        if longer < DOT_EXTENT * max(strong.shape):
            return _("That is a dot, not a digit yet: draw the digit large, filling most of the box.")
        return _("That is a blob, not a digit: draw the digit with lines, like on paper.")
    if np.count_nonzero(patch) / width > SCRIBBLE_LENGTH_RATIO * longer:  # area / width = length
        return _("That scribble fills the box: clear it and draw one digit with lines, like on paper.")
    return None


def to_mnist(image: np.ndarray | None) -> np.ndarray | None:
    """Return the drawing as a (28, 28) float32 image in [0, 1], MNIST style.

    Steps: ink map → crop to the ink's bounding box → thicken or thin the strokes so
    they will be MNIST_STROKE_PX wide at that scale (a pen's width means nothing once a
    drawing is scaled; MNIST's writers all used about the same pen) → scale so the longer side is
    20 px, keeping the aspect ratio, anti-aliased → place in 28×28 with the centre of
    mass at (14, 14) (whole-pixel shift, as MNIST did; kept inside the frame for
    lopsided shapes) → scale so the brightest pixel is 1.0.

    Returns None for an empty drawing (None, as the canvas gives before the first
    stroke, or fewer than a handful of ink pixels). Raises DrawingError for an array
    that is not an image (see `ink_map`).
    """
    if image is None:
        return None
    ink = ink_map(image)
    strong = ink > NOISE
    if np.count_nonzero(strong) < MIN_INK_PIXELS:
        return None
    rows = np.flatnonzero(strong.any(axis=1))
    cols = np.flatnonzero(strong.any(axis=0))
    patch = np.where(strong, ink, 0.0)[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    solid = patch > 0.5
    if np.count_nonzero(solid) >= MIN_INK_PIXELS:
        normalised = _normalise_strokes(_crop(solid))
        if normalised is not None:  # the pen was off MNIST's: the new strokes, solid ink
            patch = normalised.astype(np.float64)

    h, w = patch.shape
    scale = BOX / max(h, w)
    height = min(BOX, max(1, round(h * scale)))
    width = min(BOX, max(1, round(w * scale)))
    small = _resize(patch, height, width)
    if small.max() <= 0.0:
        return None

    cy, cx = ndimage.center_of_mass(small)
    top = int(np.clip(round(CENTRE - cy), 0, SIZE - height))
    left = int(np.clip(round(CENTRE - cx), 0, SIZE - width))
    out = np.zeros((SIZE, SIZE), dtype=np.float32)
    out[top : top + height, left : left + width] = small
    out /= out.max()
    return np.clip(out, 0.0, 1.0, out=out)


def plain_resize(image: np.ndarray | None) -> np.ndarray | None:
    """What a model gets without MNIST's preprocessing: the whole drawing squeezed to 28×28
    (anti-aliased), ink as drawn, wherever it is. None for an empty drawing, as `to_mnist`."""
    if image is None:
        return None
    ink = ink_map(image)
    if np.count_nonzero(ink > NOISE) < MIN_INK_PIXELS:
        return None
    return _resize(ink, SIZE, SIZE).astype(np.float32)


def centre_of_mass(image28: np.ndarray) -> tuple[float, float]:
    """(row, col) centre of mass of a 28×28 image: where `to_mnist` put it."""
    cy, cx = ndimage.center_of_mass(np.asarray(image28, dtype=np.float64))
    return float(cy), float(cx)
