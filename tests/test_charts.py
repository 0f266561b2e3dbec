"""The figures carry exactly the numbers they were given."""

import re

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.colors import sample_colorscale

from mnistlab.data.dataset import CLASS_NAMES, DIGITS
from mnistlab.insight import charts, charts_inside

FASHION = CLASS_NAMES["fashion_mnist"]


@pytest.fixture
def image():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (28, 28), dtype=np.uint8)


def test_sample_grid_puts_ten_of_each_class_in_rows(sample):
    grid = charts.sample_grid(sample.x_train, sample.y_train, per_class=10, zoom=1)
    assert grid.shape == (10 * 30 - 2, 10 * 30 - 2) and grid.dtype == np.uint8
    fifth_seven = sample.x_train[np.flatnonzero(sample.y_train == 7)[4]]
    np.testing.assert_array_equal(grid[7 * 30:7 * 30 + 28, 4 * 30:4 * 30 + 28], fifth_seven)
    assert charts.sample_grid(sample.x_train, sample.y_train, zoom=2).shape == (2 * 298, 2 * 298)


def test_class_counts_chart_has_grouped_train_and_test_bars():
    train, test = np.arange(10) * 10, np.arange(10)
    fig = charts.class_counts_chart(train, test, FASHION)
    assert isinstance(fig, go.Figure)
    assert [t.name for t in fig.data] == ["training", "test"]
    assert list(fig.data[0].x) == list(FASHION)
    assert list(fig.data[0].y) == list(train) and list(fig.data[1].y) == list(test)
    assert fig.layout.barmode == "group"
    assert fig.layout.xaxis.title.text and charts.y_title(fig)


def test_pixel_matrix_shows_the_image_values_upright_in_its_cells(image):
    import re

    html = charts.pixel_matrix_html(image)
    rows = re.findall(r"<tr>(.*?)</tr>", html)[1:]  # the first row numbers the columns
    values = [[int(v) for v in re.findall(r">(\d+)</td>", row)] for row in rows]
    np.testing.assert_array_equal(np.array(values), image)  # row 0 at the top, column 0 at the left
    darkest = np.unravel_index(np.argmax(image), image.shape)
    assert f'title="row {darkest[0]}, column {darkest[1]}: {image.max()}"' in html
    assert "background:rgb(255,255,255)" in html  # 0 is white paper

def test_image_chart_draws_one_image_without_axes(image):
    fig = charts.image_chart(image, title="label 3")
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), image)
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    assert fig.layout.yaxis.autorange == "reversed"


def test_mean_images_chart_has_one_titled_panel_per_class():
    means = np.random.default_rng(1).uniform(0, 255, (10, 28, 28)).astype(np.float32)
    fig = charts.mean_images_chart(means, FASHION)
    assert len(fig.data) == 10
    assert [a.text for a in fig.layout.annotations] == list(FASHION)
    np.testing.assert_allclose(np.asarray(fig.data[9].z), np.round(means[9], 1))


def test_intensity_histogram_counts_every_pixel_of_the_subsample():
    x = np.random.default_rng(2).integers(0, 256, (300, 28, 28), dtype=np.uint8)
    full = charts.intensity_histogram(x)
    assert len(full.data[0].y) == 256
    np.testing.assert_array_equal(full.data[0].y, np.bincount(x.ravel(), minlength=256))

    sub = charts.intensity_histogram(x, log_y=True, max_images=50)
    assert int(np.sum(sub.data[0].y)) == 50 * 784
    assert sub.layout.yaxis.type == "log"


def test_history_chart_plots_train_and_validation_per_epoch():
    history = {"loss": [0.9, 0.5, 0.3], "accuracy": [0.7, 0.85, 0.9],
               "val_loss": [0.6, 0.4, 0.35], "val_accuracy": [0.8, 0.88, 0.9]}
    fig = charts.history_chart(history, "loss")
    assert fig.layout.title.text == "Loss"
    assert [t.name for t in fig.data] == ["training", "validation"]
    assert list(fig.data[0].x) == [1, 2, 3]
    assert list(fig.data[1].y) == history["val_loss"]
    assert fig.data[0].mode == "lines+markers"


