"""Plain functions several test modules share: data files as a user would upload them, and
drawings as the canvas gives them. (Fixtures are in conftest.py, AppTest helpers in apptest.py.)"""

from __future__ import annotations

import gzip
import io
import struct

import numpy as np
from PIL import Image, ImageDraw


def npz_bytes(sample, n_train: int = 200, n_test: int = 50) -> bytes:
    """The first images of `sample` as a Keras-layout .npz."""
    buffer = io.BytesIO()
    np.savez(buffer, x_train=sample.x_train[:n_train], y_train=sample.y_train[:n_train],
             x_test=sample.x_test[:n_test], y_test=sample.y_test[:n_test])
    return buffer.getvalue()


def idx_bytes(array: np.ndarray) -> bytes:
    """An array as a gzipped IDX file."""
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + np.ascontiguousarray(array, np.uint8).tobytes())


def canvas_like(draw) -> np.ndarray:
    """An RGBA drawing as the canvas gives it: white strokes, the rest transparent."""
    img = Image.new("L", (280, 280), 0)
    draw(ImageDraw.Draw(img))
    rgba = np.zeros((280, 280, 4), dtype=np.uint8)
    rgba[..., :3] = 255
    rgba[..., 3] = np.asarray(img)
    return rgba


def a_one() -> np.ndarray:
    return canvas_like(lambda pen: pen.line([(140, 40), (140, 240)], fill=255, width=20))


def a_dot() -> np.ndarray:
    return canvas_like(lambda pen: pen.ellipse([130, 130, 150, 150], fill=255))


def a_scribble() -> np.ndarray:
    return canvas_like(lambda pen: pen.line([(10 + 26 * i, 10 if i % 2 else 270) for i in range(11)],
                                            fill=255, width=20))
