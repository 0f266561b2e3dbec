"""Inside's 2-D maps: how the model sorts test digits, next to how raw pixels sort them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from mnistlab.data.dataset import Dataset
from mnistlab.i18n import L_, N_, _, tr
from mnistlab.insight.charts_inside import embedding_chart
from mnistlab.insight.inside import MAX_EMBED_IMAGES, features, pixels, project
from ui.gallery import upscale
from ui.inside_links import set_inside_digit

METHODS = {"pca": N_("PCA (at once)"), "tsne": N_("t-SNE (slower, keeps neighbours together)")}
METHOD_KEY = "inside_map_method"


@dataclass(frozen=True, eq=False)
class Maps:
    model_xy: np.ndarray  # (n, 2): the first n test images by the layer before the output
    pixel_xy: np.ndarray  # (n, 2): the same images by their raw pixels


@st.cache_resource(max_entries=16, show_spinner=False)
def _model_map(_model: Any, model_key: str, _dataset: Dataset, fingerprint: str, method: str) -> np.ndarray:
    n = min(MAX_EMBED_IMAGES, len(_dataset.x_test))
    return project(features(_model, _dataset.x_test[:n]), method)


@st.cache_resource(max_entries=8, show_spinner=False)
def _pixel_map(_dataset: Dataset, fingerprint: str, method: str) -> np.ndarray:
    n = min(MAX_EMBED_IMAGES, len(_dataset.x_test))
    return project(pixels(_dataset.x_test[:n]), method)


def compute_maps(model: Any, model_key: str, dataset: Dataset, method: str) -> Maps:
    """PCA at once; t-SNE with a message per step (it takes a while on a small server)."""
    if method == "pca":
        return Maps(_model_map(model, model_key, dataset, dataset.fingerprint, method),
                    _pixel_map(dataset, dataset.fingerprint, method))
    n = min(MAX_EMBED_IMAGES, len(dataset.x_test))
    with st.status(_("Running t-SNE on {n:,} test images…", n=n), expanded=True) as status:
        st.write(_("1 of 2: the model's layer before the output…"))
        model_xy = _model_map(model, model_key, dataset, dataset.fingerprint, method)
        st.write(_("2 of 2: the raw pixels…"))
        pixel_xy = _pixel_map(dataset, dataset.fingerprint, method)
        status.update(label=_("t-SNE of {n:,} test images done.", n=n), state="complete", expanded=False)
    return Maps(model_xy, pixel_xy)


def clicked_row(event: Any) -> int | None:
    """The map row of a clicked point (its customdata), or None."""
    points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else \
        getattr(getattr(event, "selection", None), "points", []) or []
    for point in points:
        data = point.get("customdata")
        if isinstance(data, (list, tuple)):
            data = data[0] if data else None
        try:
            return int(data)
        except (TypeError, ValueError):
            continue
    return None


def _clicked(chart_key: str, dataset: Dataset) -> None:
    row = clicked_row(st.session_state.get(chart_key))
    if row is not None and 0 <= row < min(MAX_EMBED_IMAGES, len(dataset.x_test)):
        set_inside_digit(dataset.x_test[row], int(dataset.y_test[row]),
                         L_("test image {index} · from the map", index=row), row)


def map_section(model: Any, model_key: str, dataset: Dataset, y_pred: np.ndarray, class_names: tuple[str, ...],
                selected: int | None) -> None:
    n = min(MAX_EMBED_IMAGES, len(dataset.x_test))
    st.caption(_("Two 2-D maps of the first {n:,} test images: each dot is one test digit, coloured by its true "
                 "class; crosses are the model's mistakes. Left, the dots are placed by what the **layer before the "
                 "output** makes of them (the model's map); right, by their **raw pixels**. Classes that training "
                 "pulled apart form separate islands on the left. **Click a dot** to look inside that digit.", n=n))
    method = st.radio(_("Layout"), list(METHODS), format_func=lambda m: tr(METHODS[m]), key=METHOD_KEY,
                      horizontal=True)
    maps = compute_maps(model, model_key, dataset, method)
    y_true = dataset.y_test[:n]
    left, right = st.columns(2)
    for column, xy, title, key, wrong in (
            (left, maps.model_xy, _("What the model sees"), "inside_map_model", y_pred[:n]),
            (right, maps.pixel_xy, _("Raw pixels"), "inside_map_pixels", y_pred[:n])):
        figure = embedding_chart(xy, y_true, wrong, class_names, f"{title} · {method.upper()}", selected)
        column.plotly_chart(figure, key=key, on_select=lambda k=key: _clicked(k, dataset), selection_mode="points",
                            width="stretch", config={"displayModeBar": False, "scrollZoom": False})
    if selected is not None and 0 <= selected < n:
        image_col, text_col = st.columns([1, 4], vertical_alignment="center")
        image_col.image(upscale(dataset.x_test[selected], 3), width=84, output_format="PNG")
        if y_pred[selected] == y_true[selected]:
            text_col.markdown(_("Ringed on the maps: **test image {index}**, a {truth} (read right). Its layers are "
                                "shown in the *{tab}* tab.", tab=_("Layer by layer"), index=selected,
                                truth=class_names[y_true[selected]]))
        else:
            text_col.markdown(_("Ringed on the maps: **test image {index}**, a {truth} (read as {answer}). Its layers "
                                "are shown in the *{tab}* tab.", tab=_("Layer by layer"), index=selected,
                                truth=class_names[y_true[selected]],
                                answer=class_names[y_pred[selected]]))