def test_history_chart_without_validation_has_one_line():
    fig = charts.history_chart({"loss": [1.0], "accuracy": [0.5]}, "accuracy")
    assert fig.layout.title.text == "Accuracy"
    assert len(fig.data) == 1 and list(fig.data[0].y) == [0.5]


def test_overlay_chart_draws_each_runs_curves():
    histories = {"run a": {"accuracy": [0.5, 0.7], "val_accuracy": [0.6, 0.65]},
                 "run b": {"accuracy": [0.4, 0.6, 0.8]}}
    fig = charts.overlay_chart(histories, "accuracy")
    assert [t.name for t in fig.data] == ["run a (training)", "run a (validation)", "run b (training)"]
    assert fig.data[0].line.color == fig.data[1].line.color != fig.data[2].line.color
    assert list(fig.data[2].x) == [1, 2, 3]


def test_probability_bars_highlight_the_most_likely_class():
    p = np.full(10, 0.02)
    p[7] = 0.82
    fig = charts.probability_bars(p, DIGITS)
    (bars,) = fig.data
    np.testing.assert_allclose(bars.y, p)
    colors = list(bars.marker.color)
    assert colors[7] == charts.HIGHLIGHT_COLOR
    assert colors.count(charts.HIGHLIGHT_COLOR) == 1


def test_confusion_chart_is_100_selectable_squares_with_true_and_predicted():
    confusion = np.random.default_rng(3).integers(0, 50, (10, 10))
    np.fill_diagonal(confusion, 950)
    fig = charts.confusion_chart(confusion, DIGITS, selected=(4, 9))
    points, dark_numbers, light_numbers, highlight = fig.data
    assert isinstance(points, go.Scatter) and points.marker.symbol == "square"
    pairs = np.asarray(points.customdata)
    assert pairs.shape == (100, 2)
    for (true, pred), text, x, y in zip(pairs, points.text, points.x, points.y, strict=True):
        assert int(text) == confusion[true, pred]
        assert (x, y) == (DIGITS[pred], DIGITS[true])
    assert tuple(fig.layout.yaxis.range) == (9.5, -0.5)  # row 0 on top
    assert tuple(fig.layout.xaxis.range) == (-0.5, 9.5)  # no padding: the squares fill the plot
    assert fig.layout.xaxis.title.text == "predicted" and charts.y_title(fig) == "true"
    assert (highlight.x, highlight.y) == (("9",), ("4",)) and highlight.marker.symbol == "square-open"
    assert len(charts.confusion_chart(confusion, DIGITS).data) == 3  # no highlight
    # every square's number is written once, over its square, by one of the two text traces
    written = {(x, y): int(t) for trace in (dark_numbers, light_numbers)
               for x, y, t in zip(trace.x, trace.y, trace.text, strict=True)}
    assert written == {(x, y): int(t) for x, y, t in zip(points.x, points.y, points.text, strict=True)}
    # A few errors are still visibly coloured next to the big diagonal (sqrt scale).
    shade = np.asarray(points.marker.color)
    assert shade[1] / shade.max() > confusion[0, 1] / 950 or confusion[0, 1] == 0


def test_a_stopped_runs_partial_epoch_is_marked_apart_from_the_curve():
    from mnistlab.insight.charts import history_chart

    history = {"loss": [0.9, 0.5], "val_loss": [0.8, 0.6],
               "partial_epoch": {"epoch": 3, "batches": 4, "of": 17, "loss": 1.7}}
    fig = history_chart(history, "loss")
    curve, partial = fig.data[0], fig.data[-1]
    assert list(curve.x) == [1, 2] and list(curve.y) == [0.9, 0.5]  # completed epochs only
    assert partial.mode == "markers" and list(partial.x) == [3] and list(partial.y) == [1.7]
    assert "stopped after 4 of 17 batches" in partial.name
    assert fig.layout.legend.yanchor == "top" and fig.layout.legend.y < 0  # under the plot: its long entry wraps
    complete = history_chart({"loss": [0.9]}, "loss")
    assert len(complete.data) == 1 and complete.layout.legend.yanchor == "bottom" and complete.layout.legend.y > 1


