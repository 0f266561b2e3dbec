"""The way into the Inside page from wherever a student meets a digit (Evaluate, Draw, the map).

The digit travels in `st.session_state[INSIDE_KEY]` as an `InsideDigit`; Inside shows it.
Kept free of TensorFlow so Evaluate and Draw pay nothing for the link.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import streamlit as st

from mnistlab.data.pixels import IMAGE_SHAPE, to_uint8
from mnistlab.i18n import L_, Message, _
from ui.progress import record

INSIDE_KEY = "inside_digit"
INSIDE_PAGE = "app_pages/inside.py"
INDEX_KEY = "inside_index"  # the Inside page's "Test image" number


class InsideDigit(NamedTuple):
    image: np.ndarray  # uint8 (28, 28)
    label: int | None  # the true class, when known
    source: str | Message  # what the student reads, shown with str(): "test image 123", "your drawing"
    test_index: int | None = None


def set_inside_digit(image28: np.ndarray, label: int | None, source: str | Message,
                     test_index: int | None = None) -> None:
    image = to_uint8(image28).reshape(IMAGE_SHAPE)  # float images are taken as 0..1 (the drawing)
    st.session_state[INSIDE_KEY] = InsideDigit(image, None if label is None else int(label), source,
                                               None if test_index is None else int(test_index))
    record("digit_inspected", test_image=test_index is not None)
    if test_index is not None:  # the page's "Test image" box shows the same number
        st.session_state[INDEX_KEY] = int(test_index)


def look_inside_button(image28: np.ndarray, label: int | None, source: str | Message, key: str,
                       test_index: int | None = None, text: str | None = None) -> None:
    """A button that opens this digit on the Inside page (`text`: the button's words, "Look inside" when None)."""
    if st.button(text or _("Look inside"), key=key, icon=":material/neurology:",
                 help=_("See what every layer of the model makes of this digit, and why it answered.")):
        set_inside_digit(image28, label, source, test_index)
        st.switch_page(INSIDE_PAGE)


def inside_link_for_drawing(drawing: np.ndarray | None) -> None:
    """On Draw: open the current drawing on Inside, as the 28×28 image the model reads. Takes the
    canvas's RGBA drawing (made into an MNIST digit here) or that 28×28 image; nothing when empty."""
    from mnistlab.data.preprocess import to_mnist

    if drawing is None:
        return
    image = np.asarray(drawing)
    if image.size != 28 * 28:
        try:
            image = to_mnist(image)
        except ValueError:
            return
        if image is None:
            return
    look_inside_button(image, None, L_("your drawing"), key="draw_look_inside",
                       text=_("Look inside the model for this drawing"))


def look_inside_test_image(x_test: np.ndarray, y_test: np.ndarray, index: int, key: str,
                           what: str | Message = "") -> None:
    """On Evaluate: open one test image on Inside (`what` says e.g. "mistake #3")."""
    source = L_("{what} · test image {index}", what=what, index=index) if what else \
        L_("test image {index}", index=index)
    look_inside_button(x_test[index], int(y_test[index]), source, key=key, test_index=index)


def look_inside_picker(x_test: np.ndarray, y_test: np.ndarray, indices: np.ndarray, captions: list[str],
                       key: str) -> None:
    """Under a gallery: choose one of its digits and open it on Inside."""
    if len(indices) == 0:
        return
    with st.popover(_("Look inside one of these"), icon=":material/neurology:"):
        rank = st.selectbox(_("Digit"), range(len(indices)), key=f"{key}_pick",
                            format_func=lambda r: _("#{rank}: {caption} (test image {index})", rank=r + 1,
                                                    caption=captions[r], index=indices[r]))
        rank = 0 if rank is None else int(rank)
        look_inside_test_image(x_test, y_test, int(indices[rank]), key=f"{key}_open", what=f"#{rank + 1}")
