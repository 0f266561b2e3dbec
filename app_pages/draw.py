"""Draw: write a digit with the mouse (or a finger) and watch the model read it."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from mnistlab.canvas import to_mnist
from mnistlab.charts import probability_bars
from mnistlab.data import CLASS_NAMES, DIGITS
from mnistlab.errors import DataError, MnistlabError
from mnistlab.evaluate import predict_digit
from mnistlab.jobs import DONE, QUEUED
from mnistlab.presets import PRESETS
from ui.draw_canvas import drawing_canvas, stroke_count
from ui.gallery import upscale
from ui.state import (
    ActiveModel,
    active_model,
    dataset_name,
    dataset_title,
    registry,
    session_id,
    set_active_model,
    shared_dataset,
)
from ui.upload import model_uploader

CANVAS_PX = 280  # 10× MNIST's 28 px
STROKE_PX = 20  # about the pen width of an MNIST digit at that scale
RESULT_PX = 480  # the guess, the 28×28 input and the bars; wraps below the canvas when narrower
# Test hook: an RGBA numpy array put here is used instead of the canvas's drawing,
# since AppTest cannot move a mouse. The app itself never sets it.
INJECTED_KEY = "injected_drawing"
DEFAULT_SPEC = PRESETS["mlp_relu_adam"].spec.replace(epochs=3, name="draw_default")
DEFAULT_LABEL = "default model: MLP relu/Adam, 3 epochs"


def default_model() -> ActiveModel:
    """The default digit model, trained once per machine (the training cache keeps it);
    shows the training's progress and reruns until it is ready."""
    try:
        mnist = shared_dataset("mnist")
    except DataError as exc:
        st.error(str(exc))
        st.stop()
    job = registry().submit(DEFAULT_SPEC, mnist, session_id())
    if job.state == DONE and job.result is not None:
        active = ActiveModel(job.result.model, DEFAULT_LABEL, job.model_key, mnist.name, DEFAULT_SPEC)
        set_active_model(active)
        return active
    if not job.active:  # failed, or stopped: it is gone from the registry, so a rerun trains again
        st.error(job.error or "The default model's training stopped before the end.")
        st.button("Try again", key="draw_retry")
        st.stop()
    st.info("No model in this session yet, so a small default model is being trained for drawing. "
            "It is trained once and kept, so next time it loads in a moment.", icon=":material/hourglass_top:")
    if job.state == QUEUED:
        st.progress(0.0, text=f"Waiting for a free trainer: number {registry().position(job)} in the queue.")
    elif job.progress is None:
        st.progress(0.0, text="Starting… (building the model)")
    else:
        p = job.progress
        st.progress(p.fraction, text=f"Training the default model: epoch {p.epoch} of {p.epochs}, "
                                     f"batch {p.batch} of {p.batches}")
    job.wait(timeout=0.5)
    st.rerun()


def show_prediction(model: Any, drawing: np.ndarray | None, class_names: tuple[str, ...]) -> np.ndarray | None:
    """What the model makes of an RGBA drawing: the 28×28 image it sees, its top guess
    and all 10 probabilities. Returns the probabilities, or None for an empty drawing."""
    try:
        image28 = to_mnist(drawing)
    except ValueError as exc:
        st.error(f"This drawing cannot be read: {exc}")
        return None
    if image28 is None:
        st.info("Draw a digit in the box: large, in one or two strokes, like on paper.", icon=":material/draw:")
        return None
    try:
        probabilities = predict_digit(model, image28)
    except MnistlabError as exc:
        st.error(str(exc))
        return None
    first, second = np.argsort(-probabilities)[:2]
    st.markdown(f"## It's a {class_names[first]} — {probabilities[first]:.0%}")
    st.caption(f"Second guess: {class_names[second]} ({probabilities[second]:.0%})")
    image_col, bars_col = st.columns([1, 2], vertical_alignment="center")
    image_col.image(upscale(image28, 6), caption="What the model sees: 28×28 pixels", width=168,
                    output_format="PNG")
    bars_col.plotly_chart(probability_bars(probabilities, class_names), key="draw_probabilities",
                          config={"displayModeBar": False})
    return probabilities


st.title("Draw")
model_uploader("draw_upload")
active = active_model()
if active is None:
    if dataset_name() != "mnist":
        st.info(f"Drawing is for digits: the default model learns from MNIST, not from "
                f"{dataset_title(dataset_name())}.")
    active = default_model()
if active.label == DEFAULT_LABEL:
    st.info("You are drawing for the **default model** (an MLP with relu and Adam, 3 epochs on MNIST). "
            "Train your own on the Train page and it is used here instead.")
    st.page_link("app_pages/train.py", label="Go to Train", icon=":material/model_training:")
else:
    st.caption(f"Model: **{active.label}**")
if active.dataset_name == "fashion_mnist":
    st.warning("This model learned Fashion-MNIST, so it will say which piece of clothing your drawing "
               "looks like.")



@st.fragment
def drawing_panel(active: ActiveModel) -> None:
    """The canvas and its answer: a stroke reruns only this, not the page or the sidebar."""
    # A fixed-width box for the canvas (a column could be narrower than it and clip it);
    # on a narrow screen the result wraps below.
    row = st.container(horizontal=True, gap="large")
    canvas_col, result_col = row.container(width=CANVAS_PX + 8), row.container(width=RESULT_PX)
    with canvas_col:
        canvas = drawing_canvas(CANVAS_PX, STROKE_PX, key="draw_canvas")
        st.caption("White ink on black, like MNIST. Undo, redo or clear with the buttons under the box.")
        st.caption(f"Strokes on the canvas: {stroke_count(canvas)}")
    drawing = st.session_state.get(INJECTED_KEY)
    if drawing is None:
        drawing = canvas.image_data
    with result_col:
        show_prediction(active.model, drawing, CLASS_NAMES.get(active.dataset_name, DIGITS))


drawing_panel(active)
