"""Plotly figures from plain data (arrays, lists, dicts), shared by every page.

No Streamlit and no TensorFlow here: a figure is a function of numbers, so it can be
tested, and used from a notebook, without either. Each builder fixes its own height and
margins so pages only have to place it. Its words (titles, axes, legend, hover) are said in
the reader's language when it is built (`_()`), and so are class names marked for the
catalogs (Fashion-MNIST's): figures are built in the thread that shows them.
Over 300 lines: every page's figures share their colours, sizes and axis titles here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import DEFAULT_PLOTLY_COLORS, hex_to_rgb, sample_colorscale, unlabel_rgb
from plotly.subplots import make_subplots

from mnistlab.data.pixels import to_unit
from mnistlab.i18n import N_, _, tr

TRAIN_COLOR = "#2563eb"  # the theme's primary blue
TEST_COLOR = "#f59e0b"
HIGHLIGHT_COLOR = "#dc2626"
TEXT_COLOR = "#0f172a"
# near white to deep blue; each square's number is dark or white, whichever contrasts more with it
CONFUSION_SCALE = [[0.0, "#f8fafc"], [0.35, "#93c5fd"], [1.0, "#1d4ed8"]]
CELL_FONT_SIZE = 16  # a confusion matrix is read from the back of a classroom, on a projector
AXIS_TITLE_SIZE = 15
BAR_OFFSET, BAR_THICKNESS, BAR_PAD, BAR_FONT_SIZE = 10, 20, 10, 13  # the confusion matrix's colour bar, px
Y_TITLE = "y_title"  # the name of the annotation that stands for a y axis's title
MUTED_COLOR = "#94a3b8"
INK_SCALE = "gray_r"  # 0 = white paper, 255 = black ink: the numbers stay readable
METRIC_TITLES = {"loss": N_("Loss"), "accuracy": N_("Accuracy")}  # shown with tr()
# the y axis says what the numbers are, not the chart's title again
METRIC_AXES = {"loss": N_("cross-entropy · lower is better"), "accuracy": N_("share read right · higher is better")}


def _metric_title(metric: str) -> str:
    return tr(METRIC_TITLES[metric]) if metric in METRIC_TITLES else metric.capitalize()


def _metric_axis(metric: str) -> str:
    return tr(METRIC_AXES[metric]) if metric in METRIC_AXES else metric


def class_labels(class_names: Sequence[str]) -> list[str]:
    """Class names as shown: digits as they are, Fashion-MNIST's in the reader's language."""
    return [tr(str(name)) for name in class_names]


def _pixel_hover() -> str:
    return _("row %{y}, column %{x}: %{z}<extra></extra>")


def _text_px(text: str, size: float) -> float:
    """About how wide `text` is drawn at font `size`: a CJK character 1 em, anything else 0.6 em."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else 0.6 * size for c in text)


def _y_title(fig: go.Figure, text: str, **where) -> go.Figure:
    """The y axis's title written horizontally, just above the axis's top (plotly turns an axis
    title sideways, and sideways Chinese cannot be read, nor English from the back of a room)."""
    fig.update_yaxes(title=None)
    fig.add_annotation(text=text, name=Y_TITLE, xref="paper", yref="paper", x=0, y=1, xanchor="left",
                       yanchor="bottom", yshift=4, textangle=0, showarrow=False,
                       font=dict(size=AXIS_TITLE_SIZE, color=TEXT_COLOR), **where)
    return fig


def _row_title(fig: go.Figure, text: str, y: float, labels_px: float) -> float:
    """A matrix's row title written horizontally left of its row labels, at height `y` (paper);
    returns the width it takes, for the left margin."""
    fig.update_yaxes(title=None)
    fig.add_annotation(text=text, name=Y_TITLE, xref="paper", yref="paper", x=0, y=y, xanchor="right",
                       yanchor="middle", xshift=-labels_px, textangle=0, showarrow=False,
                       font=dict(size=AXIS_TITLE_SIZE, color=TEXT_COLOR))
    return _text_px(text, AXIS_TITLE_SIZE) + 8


def y_title(fig: go.Figure | dict) -> str | None:
    """The y axis's title as shown (a figure or its JSON): our annotation, else the axis's own."""
    layout = fig.to_plotly_json()["layout"] if isinstance(fig, go.Figure) else fig["layout"]
    texts = [a.get("text") for a in layout.get("annotations") or () if a.get("name") == Y_TITLE]
    return texts[0] if texts else ((layout.get("yaxis") or {}).get("title") or {}).get("text")


