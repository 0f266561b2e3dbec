"""Draw: write a digit with the mouse (or a finger) and watch the model read it."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from mnistlab.data.dataset import CLASS_NAMES, DIGITS
from mnistlab.data.preprocess import drawing_problem, plain_resize, to_mnist
from mnistlab.errors import DataError, MnistlabError
from mnistlab.i18n import L_, _, tr
from mnistlab.insight.charts import probability_bars
from mnistlab.insight.evaluate import predict_digit
from mnistlab.model.default import default_model_key, load_default_model, shipped_spec
from ui.draw_canvas import drawing_canvas, stroke_count
from ui.draw_labels import drawings_score, label_buttons, own_drawings, score_line
from ui.gallery import upscale
from ui.inside_links import inside_link_for_drawing
from ui.resources import evaluate_active, shared_dataset
from ui.session import ActiveModel, active_model, dataset_name, set_active_model
from ui.sidebar import dataset_title
from ui.upload import model_uploader

CANVAS_PX = 280  # 10× MNIST's 28 px
STROKE_PX = 20  # any pen will do: to_mnist brings strokes to MNIST's width
RESULT_PX = 480  # the guess, the 28×28 input and the bars; wraps below the canvas when narrower
NAIVE_KEY = "draw_naive"
# said in the reader's language wherever the model's label is shown (`str()`), Evaluate's and Inside's too
DEFAULT_LABEL = L_("the default model: a compact CNN trained with augmentation")


def default_model() -> ActiveModel:
    """The default digit model, shipped with the app (mnistlab/model/default/): ready at once, trains nothing."""
    try:
        model = load_default_model()
    except Exception as exc:  # whatever Keras raises on a missing or damaged file: a broken install
        st.error(_("The default model cannot be loaded ({error}); train a model on the Train page to draw for it.",
                   error=f"{type(exc).__name__}: {exc}"))
        st.page_link("app_pages/train.py", label=_("Go to Train"), icon=":material/model_training:")
        st.stop()
    active = ActiveModel(model, DEFAULT_LABEL, default_model_key(), "mnist", shipped_spec())
    set_active_model(active)
    return active


def answer(model: Any, image28: np.ndarray, class_names: tuple[str, ...], title: str, size: int) -> np.ndarray:
    """`title`: the markdown heading's start ("##", or "#### " and a translated name)."""
    probabilities = predict_digit(model, image28)
    first, second = np.argsort(-probabilities)[:2]
    st.markdown(f"{title} " + _("It's a {name} — {p:.0%}", name=class_names[first], p=probabilities[first]))
    st.caption(_("Second guess: {name} ({p:.0%})", name=class_names[second], p=probabilities[second]))
    st.image(upscale(image28, size // 28), caption=_("What the model sees: 28×28 pixels"), width=size,
             output_format="PNG")
    return probabilities


def show_prediction(model: Any, drawing: np.ndarray | None, class_names: tuple[str, ...],
                    naive: bool) -> tuple[np.ndarray | None, str | None]:
    """What the model makes of the canvas's drawing (white ink on black): the 28×28 image it sees, its top guess and all
    10 probabilities (or, with `naive`, that beside what a plain resize gives it). Returns the
    28×28 image and what is wrong with the drawing, if anything."""
    try:
        image28 = to_mnist(drawing)
        problem = drawing_problem(drawing)
    except ValueError as exc:
        st.error(_("This drawing cannot be read: {reason}", reason=str(exc)))
        return None, str(exc)
    if image28 is None:
        st.info(_("Draw a digit in the box: large, in one or two strokes, like on paper."), icon=":material/draw:")
        return None, None
    if problem:
        problem = str(problem)  # a sentence, or a message said in the reader's language
        st.warning(problem, icon=":material/gesture:")
        return image28, problem
    if model is None:
        return image28, None
    try:
        if naive:
            plain, faithful = st.columns(2)
            with plain:
                answer(model, plain_resize(drawing), class_names, "#### " + _("Plain resize:"), 140)
                st.caption(_("The whole box squeezed to 28×28: small, thin, off centre — not what MNIST looks "
                             "like."))
            with faithful:
                answer(model, image28, class_names, "#### " + _("MNIST-style:"), 140)
                st.caption(_("Cropped, pen width made MNIST's, fitted in 20×20, centred by mass: what the model "
                             "learned from."))
            st.caption(_("The same drawing, the same model, two answers: a model only knows digits that look "
                         "like the ones it learned from, so the drawing must be prepared the same way."))
        else:
            probabilities = answer(model, image28, class_names, "##", 168)
            st.caption(_("The picture: your drawing cropped, centred and shrunk to 28×28 gray pixels like "
                         "MNIST's digits. These 784 numbers (0 = black, 1 = white) are all the model reads."))
            st.plotly_chart(probability_bars(probabilities, class_names), key="draw_probabilities",
                            config={"displayModeBar": False})
            st.caption(_("The bars: the model's probability for each class (the softmax output), adding up to "
                         "100%; its answer is the tallest, in red. A second tall bar means it hesitated."))
    except MnistlabError as exc:
        st.error(str(exc))
    return image28, None


def class_score(active: ActiveModel) -> None:
    """How many of the class's labelled drawings this model reads right, beside its MNIST accuracy."""
    score = drawings_score(active)
    if score is None:
        return
    accuracy = None
    if active.dataset_name == "mnist":
        try:
            accuracy = evaluate_active(active, shared_dataset("mnist")).accuracy
        except DataError:
            accuracy = None
    st.caption(score_line(score, accuracy, on_draw=True))


def drawing_panel(active: ActiveModel) -> None:
    """The canvas and its answer: a stroke reruns only this, not the page or the sidebar."""
    # A fixed-width box for the canvas (a column could be narrower than it and clip it);
    # on a narrow screen the result wraps below.
    row = st.container(horizontal=True, gap="large")
    canvas_col, result_col = row.container(width=CANVAS_PX + 8), row.container(width=RESULT_PX)
    with canvas_col:
        canvas = drawing_canvas(CANVAS_PX, STROKE_PX, key="draw_canvas")
        st.caption(_("White ink on black, like MNIST. Undo, redo or clear with the buttons under the box."))
        st.caption(_("Strokes on the canvas: {count}", count=stroke_count(canvas)))
        naive = st.toggle(_("Compare with a plain resize"), key=NAIVE_KEY,
                          help=_("Side by side: the drawing squeezed to 28×28 as it is, and prepared the way "
                                 "MNIST's digits were — each with the model's answer."))
    drawing = canvas.image_data
    class_names = tuple(tr(name) for name in CLASS_NAMES.get(active.dataset_name, DIGITS))
    with result_col:
        image28, problem = show_prediction(active.model, drawing, class_names, naive)
        label_buttons(image28, problem, class_names)
        class_score(active)
        if image28 is not None and not problem:
            inside_link_for_drawing(image28)


st.title(_("Draw"))
model_uploader("draw_upload")
active = active_model()
if active is None:
    if dataset_name() != "mnist":
        st.info(_("Drawing is for digits: the default model learns from MNIST, not from {dataset}.",
                  dataset=dataset_title(dataset_name())))
    active = default_model()
if active.label == DEFAULT_LABEL:
    st.info(_("You are drawing for the **default model**: a small CNN trained on MNIST with shifted, turned, "
              "zoomed and re-inked digits, so it copes with drawn ones. Train your own on the Train page and it "
              "is used here instead."))
    st.page_link("app_pages/train.py", label=_("Go to Train"), icon=":material/model_training:")
else:
    st.caption(_("Model: **{label}**", label=str(active.label)))
if active.dataset_name == "fashion_mnist":
    st.warning(_("This model learned Fashion-MNIST, so it will say which piece of clothing your drawing "
                 "looks like."))

st.fragment(drawing_panel)(active)
own_drawings()
