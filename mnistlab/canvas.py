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

SIZE = 28
BOX = 20
CENTRE = 14.0
# Ink below this (on a 0..1 scale) is anti-aliasing fringe or sensor/JPEG noise:
# it must not widen the bounding box or count as a stroke.
NOISE = 0.1
# Fewer ink pixels than this is a stray click, not a digit.
MIN_INK_PIXELS = 5
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
    if np.issubdtype(a.dtype, np.unsignedinteger):
        return a.astype(np.float64) / np.iinfo(a.dtype).max
    f = np.nan_to_num(a.astype(np.float64), nan=0.0, posinf=1e300, neginf=0.0)
    if f.max() > 1.0:
        f = f / 255.0
    return np.clip(f, 0.0, 1.0)


def ink_map(image: np.ndarray) -> np.ndarray:
    """Return where the ink is, as float64 (H, W) in [0, 1] (1 = full ink).

    Accepts a 2-D gray array or (H, W, C) with C = 1 (gray), 2 (gray + alpha),
    3 (RGB) or 4 (RGBA), uint8 or float. Works for white-on-black as well as
    black-on-white: the background is read from the border (its median), because a
    drawing rarely touches every edge. With transparency whose border is mostly
    transparent (streamlit-drawable-canvas leaves undrawn pixels at alpha 0) the ink
    is the alpha itself, whatever the stroke colour.

    Raises ValueError when the array is not an image at all (wrong number of
    dimensions or channels, no pixels, not numeric): that is a programming error or
    a broken upload, not an empty drawing.
    """
    a = np.asarray(image)
    if a.dtype.kind not in "buif":
        raise ValueError(f"A drawing must be a numeric array, not {a.dtype}.")
    if a.ndim == 3 and a.shape[2] in (1, 2, 3, 4):
        channels = a.shape[2]
    elif a.ndim == 2:
        a, channels = a[:, :, None], 1
    else:
        raise ValueError(
            f"A drawing must be a gray (H, W) or colour (H, W, 1-4) image; got an array of shape {a.shape}."
        )
    if a.size == 0:
        raise ValueError(f"A drawing must have pixels; got shape {a.shape}.")

    a = _unit_scale(a)
    has_alpha = channels in (2, 4)
    colour = a[:, :, :-1] if has_alpha else a
    gray = colour[:, :, 0] if colour.shape[2] == 1 else colour @ _LUMA
    if not has_alpha:
        alpha = np.ones_like(gray)
    else:
        alpha = a[:, :, -1]
        if np.median(_border(alpha)) < 0.5:
            return alpha

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


def to_mnist(image: np.ndarray | None) -> np.ndarray | None:
    """Return the drawing as a (28, 28) float32 image in [0, 1], MNIST style.

    Steps: ink map → crop to the ink's bounding box → scale so the longer side is
    20 px, keeping the aspect ratio, anti-aliased → place in 28×28 with the centre of
    mass at (14, 14) (whole-pixel shift, as MNIST did; kept inside the frame for
    lopsided shapes) → scale so the brightest pixel is 1.0.

    Returns None for an empty drawing (None, as the canvas gives before the first
    stroke, or fewer than a handful of ink pixels). Raises ValueError for an array
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


def centre_of_mass(image28: np.ndarray) -> tuple[float, float]:
    """(row, col) centre of mass of a 28×28 image: where `to_mnist` put it."""
    cy, cx = ndimage.center_of_mass(np.asarray(image28, dtype=np.float64))
    return float(cy), float(cx)
