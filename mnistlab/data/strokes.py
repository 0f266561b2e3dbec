"""Pen strokes, as the Draw page's canvas sends them, made into a picture.

The canvas sends only its strokes: each a flat list of canvas pixel coordinates
`[x0, y0, x1, y1, …]`, a few hundred numbers for a digit instead of 280×280×4 pixel values.
They come from a browser, so anything may arrive: `parse_strokes` checks the shape, the
counts (before anything is allocated for them) and the range, and says what is wrong;
`rasterise` draws them with a round pen on black, as the browser showed them.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from PIL import Image, ImageDraw

from mnistlab.errors import MnistlabError
from mnistlab.i18n import N_

# A digit is a handful of strokes of a few hundred points; the canvas keeps a point every 1.5 px.
MAX_STROKES = 64
MAX_POINTS = 8_000  # in all the strokes together


class StrokeError(MnistlabError):
    """What the canvas sent is not a list of pen strokes inside it."""


def parse_strokes(value: object, size: int) -> list[np.ndarray]:
    """The strokes of a `size` px square canvas as (n, 2) float arrays of (x, y), n ≥ 1.

    `value` is what the canvas sent: None (nothing drawn yet) or a list of strokes, each a flat
    list of numbers x0, y0, x1, y1, … within [0, size]. Raises StrokeError for anything else.
    """
    if value is None:
        return []
    if not isinstance(value, list):
        raise StrokeError("strokes_not_list", N_("The canvas sent {kind} instead of a list of strokes."),
                          kind=type(value).__name__)
    if len(value) > MAX_STROKES:
        raise StrokeError("too_many_strokes", N_("A drawing has at most {limit} strokes, not {count}."),
                          limit=MAX_STROKES, count=len(value))
    if not all(isinstance(stroke, list) for stroke in value):
        raise StrokeError("stroke_not_list", N_("Each stroke must be a list of coordinates."))
    numbers = sum(len(stroke) for stroke in value)
    if numbers > 2 * MAX_POINTS:
        raise StrokeError("too_many_points", N_("A drawing has at most {limit:,} points, not {count:,}."),
                          limit=MAX_POINTS, count=numbers // 2)
    strokes = []
    for stroke in value:
        if not stroke or len(stroke) % 2:
            raise StrokeError("stroke_odd", N_("Each stroke must hold x, y pairs: one has {count} numbers."),
                              count=len(stroke))
        if not all(isinstance(v, Real) and not isinstance(v, bool) for v in stroke):
            raise StrokeError("stroke_not_numbers", N_("A stroke's coordinates must be numbers."))
        try:
            points = np.asarray(stroke, dtype=np.float64).reshape(-1, 2)
        except OverflowError:  # an integer too big for a float: far outside any canvas
            raise StrokeError("stroke_outside", N_("A stroke leaves the {size}×{size} px canvas."),
                              size=size) from None
        if not np.isfinite(points).all() or points.min() < 0 or points.max() > size:
            raise StrokeError("stroke_outside", N_("A stroke leaves the {size}×{size} px canvas."), size=size)
        strokes.append(points)
    return strokes


def rasterise(strokes: list[np.ndarray], size: int, pen_px: float) -> np.ndarray | None:
    """The strokes drawn white on black with a round pen `pen_px` wide: (size, size) uint8;
    None when there are none (an empty canvas, as before the first stroke)."""
    if not strokes:
        return None
    image = Image.new("L", (size, size), 0)
    pen = ImageDraw.Draw(image)
    radius = pen_px / 2
    for points in strokes:
        xy = [(float(x), float(y)) for x, y in points]
        if len(xy) > 1:
            pen.line(xy, fill=255, width=max(1, round(pen_px)), joint="curve")
        for x, y in (xy[0], xy[-1]):  # round caps (and a dot for a click)
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    return np.asarray(image)
