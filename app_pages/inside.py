"""Inside: what every layer of the session's model makes of one digit, why it answered,
and how it sorts the test digits."""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnistlab.data.dataset import CLASS_NAMES, DIGITS, Dataset
from mnistlab.errors import MnistlabError
from mnistlab.i18n import L_, _, tr
from mnistlab.insight.charts import probability_bars
from mnistlab.insight.charts_inside import WEIGHT_SCALE, maps_chart, saliency_chart, units_chart
from mnistlab.insight.evaluate import _as_probabilities
from mnistlab.insight.inside import (
    SALIENCY_METHOD,
    SMOOTHGRAD_SAMPLES,
    LayerOutput,
    dense_templates,
    first_conv_filters,
    layer_outputs,
    saliency,
)
from ui.gallery import upscale
from ui.guards import current_dataset, require_model
from ui.inside_links import INDEX_KEY, INSIDE_KEY, InsideDigit, set_inside_digit
from ui.inside_map import map_section
from ui.resources import evaluate_active
from ui.sidebar import dataset_title

TEMPLATES_KEY = "inside_templates"
TOP_UNITS = 5


def _shape(a: np.ndarray) -> str:
    return "×".join(str(d) for d in a.shape)


def _choose_index(dataset: Dataset) -> None:
    index = int(st.session_state[INDEX_KEY])
    set_inside_digit(dataset.x_test[index], int(dataset.y_test[index]), L_("test image {index}", index=index), index)


def _random(dataset: Dataset) -> None:
    index = int(np.random.default_rng().integers(len(dataset.x_test)))
    st.session_state[INDEX_KEY] = index
    set_inside_digit(dataset.x_test[index], int(dataset.y_test[index]), L_("random test image {index}", index=index),
                     index)


def digit_picker(dataset: Dataset) -> InsideDigit:
    """The digit to look at: the one sent here (Evaluate, Draw, the map) or a test image."""
    if INSIDE_KEY not in st.session_state:
        set_inside_digit(dataset.x_test[0], int(dataset.y_test[0]), L_("test image {index}", index=0), 0)
    if not 0 <= st.session_state.get(INDEX_KEY, 0) < len(dataset.x_test):  # a number from a bigger test set
        st.session_state[INDEX_KEY] = 0
    index_col, random_col = st.columns([2, 1], vertical_alignment="bottom")
    index_col.number_input(_("Test image"), 0, len(dataset.x_test) - 1, key=INDEX_KEY, step=1,
                           on_change=_choose_index, args=(dataset,))
    random_col.button(_("Random"), key="inside_random", on_click=_random, args=(dataset,),
                      icon=":material/casino:", width="stretch")
    return st.session_state[INSIDE_KEY]


def answer_section(digit: InsideDigit, probabilities: np.ndarray, names: tuple[str, ...]) -> None:
    predicted = int(np.argmax(probabilities))
    image_col, text_col = st.columns([1, 3], vertical_alignment="center")
    image_col.image(upscale(digit.image, 4), width=112, output_format="PNG", caption=str(digit.source))
    with text_col:
        st.markdown("### " + _("It reads **{name}** — {p:.0%}", name=names[predicted], p=probabilities[predicted]))
        if digit.label is None:
            st.caption(_("The true class of this digit is not known."))
        elif digit.label == predicted:
            st.caption(_("Right: it is a {name}.", name=names[digit.label]))
        else:
            st.markdown(_(":red[**A mistake**]: it is a **{name}** ({p:.0%} for that).", name=names[digit.label],
                          p=probabilities[digit.label]))


def why_section(model, digit: InsideDigit, predicted: int, names: tuple[str, ...]) -> None:
    st.caption(_("The saliency map: which pixels changed the answer. **{method}**: how much each pixel pushes the "
                 "score of a class (before the softmax) up (red) or down (blue), averaged over {samples} slightly "
                 "noisy copies of the digit, which makes it less speckled than a plain gradient (a barely trained "
                 "model still gives a noisy map). The black line is the digit's outline.",
                 method=SALIENCY_METHOD, samples=SMOOTHGRAD_SAMPLES))
    panels = [(_("Why {name} (its answer)", name=names[predicted]), saliency(model, digit.image, predicted))]
    if digit.label is not None and digit.label != predicted:
        panels.append((_("What speaks for {name} (the truth)", name=names[digit.label]),
                       saliency(model, digit.image, digit.label)))
    top = max(float(np.abs(values).max()) for _title, values in panels)  # one scale: the two maps compare
    for column, (number, (title, values)) in zip(st.columns(2), enumerate(panels), strict=False):
        column.plotly_chart(saliency_chart(digit.image, values, title, top), key=f"inside_saliency_{number}",
                            width="stretch", config={"displayModeBar": False})
    if len(panels) == 2:
        st.caption(_("Side by side: it said {answer} because of the red pixels on the left; the red pixels on the "
                     "right are those that looked like a {truth}.", answer=names[predicted], truth=names[digit.label]))