def _has_y_title(fig: go.Figure) -> bool:
    return any(a.name == Y_TITLE and a.y == 1 for a in fig.layout.annotations)


def _layout(fig: go.Figure, height: int, title: str | None = None, **kwargs) -> go.Figure:
    top = (40 if title else 10) + (24 if _has_y_title(fig) else 0)  # room for a title above the y axis
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=top, b=10),
                      title=dict(text=title, x=0, xanchor="left") if title else None,
                      template="plotly_white", **kwargs)
    fig.update_xaxes(title_font_size=AXIS_TITLE_SIZE)
    return fig


def _hide_axes(fig: go.Figure, **where) -> None:
    fig.update_xaxes(visible=False, **where)
    fig.update_yaxes(visible=False, autorange="reversed", **where)


def sample_grid(x: np.ndarray, y: np.ndarray, per_class: int = 10, zoom: int = 2) -> np.ndarray:
    """Not a figure but one uint8 picture: the first `per_class` images of each class, one
    row per class, white 2 px gaps, each pixel drawn `zoom`×`zoom` so it stays crisp.
    One PNG shows far faster than 100 images or a figure of 100 heat maps."""
    cell = 28 + 2
    grid = np.full((10 * cell - 2, per_class * cell - 2), 255, np.uint8)
    for c in range(10):
        for k, i in enumerate(np.flatnonzero(y == c)[:per_class]):
            grid[c * cell:c * cell + 28, k * cell:k * cell + 28] = x[i]
    return np.kron(grid, np.ones((zoom, zoom), np.uint8))


def class_counts_chart(train_counts: Sequence[int], test_counts: Sequence[int],
                       class_names: Sequence[str]) -> go.Figure:
    """How many examples of each class, training and test side by side."""
    names = class_labels(class_names)
    fig = go.Figure([
        go.Bar(name=_("training"), x=names, y=list(train_counts), marker_color=TRAIN_COLOR),
        go.Bar(name=_("test"), x=names, y=list(test_counts), marker_color=TEST_COLOR),
    ])
    fig.update_xaxes(title=_("class"), type="category")
    _y_title(fig, _("images"))
    return _layout(fig, 340, barmode="group", legend=dict(orientation="h", y=1.02, x=1,
                                                          xanchor="right", yanchor="bottom"))


def pixel_matrix_html(image28: np.ndarray) -> str:
    """A 28×28 image as an HTML table with each pixel's value (0–255) written in its cell, shaded as
    ink on paper (255 black). A plain table: a browser draws and drops its 784 cells in a few
    milliseconds, where a chart of 784 labelled cells holds up every page switch."""
    image = np.asarray(image28).astype(int)
    where = _("row {row}, column {column}: {value}", row="{row}", column="{column}", value="{value}")
    head = "".join(f'<th style="{_HEAD}">{c if c % 4 == 0 else ""}</th>' for c in range(image.shape[1]))
    rows = []
    for r, row in enumerate(image):
        cells = "".join(
            f'<td title="{where.format(row=r, column=c, value=v)}" '
            f'style="{_CELL}background:rgb({255 - v},{255 - v},{255 - v});color:{"#fff" if v > 120 else "#555"}">'
            f"{v}</td>" for c, v in enumerate(row))
        rows.append(f'<tr><th style="{_HEAD}">{r if r % 4 == 0 else ""}</th>{cells}</tr>')
    caption = _("rows (top to bottom) × columns (left to right)")
    return (f'<div style="overflow-x:auto"><table style="border-collapse:collapse;font-size:9px;'
            f'font-family:monospace;line-height:1"><caption style="caption-side:bottom;font-size:11px;'
            f'color:#888;padding-top:4px">{caption}</caption>'
            f'<tr><th style="{_HEAD}"></th>{head}</tr>{"".join(rows)}</table></div>')


_HEAD = "color:#999;font-weight:normal;padding:0 2px;text-align:center;width:20px;height:16px"
_CELL = "width:20px;height:20px;padding:0;text-align:center;border:1px solid #fff;"


