"""Evaluate: how good is the session's model on the test set, and where does it fail."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

from mnistlab.errors import MnistlabError
from mnistlab.i18n import N_, _, n_, tr
from mnistlab.insight.charts import confusion_chart, probability_bars
from mnistlab.insight.evaluate import Evaluation
from ui.draw_labels import drawings_section
from ui.gallery import gallery, how_many_shown, show_more_button, upscale
from ui.guards import current_dataset, require_model
from ui.inside_links import look_inside_picker, look_inside_test_image
from ui.progress import record
from ui.resources import evaluate_active
from ui.sidebar import dataset_title
from ui.upload import model_uploader

TRUE_KEY, PRED_KEY = "eval_cell_true", "eval_cell_pred"
PAGE = 30  # images per "Show more"
PAIRS_SHOWN = 10
EXAMPLES_PER_PAIR = 6
ROW_PX = 64  # a row of the confused-pairs table: room for 56 px examples
MOST_CONFIDENT, LEAST_CONFIDENT = N_("most confident first"), N_("least confident first")


def caption(ev: Evaluation, index: int) -> str:
    """The tutorials' "P {predicted}, C {correct}" title, with the model's confidence."""
    names = ev.class_names
    return _("P {predicted}, C {correct} · {confidence:.0%}", predicted=names[ev.y_pred[index]],
             correct=names[ev.y_true[index]], confidence=ev.confidence[index])


def indexed_gallery(ev: Evaluation, x_test: np.ndarray, indices: np.ndarray, key: str, context: object) -> None:
    """The first images of `indices` (already in the order to show), with "Show more"."""
    shown = how_many_shown(key, len(indices), PAGE, context)
    gallery([x_test[i] for i in indices[:shown]], [caption(ev, i) for i in indices[:shown]])
    show_more_button(key, len(indices), PAGE, shown, context)
    look_inside_picker(x_test, ev.y_true, indices[:shown], [caption(ev, i) for i in indices[:shown]], key)


def clicked_cell(point: dict) -> tuple[int, int] | None:
    """(true, predicted) of a clicked confusion-matrix square, from its customdata.

    Plotly sends customdata made from a NumPy array as a typed array, which arrives
    here as {"0": true, "1": predicted} rather than a list; both are accepted."""
    data = point.get("customdata")
    if isinstance(data, dict):
        data = [data.get(k) for k in ("0", "1")]
    try:
        true, pred = (int(v) for v in list(data)[:2])
    except (TypeError, ValueError):
        return None
    return (true, pred) if 0 <= true < 10 and 0 <= pred < 10 else None


def _chart_clicked() -> None:
    """A click on a confusion-matrix square chooses that cell in the two selectboxes."""
    event = st.session_state.get("confusion")
    points = event["selection"]["points"] if event else []
    cell = clicked_cell(points[0]) if points else None
    if cell is not None:
        st.session_state[TRUE_KEY], st.session_state[PRED_KEY] = cell
        record("confusion_cell_opened", true=cell[0], predicted=cell[1])


def confusion_section(ev: Evaluation, x_test: np.ndarray, context: object) -> None:
    names = ev.class_names
    st.subheader(_("Confusion matrix"))
    st.caption(_("Each row is a true digit, each column what the model answered; a square counts the test images "
                 "of that row read as that column. The diagonal holds the right answers, every other square a kind "
                 "of mistake: a dark square off the diagonal is a pair the model mixes up. Click a square, or "
                 "choose it on the right, to see exactly those test images."))
    if TRUE_KEY not in st.session_state or PRED_KEY not in st.session_state:
        true, pred, _count = ev.confused_pairs[0] if ev.confused_pairs else (0, 0, 0)
        st.session_state[TRUE_KEY], st.session_state[PRED_KEY] = true, pred
    chart_col, cell_col = st.columns([3, 2], gap="large")
    with chart_col:
        figure = confusion_chart(ev.confusion, names, selected=(st.session_state[TRUE_KEY], st.session_state[PRED_KEY]))
        st.plotly_chart(figure, on_select=_chart_clicked, width="content",
                        selection_mode="points", key="confusion", config={"displayModeBar": False})
    with cell_col:
        left, right = st.columns(2)
        true = left.selectbox(_("True class"), range(10), format_func=names.__getitem__, key=TRUE_KEY)
        pred = right.selectbox(_("Predicted as"), range(10), format_func=names.__getitem__, key=PRED_KEY)
        indices = ev.cell_indices(true, pred)
        if true == pred:
            st.markdown(n_("**{n:,}** test image of **{true}** that the model got right.",
                           "**{n:,}** test images of **{true}** that the model got right.",
                           len(indices), true=names[true]))
        else:
            st.markdown(n_("**{n:,}** test image of **{true}** that the model read as **{predicted}**.",
                           "**{n:,}** test images of **{true}** that the model read as **{predicted}**.",
                           len(indices), true=names[true], predicted=names[pred]))
        if len(indices) == 0:
            st.caption(_("None: this square is empty."))
        else:  # the first gallery of the page: its captions are explained here, before the Mistakes section
            st.caption(_("Under each image: P = what the model predicted, C = the correct class, then how sure the "
                         "model was."))
        indexed_gallery(ev, x_test, indices, "cell_gallery", (context, true, pred))


def per_class_section(ev: Evaluation) -> None:
    st.subheader(_("Per class"))
    st.caption(_("**Precision**: of the images the model called this class, the share that were. "
                 "**Recall**: of the images of this class, the share the model found. "
                 "**F1**: the two combined (their harmonic mean), high only when both are. "
                 "**Support**: test images of the class. A low row is a digit worth a look in the galleries below."))
    klass, precision, recall, support = _("class"), _("precision"), _("recall"), _("support")
    table = pd.DataFrame({klass: ev.class_names, precision: 100 * ev.precision, recall: 100 * ev.recall,
                          "F1": 100 * ev.f1, support: ev.support})
    percent = {"format": "%.1f%%", "width": "small"}
    st.dataframe(table, hide_index=True, key="per_class", width="content", column_config={
        klass: st.column_config.TextColumn(klass),
        precision: st.column_config.NumberColumn(precision, **percent),
        recall: st.column_config.NumberColumn(recall, **percent),
        "F1": st.column_config.NumberColumn("F1", **percent),
        support: st.column_config.NumberColumn(support, format="localized", width="small"),
    })


def errors_section(ev: Evaluation, x_test: np.ndarray, context: object) -> None:
    st.subheader(_("Mistakes"))
    if len(ev.errors) == 0:
        st.success(_("No mistakes at all on the test set."))
        return
    st.caption(n_("The {n:,} test image the model got wrong. Under each image: P = what the model predicted, "
                  "C = the correct digit, then how sure the model was. The most confident mistakes come first: "
                  "some are badly written digits, some are wrong labels, some are the model's real blind spots.",
                  "The {n:,} test images the model got wrong, the most confident mistakes first. Under each image: "
                  "P = what the model predicted, C = the correct digit, then how sure the model was. Some are "
                  "badly written digits, some are wrong labels, some are the model's real blind spots.",
                  len(ev.errors)))
    indexed_gallery(ev, x_test, ev.errors, "error_gallery", context)

    st.markdown(_("##### One mistake up close"))
    shown = how_many_shown("error_gallery", len(ev.errors), PAGE, context)
    pick_col, _unused = st.columns([1, 2])
    pick = pick_col.selectbox(_("Mistake"), list(range(shown)), key="error_pick",
                              format_func=lambda rank: f"#{rank + 1}: {caption(ev, ev.errors[rank])}")
    index = int(ev.errors[pick if pick is not None else 0])
    image_col, bars_col = st.columns([1, 3], vertical_alignment="center")
    image_col.image(upscale(x_test[index], 6), caption=caption(ev, index), width=168, output_format="PNG")
    with image_col:
        look_inside_test_image(x_test, ev.y_true, index, key="error_look_inside",
                               what=_("mistake #{rank}", rank=(pick or 0) + 1))
    bars_col.plotly_chart(probability_bars(ev.probabilities[index], ev.class_names), key="error_probabilities",
                          config={"displayModeBar": False})
    bars_col.caption(_("The model's softmax output for this image: a probability for each class, adding up to 100%. "
                       "Its answer is the tallest bar (red); a second tall bar shows what it hesitated with."))


def correct_section(ev: Evaluation, x_test: np.ndarray, context: object) -> None:
    st.subheader(_("Right answers"))
    if len(ev.correct) == 0:
        st.info(_("The model got no test image right."))
        return
    order = st.radio(_("Order"), [MOST_CONFIDENT, LEAST_CONFIDENT], key="correct_order", format_func=tr,
                     horizontal=True, label_visibility="collapsed")
    indices = ev.correct if order == MOST_CONFIDENT else ev.correct[::-1]
    st.caption(n_("{n:,} test image the model got right, with how sure it was. The least confident ones are the "
                  "near misses.",
                  "{n:,} test images the model got right, with how sure it was. The least confident ones are the "
                  "near misses.", len(ev.correct)))
    indexed_gallery(ev, x_test, indices, "correct_gallery", (context, order))


def _strip(images: list[np.ndarray]) -> str:
    """Example images side by side, as a data URI a table cell can show."""
    gap = np.full((56, 4), 255, dtype=np.uint8)  # white between the black digits
    row = np.concatenate([part for image in images for part in (upscale(image, 2), gap)][:-1], axis=1)
    buffer = io.BytesIO()
    Image.fromarray(row).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def pairs_section(ev: Evaluation, x_test: np.ndarray) -> None:
    st.subheader(_("Most confused pairs"))
    if not ev.confused_pairs:
        st.caption(_("No pair of classes is ever confused."))
        return
    names = ev.class_names
    pair, count_, share, examples_ = _("true → predicted"), _("count"), _("of the class"), _("examples")
    rows = []
    for true, pred, count in ev.confused_pairs[:PAIRS_SHOWN]:
        examples = ev.cell_indices(true, pred)[:EXAMPLES_PER_PAIR]
        rows.append({pair: f"{names[true]} → {names[pred]}", count_: count,
                     share: 100 * count / max(int(ev.support[true]), 1),
                     examples_: _strip([x_test[i] for i in examples])})
    st.caption(_("The biggest squares off the confusion matrix's diagonal, largest first: which true class is most "
                 "often read as which other class, how many times, and a few of those images (most confident "
                 "mistakes first)."))
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="confused_pairs", row_height=ROW_PX, width="content",
                 height=len(rows) * ROW_PX + 40,  # every row and the header, no inner scrolling
                 column_config={
                     count_: st.column_config.NumberColumn(count_, width="small"),
                     share: st.column_config.NumberColumn(
                         share, format="%.0f%%", width="small",
                         help=_("The share of the true class's test images read as the other class.")),
                     examples_: st.column_config.ImageColumn(examples_, width="large", alignment="left"),
                 })


st.title(_("Evaluate"))
model_uploader("evaluate_upload")
active = require_model()
dataset = current_dataset()
if dataset is None:
    st.stop()
if active.dataset_name != dataset.name:
    st.warning(_("This model was trained on {trained} but is being evaluated on {shown}: expect poor results. "
                 "Choose {trained} in the sidebar to evaluate it on the data it learned from.",
                 trained=dataset_title(active.dataset_name), shown=dataset_title(dataset.name)))
try:
    ev = evaluate_active(active, dataset)
except MnistlabError as exc:
    st.error(str(exc))
    st.stop()

if dataset.is_sample:
    st.markdown(_("Model: **{model}** · test set: {n:,} images of {dataset} (the offline sample)",
                  model=str(active.label), n=len(ev.y_true), dataset=dataset_title(dataset.name)))
else:
    st.markdown(_("Model: **{model}** · test set: {n:,} images of {dataset}",
                  model=str(active.label), n=len(ev.y_true), dataset=dataset_title(dataset.name)))
st.caption(_("The test set is kept apart from training and validation: the model never saw these images, so "
             "its score here says how well it reads new digits."))
accuracy_col, loss_col, errors_col = st.columns(3)
accuracy_col.metric(_("Test accuracy"), f"{ev.accuracy:.2%}", border=True,
                    help=_("The share of the test images whose most probable class is the right one."))
loss_col.metric(_("Test loss"), f"{ev.loss:.4f}", border=True,
                help=_("Categorical cross-entropy on the test set: lower is better."))
errors_col.metric(_("Mistakes"), f"{len(ev.errors):,} / {len(ev.y_true):,}", border=True,  # short: fits any width
                  help=_("How many test images the model answers wrongly, out of all the test images."))

context = (active.key, dataset.fingerprint)
x_test = dataset.x_test
confusion_section(ev, x_test, context)
per_class_section(ev)
errors_section(ev, x_test, context)
correct_section(ev, x_test, context)
pairs_section(ev, x_test)
if dataset.name == "mnist":
    drawings_section(active, ev.accuracy)
