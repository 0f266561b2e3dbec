"""Plain functions several test modules share: data files as a user would upload them, and
drawings as the canvas gives them. (Fixtures are in conftest.py, AppTest helpers in apptest.py.)"""

from __future__ import annotations

import gzip
import io
import struct

import numpy as np


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


CANVAS_KEY = "draw_canvas"  # the Draw component's key: AppTests put what it sends there


def canvas_sends(*strokes: list[float]) -> dict:
    """The canvas component's state as its JavaScript sets it on a pen-up (`setStateValue('strokes',
    …)`): every stroke a flat [x0, y0, x1, y1, …] list in canvas pixels (280 × 280)."""
    return {"strokes": [list(stroke) for stroke in strokes]}


def a_one() -> dict:
    return canvas_sends([140, 40, 140, 240])


def a_dot() -> dict:
    return canvas_sends([140, 140])  # a click: one point


def a_scribble() -> dict:
    return canvas_sends([v for i in range(11) for v in (10 + 26 * i, 10 if i % 2 else 270)])