def image_chart(image: np.ndarray, title: str | None = None, height: int = 300) -> go.Figure:
    """One image in gray (white ink on black, as MNIST is usually drawn), no axes."""
    fig = go.Figure(go.Heatmap(z=np.asarray(image), colorscale="gray", zmin=0, zmax=255,
                               showscale=False, hovertemplate=_pixel_hover()))
    _hide_axes(fig)
    fig.update_yaxes(scaleanchor="x", constrain="domain")
    fig.update_xaxes(constrain="domain")
    return _layout(fig, height, title)


def mean_images_chart(means: np.ndarray, class_names: Sequence[str]) -> go.Figure:
    """The average image of each class in a 2×5 grid: where each class puts its ink."""
    names = class_labels(class_names)
    fig = make_subplots(rows=2, cols=5, subplot_titles=names, horizontal_spacing=0.02,
                        vertical_spacing=0.08)
    for c, mean in enumerate(np.asarray(means)):
        hover = _("{name}: row %{{y}}, column %{{x}}: %{{z}}<extra></extra>", name=names[c])
        fig.add_trace(go.Heatmap(z=np.round(mean, 1), coloraxis="coloraxis", name=names[c], hovertemplate=hover),
                      row=c // 5 + 1, col=c % 5 + 1)
    _hide_axes(fig)
    for c in range(1, 10):  # square panels: each y axis follows its own x axis
        fig.layout[f"yaxis{c + 1}"].scaleanchor = f"x{c + 1}"
    fig.layout.yaxis.scaleanchor = "x"
    fig.update_annotations(font=dict(size=14, color="#0f172a"))
    _layout(fig, 400, coloraxis=dict(colorscale="gray", cmin=0, cmax=255, showscale=False))
    fig.update_layout(margin=dict(t=30))  # room for the top row's titles
    return fig


def intensity_histogram(x_uint8: np.ndarray, log_y: bool = False, max_images: int = 2000,
                        seed: int = 0) -> go.Figure:
    """How often each pixel value 0–255 occurs, counted on at most `max_images` images
    (a fixed random subsample): 256 bars, whatever the dataset's size."""
    x = np.asarray(x_uint8)
    if len(x) > max_images:
        x = x[np.sort(np.random.default_rng(seed).choice(len(x), max_images, replace=False))]
    counts = np.bincount(x.ravel(), minlength=256)[:256]
    fig = go.Figure(go.Bar(x=np.arange(256), y=counts, marker_color=TRAIN_COLOR, marker_line_width=0,
                           hovertemplate=_("value %{x}: %{y:,} pixels<extra></extra>")))
    fig.update_xaxes(title=_("pixel value (0 = background, 255 = full ink)"), range=[-2, 257])
    fig.update_yaxes(type="log" if log_y else "linear")
    _y_title(fig, _("pixels (log scale)") if log_y else _("pixels"))
    title = _("Pixel values in {images:,} images ({pixels:,} pixels)", images=len(x), pixels=x.size)
    return _layout(fig, 320, title, bargap=0)


def _epochs(values: Sequence[float]) -> list[int]:
    return list(range(1, len(values) + 1))


def _epoch_axis(fig: go.Figure, n_epochs: int) -> None:
    fig.update_xaxes(title=_("epoch"), tick0=1, dtick=max(1, int(np.ceil(n_epochs / 10))), rangemode="tozero")


def history_chart(history: Mapping[str, Sequence[float]], metric: str) -> go.Figure:
    """One metric per epoch, training and (when there is one) validation."""
    fig = go.Figure()
    train, val = list(history.get(metric) or []), list(history.get(f"val_{metric}") or [])
    fig.add_trace(go.Scatter(x=_epochs(train), y=train, mode="lines+markers", name=_("training"),
                             line_color=TRAIN_COLOR))
    if val:
        fig.add_trace(go.Scatter(x=_epochs(val), y=val, mode="lines+markers", name=_("validation"),
                                 line_color=TEST_COLOR))
    partial = history.get("partial_epoch")
    if isinstance(partial, Mapping) and metric in partial:
        # a stopped run's interrupted epoch: its loss is over a few batches only, so it is not
        # joined to the curve (where it would look like divergence) but shown apart, for what it is
        label = _("epoch {epoch}, stopped after {batches} of {of} batches", epoch=partial["epoch"],
                  batches=partial["batches"], of=partial["of"])
        fig.add_trace(go.Scatter(x=[partial["epoch"]], y=[partial[metric]], mode="markers", name=label,
                                 marker=dict(symbol="circle-open", size=11, color=TRAIN_COLOR),
                                 hovertemplate=f"{label}<br>{_metric_title(metric)} %{{y:.4f}}<extra></extra>"))
    stopped = isinstance(partial, Mapping)
    _epoch_axis(fig, max(len(train), len(val), partial["epoch"] if stopped else 0))
    _y_title(fig, _metric_axis(metric))
    if stopped:  # three entries, one long, wrap in a half-width column: under the plot, not over its titles
        return _layout(fig, 380, _metric_title(metric),
                       legend=dict(orientation="h", y=-0.3, x=0, xanchor="left", yanchor="top"))
    return _layout(fig, 320, _metric_title(metric),
                   legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"))


def overlay_chart(histories: Mapping[str, Mapping[str, Sequence[float]]], metric: str) -> go.Figure:
    """Several runs' curves of one metric: training solid, validation dashed, one colour a run."""
    fig = go.Figure()
    longest = 0
    for i, (label, history) in enumerate(histories.items()):
        color = DEFAULT_PLOTLY_COLORS[i % len(DEFAULT_PLOTLY_COLORS)]
        named = {metric: _("{run} (training)", run=label), f"val_{metric}": _("{run} (validation)", run=label)}
        for key, dash in ((metric, "solid"), (f"val_{metric}", "dash")):
            values = list(history.get(key) or [])
            if values:
                longest = max(longest, len(values))
                fig.add_trace(go.Scatter(x=_epochs(values), y=values, mode="lines+markers",
                                         name=named[key], legendgroup=label,
                                         line=dict(color=color, dash=dash)))
    _epoch_axis(fig, longest)
    _y_title(fig, _metric_axis(metric))
    fig = _layout(fig, 420, _metric_title(metric))
    # the run names are long: a legend under the plot keeps the plot its full width
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.25, xanchor="left", x=0))
    return fig