@pytest.mark.parametrize("names", [DIGITS, CLASS_NAMES["fashion_mnist"]])
def test_the_confusion_matrix_reads_on_a_projector(names):
    """Issue 18 item 7: big numbers that contrast with their square, a colour bar exactly the
    matrix's height, and its row title written horizontally."""
    confusion = np.random.default_rng(5).integers(0, 40, (10, 10))
    np.fill_diagonal(confusion, 980)
    figure = charts.confusion_chart(confusion, names)
    layout, (points, *numbers) = figure.to_plotly_json()["layout"], figure.data
    for trace in numbers:
        assert trace.mode == "text" and trace.textfont.size >= 14
        assert trace.unselected.textfont.color == trace.textfont.color  # no fading on a click
    # each number contrasts with its own square at least 4.5:1 (WCAG AA): white on the diagonal
    shade = np.asarray(points.marker.color)
    level = dict(zip(zip(points.x, points.y, strict=True), shade / shade.max(), strict=True))
    for trace in numbers:
        where = zip(trace.x, trace.y, strict=True)
        squares = sample_colorscale(charts.CONFUSION_SCALE, [level[xy] for xy in where])
        assert min(charts._contrast(trace.textfont.color, square) for square in squares) >= 4.5
    diagonal = {(n, n) for n in charts.class_labels(names)}
    white = next(t for t in numbers if t.textfont.color == "#ffffff")
    assert set(zip(white.x, white.y, strict=True)) >= diagonal
    # the colour bar is as tall as the matrix: the y domain's fraction of the plot, top-aligned
    bar = figure.to_plotly_json()["data"][0]["marker"]["colorbar"]
    y_domain = layout["yaxis"].get("domain", [0, 1])
    assert bar.get("lenmode", "fraction") == "fraction"
    assert bar["len"] == pytest.approx(y_domain[1] - y_domain[0])
    assert (bar["y"], bar["yanchor"]) == (y_domain[1], "top")
    # the matrix is square in pixels, so no part of the plot is left beside or under it
    margin = layout["margin"]
    plot_w = layout["width"] - margin["l"] - margin["r"]
    plot_h = layout["height"] - margin["t"] - margin["b"]
    x_domain = layout["xaxis"].get("domain", [0, 1])
    assert plot_w * (x_domain[1] - x_domain[0]) == pytest.approx(plot_h * (y_domain[1] - y_domain[0]))


def _horizontal_y_titles(figure: go.Figure) -> list[dict]:
    layout = figure.to_plotly_json()["layout"]
    assert not (layout.get("yaxis") or {}).get("title", {}).get("text"), "plotly draws an axis title sideways"
    return [a for a in layout.get("annotations") or () if a.get("name") == charts.Y_TITLE]


@pytest.mark.parametrize("build", [
    lambda: charts.class_counts_chart([5] * 10, [2] * 10, DIGITS),
    lambda: charts.confusion_chart(np.eye(10, dtype=int) * 3, DIGITS),
    lambda: charts.intensity_histogram(np.zeros((3, 28, 28), np.uint8)),
    lambda: charts.history_chart({"loss": [0.9, 0.5], "val_loss": [0.8, 0.6]}, "loss"),
    lambda: charts.overlay_chart({"a": {"accuracy": [0.5, 0.7]}}, "accuracy"),
    lambda: charts.probability_bars([0.1] * 10, DIGITS),
    lambda: charts_inside.units_chart(np.arange(8.0)),
    lambda: charts_inside.accuracy_change_chart(np.zeros(10), DIGITS, "B − A"),
    lambda: charts_inside.confusion_difference_chart(np.eye(10, dtype=int), DIGITS, "B − A"),
])
@pytest.mark.parametrize("language", ["en", "zh"])
def test_y_axis_titles_are_written_horizontally(build, language):
    """Issue 18 item 7: plotly turns a y axis's title sideways, unreadable in Chinese (真实, 概率)."""
    from mnistlab import i18n

    i18n.set_language_source(lambda: language)
    try:
        (title,) = _horizontal_y_titles(build())
    finally:
        i18n.set_language_source(None)
    assert title["text"] and title["textangle"] == 0 and title["showarrow"] is False
    assert bool(re.search(r"[\u4e00-\u9fff]", title["text"])) == (language == "zh"), title["text"]
