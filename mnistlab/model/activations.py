"""The activation functions the builder offers, in NumPy, to draw their curves where a student
picks one (no TensorFlow in the sidebar). tests/test_activations.py checks them against Keras."""

from __future__ import annotations

import numpy as np
from scipy.special import erf

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def _elu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


CURVES = {
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "elu": _elu,
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))),
    "gelu": lambda x: 0.5 * x * (1.0 + erf(x / np.sqrt(2.0))),  # Keras's exact form (approximate=False)
    "linear": lambda x: x,
}
X_RANGE = (-4.0, 4.0)


def curve(name: str, x: np.ndarray) -> np.ndarray:
    return CURVES[name](np.asarray(x, dtype=np.float64))


def svg(name: str, width: int = 240, height: int = 120, points: int = 97) -> str:
    """A small line plot of the activation over [-4, 4], with the axes through zero: a few hundred
    bytes of SVG the browser draws, not a chart library."""
    x = np.linspace(*X_RANGE, points)
    y = curve(name, x)
    low, high = min(float(y.min()), -1.0), max(float(y.max()), 1.0)
    pad = 8

    def px(u: float) -> float:
        return pad + (u - X_RANGE[0]) / (X_RANGE[1] - X_RANGE[0]) * (width - 2 * pad)

    def py(v: float) -> float:
        return height - pad - (v - low) / (high - low) * (height - 2 * pad)

    line = " ".join(f"{px(u):.1f},{py(v):.1f}" for u, v in zip(x, y, strict=True))
    axes = "#9aa0a6"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f'<line x1="{pad}" y1="{py(0):.1f}" x2="{width - pad}" y2="{py(0):.1f}" stroke="{axes}" stroke-width="1"/>'
        f'<line x1="{px(0):.1f}" y1="{pad}" x2="{px(0):.1f}" y2="{height - pad}" stroke="{axes}" stroke-width="1"/>'
        f'<polyline points="{line}" fill="none" stroke="#e45756" stroke-width="2.5"/>'
        f'<text x="{pad + 2}" y="{pad + 10}" font-family="monospace" font-size="12" fill="#555">{name}(x)</text>'
        f'<text x="{width - pad - 2}" y="{py(0) - 4:.1f}" text-anchor="end" font-family="monospace" '
        f'font-size="10" fill="#888">x = {X_RANGE[1]:g}</text>'
        "</svg>"
    )