def probability_bars(probabilities: Sequence[float], class_names: Sequence[str]) -> go.Figure:
    """The model's 10 probabilities; the class it picks in red."""
    p = np.asarray(probabilities, dtype=float)
    colors = [MUTED_COLOR] * len(p)
    colors[int(np.argmax(p))] = HIGHLIGHT_COLOR
    fig = go.Figure(go.Bar(x=class_labels(class_names), y=p, marker_color=colors,
                           text=[f"{v:.0%}" if v >= 0.005 else "" for v in p], textposition="outside",
                           cliponaxis=False, hovertemplate="%{x}: %{y:.3f}<extra></extra>"))
    fig.update_xaxes(title=_("class"), type="category")
    fig.update_yaxes(range=[0, 1.1], tickformat=".0%")
    _y_title(fig, _("probability"))
    return _layout(fig, 300)


def confusion_chart(confusion: np.ndarray, class_names: Sequence[str],
                    selected: tuple[int, int] | None = None) -> go.Figure:
    """The confusion matrix as 100 square markers (not a heat map: Streamlit can report
    which scatter points were clicked, not which heat-map cells). x = predicted,
    y = true (row 0 on top); each point's customdata is [true, predicted].

    Colour follows the square root of the count, so a handful of errors still shows
    next to a diagonal of a thousand."""
    counts = np.asarray(confusion, dtype=np.int64)
    n = counts.shape[0]
    names = class_labels(class_names)
    true, pred = np.divmod(np.arange(n * n), n)
    flat = counts.ravel()
    shade = np.sqrt(flat)
    top = max(float(shade.max()), 1.0)
    ticks = np.unique(np.round(np.linspace(0, top, 5) ** 2)).astype(int)
    # Markers are sized in pixels, so the figure has a fixed size and fixed margins (room for
    # long class names and the row title): a cell is then exactly `cell_px` wide whatever the
    # page's width. The figure is as tall as the square matrix needs, no more.
    longest = max(len(name) for name in names)
    labels_px = 12 + 8 * longest
    tick_text = [f"{t:,}" for t in ticks]
    # the colour bar right of the matrix, whole inside the right margin: were plotly to widen the
    # margin for it (autoexpand), the square would shrink and the bar be taller than the matrix again
    bar_px = BAR_OFFSET + BAR_THICKNESS + 2 * BAR_PAD + max(_text_px(t, BAR_FONT_SIZE) for t in tick_text) + 12
    width = 600
    margin = dict(l=labels_px, r=round(bar_px), t=min(130, 60 + 7 * longest), b=20, autoexpand=False)
    fig = go.Figure()
    margin["l"] += _row_title(fig, _("true"), 0.5, labels_px)
    side = width - margin["l"] - margin["r"]
    height = side + margin["t"] + margin["b"]
    cell_px = side / n
    fig.add_trace(go.Scatter(
        x=[names[p] for p in pred], y=[names[t] for t in true], mode="markers",
        customdata=np.stack([true, pred], axis=1).tolist(), text=[str(c) for c in flat],
        marker=dict(symbol="square", size=cell_px * 0.94, color=shade, cmin=0, cmax=top,
                    colorscale=CONFUSION_SCALE, line=dict(width=0),
                    # exactly the matrix's height, beside it
                    colorbar=dict(title=_("count"), tickvals=np.sqrt(ticks), ticktext=tick_text,
                                  lenmode="fraction", len=1, y=1, yanchor="top", x=1 + BAR_OFFSET / side,
                                  xanchor="left", thickness=BAR_THICKNESS, xpad=BAR_PAD, ypad=0,
                                  tickfont_size=BAR_FONT_SIZE)),
        # a click selects a square; plotly would then fade all the others: keep them as they are
        selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=1)),
        hovertemplate=_("true %{y}, predicted %{x}: %{text} images<extra></extra>")))
    # The numbers: dark on light squares, white on dark ones, one trace per colour (a selection
    # restyles a trace's text with one colour), not hoverable so that clicks reach the squares.
    light, font_size = _light_text(shade / top), CELL_FONT_SIZE if cell_px >= 40 else 14
    for color, where in ((TEXT_COLOR, ~light), ("#ffffff", light)):
        fig.add_trace(go.Scatter(
            x=[names[p] for p in pred[where]], y=[names[t] for t in true[where]], mode="text",
            text=[str(c) for c in flat[where]], textfont=dict(size=font_size, color=color),
            selected=dict(textfont=dict(color=color)), unselected=dict(textfont=dict(color=color)),
            hoverinfo="skip", showlegend=False))
    if selected is not None:  # an open square drawn over the others, so no neighbour hides it
        fig.add_trace(go.Scatter(
            x=[names[selected[1]]], y=[names[selected[0]]], mode="markers", customdata=[list(selected)],
            marker=dict(symbol="square-open", size=cell_px * 0.98, color=HIGHLIGHT_COLOR, line=dict(width=3)),
            selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=1)),
            hoverinfo="skip", showlegend=False))
    fig.update_xaxes(title=dict(text=_("predicted"), font_size=AXIS_TITLE_SIZE), type="category",
                     categoryorder="array", categoryarray=names, side="top", showgrid=False, domain=[0, 1],
                     range=[-0.5, n - 0.5])
    # fixed ranges, row 0 on top: plotly's autorange would pad for the markers' size, leaving the
    # squares overlapping in a plot wider and taller than the matrix
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=names, range=[n - 0.5, -0.5],
                     showgrid=False, scaleanchor="x", domain=[0, 1])
    # Streamlit turns click-to-select off when dragmode is "select" (only a dragged box would
    # select), so a click needs another mode; fixed axes keep "pan" from moving the matrix.
    fig.update_xaxes(fixedrange=True, automargin=False, tickfont_size=14)
    fig.update_yaxes(fixedrange=True, automargin=False, tickfont_size=14)
    fig.update_layout(width=width, height=height, margin=margin, template="plotly_white", showlegend=False,
                      clickmode="event+select", dragmode="pan")
    return fig


def _light_text(level: np.ndarray) -> np.ndarray:
    """Where white text contrasts more than dark text with CONFUSION_SCALE's colour at `level` (0–1)."""
    colors = sample_colorscale(CONFUSION_SCALE, np.clip(level, 0, 1).tolist())
    return np.array([_contrast(c, "#ffffff") > _contrast(c, TEXT_COLOR) for c in colors], dtype=bool)


def _luminance(color: str) -> float:
    """WCAG's relative luminance of "#rrggbb" or "rgb(r, g, b)"."""
    rgb = hex_to_rgb(color) if color.startswith("#") else unlabel_rgb(color)
    unit = [float(c) for c in to_unit(np.asarray(rgb))]  # 0..255 channels to 0..1, as pixels are
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in unit]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    """WCAG's contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
