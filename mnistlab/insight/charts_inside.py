"""Figures for looking inside a model and comparing two: feature maps, weights, saliency, 2-D maps.

Small arrays in, plotly figures out; the browser scales the pictures up. Many small maps are
tiled into ONE heat map with gaps (one trace, one colour scale per layer, so the maps of a
layer can be compared and a 256-map layer stays one light figure).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from mnistlab.data.pixels import gray_levels_to_unit
from mnistlab.i18n import N_, _, tr
from mnistlab.insight.charts import (
    HIGHLIGHT_COLOR,
    MUTED_COLOR,
    TRAIN_COLOR,
    _hide_axes,
    _layout,
    _row_title,
    _y_title,
    class_labels,
)

ACTIVATION_SCALE = "Viridis"
WEIGHT_SCALE = "RdBu"  # red negative, blue positive, white 0
SALIENCY_SCALE = "RdBu_r"  # red: more ink here raises the score; blue: lowers it
CLASS_COLORS = qualitative.T10  # ten colours that stay apart
MAX_COLUMNS = 8  # maps per row: still ~40 px each on a phone
MAX_MAPS = 64
MAP_KINDS = {"map": N_("map"), "filter": N_("filter"), "unit": N_("unit")}  # what `maps_chart` names in its hover


def tile(maps: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, h, w) maps as one (rows·(h+1)−1, columns·(w+1)−1) picture with NaN gaps, and the map
    number of every pixel (−1 in the gaps) for the hover."""
    maps = np.asarray(maps, dtype=np.float32)
    n, h, w = maps.shape
    rows = max(1, -(-n // columns))
    picture = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1), np.nan, np.float32)
    which = np.full(picture.shape, -1, np.int32)
    for i in range(n):
        r, c = divmod(i, columns)
        picture[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = maps[i]
        which[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = i
    return picture, which


def maps_chart(maps: np.ndarray, what: str = "map", colorscale: str = ACTIVATION_SCALE, symmetric: bool = False,
               max_maps: int = MAX_MAPS, columns: int = MAX_COLUMNS, height_per_row: int = 70) -> go.Figure:
    """Small pictures (n, h, w) in a grid on one shared colour scale (symmetric around 0 for
    weights). At most `max_maps` are drawn; hovering names the map and the value."""
    maps = np.asarray(maps, dtype=np.float32)[:max_maps]
    columns = max(1, min(columns, len(maps)))
    picture, which = tile(maps, columns)
    finite = maps[np.isfinite(maps)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if symmetric:
        top = max(abs(low), abs(high), 1e-12)
        low, high = -top, top
    elif high <= low:
        high = low + 1e-6
    fig = go.Figure(go.Heatmap(
        z=picture, customdata=which, colorscale=colorscale, zmin=low, zmax=high, hoverongaps=False,
        colorbar=dict(thickness=10, len=0.9), xgap=0, ygap=0,
        hovertemplate=_("{what} %{{customdata}}: %{{z:.3f}}<extra></extra>", what=tr(MAP_KINDS.get(what, what)))))
    _hide_axes(fig)
    fig.update_yaxes(scaleanchor="x", constrain="domain")
    fig.update_xaxes(constrain="domain")
    rows = picture.shape[0] // (maps.shape[1] + 1) + 1
    return _layout(fig, max(120, 20 + rows * height_per_row), plot_bgcolor="rgba(0,0,0,0)")


def units_chart(values: np.ndarray, top: int = 5) -> go.Figure:
    """A Dense layer's units as a strip of bars; the `top` most active are red and labelled."""
    v = np.asarray(values, dtype=np.float32).ravel()
    best = set(np.argsort(-v, kind="stable")[:top].tolist())
    colors = [HIGHLIGHT_COLOR if i in best else MUTED_COLOR for i in range(len(v))]
    text = [_("unit {number}", number=i) if i in best else "" for i in range(len(v))]
    fig = go.Figure(go.Bar(x=np.arange(len(v)), y=v, marker_color=colors, marker_line_width=0, text=text,
                           textposition="outside", cliponaxis=False, textfont=dict(size=10),
                           hovertemplate=_("unit %{x}: %{y:.3f}<extra></extra>")))
    fig.update_xaxes(title=_("unit"), range=[-1, len(v)])
    _y_title(fig, _("output"))
    return _layout(fig, 220, bargap=0.1 if len(v) < 64 else 0)


def saliency_chart(image28: np.ndarray, values: np.ndarray, title: str, top: float | None = None) -> go.Figure:
    """A saliency map on a symmetric scale (±`top`, so two maps can share it) under the digit's outline."""
    image = np.asarray(image28, dtype=np.float32).reshape(28, 28)
    if image.max() > 1.0:
        image = gray_levels_to_unit(image, np.float32)
    values = np.asarray(values, dtype=np.float32).reshape(28, 28)
    top = float(top if top is not None else np.abs(values).max()) or 1.0
    fig = go.Figure([
        go.Heatmap(z=values, colorscale=SALIENCY_SCALE, zmin=-top, zmax=top, colorbar=dict(thickness=10),
                   hovertemplate=_("row %{y}, column %{x}: %{z:.3f}<extra></extra>")),
        go.Contour(z=image, contours=dict(start=0.5, end=0.5, coloring="none"), showscale=False,
                   line=dict(color="#0f172a", width=1.5), hoverinfo="skip"),
    ])
    _hide_axes(fig)
    fig.update_yaxes(scaleanchor="x", constrain="domain")
    fig.update_xaxes(constrain="domain")
    return _layout(fig, 320, title, showlegend=False)


def embedding_chart(xy: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray | None, class_names: Sequence[str],
                    title: str, selected: int | None = None) -> go.Figure:
    """Points on a 2-D map coloured by true class; mistakes drawn as black-ringed crosses. Each
    point's customdata is its row in `xy`, so a click says which image it is."""
    xy = np.asarray(xy, dtype=np.float32)
    y_true = np.asarray(y_true).astype(int)
    wrong = np.zeros(len(xy), bool) if y_pred is None else np.asarray(y_pred).astype(int) != y_true
    names = class_labels(class_names)
    fig = go.Figure()
    for c, name in enumerate(names):
        rows = np.flatnonzero((y_true == c) & ~wrong)
        fig.add_trace(go.Scatter(
            x=xy[rows, 0].tolist(), y=xy[rows, 1].tolist(), mode="markers", name=name, legendgroup=name,
            customdata=rows.tolist(), marker=dict(size=6, color=CLASS_COLORS[c % len(CLASS_COLORS)], opacity=0.75),
            hovertemplate=_("{name} · image %{{customdata}}<extra></extra>", name=name)))
    rows = np.flatnonzero(wrong)
    if len(rows):
        predicted = np.asarray(y_pred).astype(int)[rows]
        fig.add_trace(go.Scatter(
            x=xy[rows, 0].tolist(), y=xy[rows, 1].tolist(), mode="markers", name=_("mistakes"),
            customdata=rows.tolist(), text=[_("{true} read as {predicted}", true=names[t], predicted=names[p])
                                            for t, p in zip(y_true[rows], predicted, strict=True)],
            marker=dict(size=9, symbol="x", color=[CLASS_COLORS[t % len(CLASS_COLORS)] for t in y_true[rows]],
                        line=dict(width=1, color="#0f172a")),
            hovertemplate=_("%{text} · image %{customdata}<extra></extra>")))
    if selected is not None and 0 <= selected < len(xy):
        fig.add_trace(go.Scatter(x=[float(xy[selected, 0])], y=[float(xy[selected, 1])], mode="markers",
                                 name=_("this digit"), customdata=[int(selected)], hoverinfo="skip",
                                 marker=dict(size=18, symbol="circle-open", color=HIGHLIGHT_COLOR,
                                             line=dict(width=3))))
    same = dict(selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=0.75)))
    fig.update_traces(**same)
    fig.update_xaxes(showticklabels=False, title=None, zeroline=False)
    fig.update_yaxes(showticklabels=False, title=None, zeroline=False)
    fig = _layout(fig, 460, title, clickmode="event+select", dragmode="zoom",
                  legend=dict(orientation="h", yanchor="top", y=-0.02, x=0, itemsizing="constant"))
    return fig


def accuracy_change_chart(change: np.ndarray, class_names: Sequence[str], label: str) -> go.Figure:
    """Per-class accuracy of run B minus run A, in percentage points: blue gained, red lost."""
    d = 100 * np.asarray(change, dtype=float)
    fig = go.Figure(go.Bar(x=class_labels(class_names), y=d, marker_color=[TRAIN_COLOR if v >= 0 else HIGHLIGHT_COLOR
                                                                   for v in d],
                           text=[f"{v:+.1f}" for v in d], textposition="outside", cliponaxis=False,
                           hovertemplate=_("%{x}: %{y:+.2f} points<extra></extra>")))
    fig.update_xaxes(title=_("class"), type="category")
    fig.update_yaxes(zeroline=True, zerolinecolor="#0f172a")
    _y_title(fig, _("accuracy change (points)"))
    return _layout(fig, 320, label)


def confusion_difference_chart(difference: np.ndarray, class_names: Sequence[str], label: str) -> go.Figure:
    """B's confusion matrix minus A's: on the diagonal blue is more right answers; off it red is
    more of that mistake. The colour says better (blue) or worse (red) whatever the square."""
    d = np.asarray(difference, dtype=np.int64)
    n = d.shape[0]
    better = np.where(np.eye(n, dtype=bool), d, -d)  # more on the diagonal, fewer off it
    top = max(int(np.abs(d).max()), 1)
    names = class_labels(class_names)
    fig = go.Figure(go.Heatmap(z=better, x=names, y=names, text=d.tolist(), texttemplate="%{text:+d}",
                               zmin=-top, zmax=top, colorscale="RdBu", showscale=False, xgap=1, ygap=1,
                               hovertemplate=_("true %{y}, predicted %{x}: %{text:+d} images<extra></extra>")))
    fig.update_xaxes(title=_("predicted"), side="top", type="category")
    fig.update_yaxes(autorange="reversed", type="category", scaleanchor="x", constrain="domain", automargin=False)
    labels_px = 12 + 8 * max(len(name) for name in names)  # the row labels' width, left of which the title goes
    fig = _layout(fig, 440, label)
    fig.update_layout(margin_l=labels_px + _row_title(fig, _("true"), 0.5, labels_px))
    return fig