def explain(item: LayerOutput, previous: np.ndarray | None) -> str:
    a = item.array
    if item.kind == "flatten":
        if previous is None:
            return _("lays the 28×28 pixels out in one row of {size:,}; nothing is computed or learned.", size=a.size)
        return _("lays the {shape} numbers out in one row of {size:,}; nothing is computed or learned.",
                 shape=_shape(previous), size=a.size)
    if item.kind == "dropout":
        return _("during training it sets a random share of these numbers to 0 so no unit can rely on another; "
                 "**at prediction time it does nothing** — its output is its input.")
    if item.kind == "reshape":
        return _("changes the shape to {shape}; nothing is computed.", shape=_shape(a))
    if item.kind == "batchnorm":
        return _("rescales every channel with the mean and spread learned in training.")
    if item.kind == "conv2d":
        return _("{filters} filters slide over its input: {filters} feature maps of {height}×{width}; each map is "
                 "bright where its filter's pattern (an edge, a curve, a stroke's end) is found in the digit.",
                 filters=a.shape[-1], height=a.shape[0], width=a.shape[1])
    if item.kind == "pooling":
        return _("keeps the strongest value of each small square: the maps shrink, the patterns stay.")
    if item.kind == "dense" and not item.is_output:
        top = np.argsort(-a.ravel(), kind="stable")[:TOP_UNITS]  # as units_chart picks its red bars
        return _("{size:,} units, each a weighted sum of all its inputs; the {top} most active, in red, are units "
                 "{units}.", size=a.size, top=len(top), units=", ".join(str(i) for i in top))
    if item.is_output:
        return _("the model's answer: its 10 scores as probabilities (softmax), the highest wins.")
    return _("output {shape}.", shape=_shape(a))


def layer_section(items: list[LayerOutput], names: tuple[str, ...]) -> None:
    st.caption(_("Each layer's output for this digit, from the input to the answer: the numbers the layer hands "
                 "to the next one. A 2-D output is drawn as small pictures (feature maps: bright = a large value); "
                 "a row of units as bars. Maps of one layer share one colour scale, so they can be compared with "
                 "each other."))
    previous = None
    for number, item in enumerate(items, start=1):
        a = item.array
        st.markdown(f"**{number}. {item.name}** · {_shape(a)} — {explain(item, previous)}")
        previous = a
        if item.is_output:
            st.plotly_chart(probability_bars(_as_probabilities(a.reshape(1, -1))[0], names), key=f"inside_{number}",
                            config={"displayModeBar": False})
            st.caption(_("The bars: the probability of each class; they add up to 100%, the tallest (red) is the "
                         "answer."))
        elif item.kind in ("flatten", "dropout", "reshape"):
            continue
        elif a.ndim == 3:
            maps = np.moveaxis(a, -1, 0)
            if len(maps) > 64:
                st.caption(_("The first 64 of its {count} maps.", count=len(maps)))
            st.plotly_chart(maps_chart(maps, _("map")), key=f"inside_{number}", width="stretch",
                            config={"displayModeBar": False})
        elif a.ndim == 2:
            st.plotly_chart(maps_chart(a[None], _("map")), key=f"inside_{number}", config={"displayModeBar": False})
        elif a.ndim == 1:
            st.plotly_chart(units_chart(a, TOP_UNITS), key=f"inside_{number}", width="stretch",
                            config={"displayModeBar": False})


def weights_section(model) -> None:
    st.caption(_("Weights are what training learned, the same for every digit (the layers' outputs change with "
                 "each digit). The first layer's weights touch the pixels, so they can be drawn as pictures."))
    filters = first_conv_filters(model)
    if filters is not None:
        st.markdown(_("**The first Conv2D layer's {count} filters** ({height}×{width} weights each): the small "
                      "patterns it looks for. Blue weights like ink, red weights dislike it.", count=len(filters),
                      height=filters.shape[1], width=filters.shape[2]))
        st.plotly_chart(maps_chart(filters, _("filter"), WEIGHT_SCALE, symmetric=True), key="inside_filters",
                        width="stretch", config={"displayModeBar": False})
    all_units = dense_templates(model)
    if all_units is not None:
        count = st.slider(_("Units shown"), 1, min(64, len(all_units)), min(16, len(all_units)), key=TEMPLATES_KEY)
        st.markdown(_("**What each unit of the first Dense layer looks for**: its 784 weights as a 28×28 picture "
                      "(the first {count} of {total} units). Blue pixels raise the unit's output when inked, red ones "
                      "lower it.", count=count, total=len(all_units)))
        st.plotly_chart(maps_chart(all_units[:count], _("unit"), WEIGHT_SCALE, symmetric=True, height_per_row=110),
                        key="inside_templates_chart", width="stretch", config={"displayModeBar": False})
    if filters is None and all_units is None:
        st.info(_("This model has no Conv2D layer, and its first Dense layer does not read the pixels directly, so "
                  "its weights do not make pictures."))


def main() -> None:
    st.title(_("Inside the model"))
    active = require_model()
    dataset = current_dataset()
    if dataset is None:
        st.stop()
    names = dataset.class_names if dataset.name == active.dataset_name else CLASS_NAMES.get(active.dataset_name,
                                                                                            DIGITS)
    names = tuple(tr(name) for name in names)
    st.caption(_("Model: **{label}** · digits from {dataset}", label=str(active.label),
                 dataset=dataset_title(dataset.name)))
    if active.dataset_name != dataset.name:
        st.warning(_("This model learned {learned}, but the digits here come from {shown}.",
                     learned=dataset_title(active.dataset_name), shown=dataset_title(dataset.name)))
    digit = digit_picker(dataset)
    try:
        items = layer_outputs(active.model, digit.image)
        probabilities = _as_probabilities(items[-1].array.reshape(1, -1))[0]
        answer_section(digit, probabilities, names)
        predicted = int(np.argmax(probabilities))
        layers_tab, why_tab, weights_tab, map_tab = st.tabs([_("Layer by layer"), _("Why this answer"), _("Weights"),
                                                             _("How it sorts the digits")])
        with layers_tab:
            layer_section(items, names)
        with why_tab:
            why_section(active.model, digit, predicted, names)
        with weights_tab:
            weights_section(active.model)
        with map_tab:
            y_pred = evaluate_active(active, dataset).y_pred
            map_section(active.model, active.key, dataset, y_pred, names, digit.test_index)
    except MnistlabError as exc:
        st.error(str(exc))


main()
