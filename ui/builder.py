"""The sidebar model builder: a preset or an empty model, layers, training settings.

The draft lives in session_state as (uid, kind) pairs plus a plain dict of values
(ui.builder_draft) that the widgets mirror, so it survives page switches and runs cut short;
the spec is rebuilt from the draft on every run and validated by the core. Changing it never
touches a training already running: that job holds its own copy of the spec.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from mnistlab.errors import DataError, SpecError
from mnistlab.i18n import L_, _, n_, tr
from mnistlab.model.activations import svg as activation_svg
from mnistlab.model.budget import check_server_limits, megabytes, training_memory, training_memory_budget
from mnistlab.model.layers import KINDS, Field
from mnistlab.model.presets import PRESETS
from mnistlab.model.spec import (
    LAYER_FIELDS,
    LAYER_TITLES,
    LIMITS,
    MAX_SPEC_JSON_CHARS,
    LayerSpec,
    ModelSpec,
    default_layer,
    layer_table,
    param_count,
)
from ui.builder_draft import DRAFT_KEY, draft, draft_widget, has_draft, set_value
from ui.builder_rules import check_rules, layer_choices, locked, rules_panel
from ui.builder_settings import training_widgets
from ui.concepts import (
    FIELD_HELP,
    LAYER_NOTES,
    activation_help,
    add_help,
    export_help,
    import_help,
    load_help,
    new_layer_help,
    preset_help,
)
from ui.resources import shared_dataset
from ui.session import DATASET_KEY
from ui.uploader import file_uploader

LAYERS_KEY = "builder_layers"  # list of [uid, kind]
SPEC_KEY = "spec"  # the current valid ModelSpec, or None
ERROR_KEY = "spec_error"  # the SpecError message, or ""
ORIGIN_KEY = "builder_origin"  # the preset the draft started from
LINK_ERROR_KEY = "builder_link_error"  # why the ?spec= link was refused, or ""
DEFAULT_PRESET = "mlp_relu_adam"
EMPTY = "empty"

# Training settings: widget key → spec field
SETTINGS = {
    "opt_optimizer": "optimizer",
    "opt_learning_rate": "learning_rate",
    "opt_momentum": "momentum",
    "opt_nesterov": "nesterov",
    "opt_decay": "decay",
    "opt_batch_size": "batch_size",
    "opt_epochs": "epochs",
    "opt_validation_split": "validation_split",
    "opt_train_size": "train_size",
    "opt_seed": "seed",
    "opt_augmentation": "augmentation",
}


def _field_key(uid: int, name: str) -> str:
    return f"layer_{uid}_{name}"


def _next_uid() -> int:
    st.session_state["builder_uid"] = st.session_state.get("builder_uid", 0) + 1
    return st.session_state["builder_uid"]


def _add_layer_state(layer: LayerSpec) -> list:
    uid = _next_uid()
    for name in LAYER_FIELDS[layer.kind]:
        set_value(_field_key(uid, name), getattr(layer, name))
    return [uid, layer.kind]


def load_spec(spec: ModelSpec, origin: str) -> None:
    """Replace the draft with `spec` (a callback: runs before the widgets are drawn)."""
    st.session_state[DRAFT_KEY] = {}
    st.session_state[LAYERS_KEY] = [_add_layer_state(layer) for layer in spec.layers]
    for key, name in SETTINGS.items():
        set_value(key, getattr(spec, name))
    st.session_state[ORIGIN_KEY] = origin
    st.session_state[LINK_ERROR_KEY] = ""  # a refused link's message stays until another model is loaded


def _load_preset() -> None:
    choice = st.session_state["builder_preset"]
    if choice == EMPTY:
        load_spec(ModelSpec(), EMPTY)
    else:
        load_spec(PRESETS[choice].spec, choice)


def _add_layer() -> None:
    kind = st.session_state["builder_new_kind"]
    st.session_state[LAYERS_KEY].append(_add_layer_state(default_layer(kind)))


def _move(index: int, step: int) -> None:
    layers = st.session_state[LAYERS_KEY]
    other = index + step
    if 0 <= other < len(layers):
        layers[index], layers[other] = layers[other], layers[index]


def _remove(index: int) -> None:
    uid, kind = st.session_state[LAYERS_KEY].pop(index)
    for name in LAYER_FIELDS[kind]:
        draft().pop(_field_key(uid, name), None)


def _import_json() -> None:
    upload = st.session_state.get("builder_import")
    if upload is None:
        return
    try:
        spec = ModelSpec.from_json(upload.getvalue()[:MAX_SPEC_JSON_CHARS + 1])  # longer is refused anyway
    except SpecError as exc:
        st.session_state["builder_import_error"] = L_("{file}: {problem}", file=upload.name, problem=exc.message)
        return
    st.session_state["builder_import_error"] = ""
    load_spec(spec, spec.name)


def _init_state() -> None:
    if LAYERS_KEY in st.session_state and has_draft():
        return
    shared = st.query_params.get("spec")
    if shared:
        try:
            load_spec(ModelSpec.from_json(shared), "shared_link")
            return
        except SpecError as exc:
            load_spec(PRESETS[DEFAULT_PRESET].spec, DEFAULT_PRESET)
            st.session_state[LINK_ERROR_KEY] = L_("The shared link's model could not be used: {problem}",
                                                  problem=exc.message)
            return
    load_spec(PRESETS[DEFAULT_PRESET].spec, DEFAULT_PRESET)


def _layer_from_state(uid: int, kind: str) -> LayerSpec:
    values = {name: draft().get(_field_key(uid, name)) for name in LAYER_FIELDS[kind]}
    base = default_layer(kind)
    return LayerSpec(kind, **{k: (v if v is not None else getattr(base, k)) for k, v in values.items()})


def draft_spec() -> tuple[ModelSpec | None, str]:
    """The spec the draft describes, or None and the reason it is impossible."""
    layers = [_layer_from_state(uid, kind) for uid, kind in st.session_state[LAYERS_KEY]]
    settings = {name: draft()[key] for key, name in SETTINGS.items()}
    if settings["optimizer"] != "sgd":
        settings.update(momentum=0.0, nesterov=False)
    origin = st.session_state.get(ORIGIN_KEY, "custom")
    try:
        spec = ModelSpec(tuple(layers), **settings)
        check_server_limits(spec)  # the server's policy, shown here before anyone presses Train
        check_rules(spec)  # and the rules of the challenge the session is in
    except SpecError as exc:
        return None, str(exc)
    preset = PRESETS.get(origin)
    if preset is None:
        return spec.replace(name="custom"), ""
    return spec.replace(name=origin if preset.spec == spec else f"{origin}_modified"), ""


def _field_widget(place: Any, uid: int, setting: Field, frozen: bool) -> None:
    """One layer setting's widget, as the layer table describes it (`frozen`: the teacher locked the layers)."""
    key, helper = _field_key(uid, setting.name), FIELD_HELP.get(setting.name)
    help_text = helper() if helper else None
    if setting.choices:
        draft_widget(place.selectbox, tr(setting.label), key, options=setting.choices, help=help_text, disabled=frozen)
    else:
        low, high = setting.limits
        draft_widget(place.number_input, tr(setting.label), key, min_value=low, max_value=high, step=setting.step,
                     format=setting.format, help=help_text, disabled=frozen)


def _layer_widgets(index: int, uid: int, kind: str, count: int) -> None:
    layer, frozen = _layer_from_state(uid, kind), locked("layers")

    # keyed: the panel keeps its identity (and stays open) while its title follows the edits
    with st.expander(f"{index + 1}. {layer.describe()}", expanded=False, key=f"layer_panel_{uid}"):
        if kind in LAYER_NOTES:
            st.caption(tr(LAYER_NOTES[kind]))
        settings = [f for f in KINDS[kind].fields if f.name != "activation"]
        places = st.columns(2) if len(settings) > 1 else [st]
        for number, setting in enumerate(settings):
            _field_widget(places[number % len(places)], uid, setting, frozen)
        for setting in KINDS[kind].fields:
            if setting.name == "activation":  # with the help and the curve of the chosen one
                draft_widget(st.selectbox, tr(setting.label), _field_key(uid, "activation"),
                             options=setting.choices, help=activation_help(layer.activation), disabled=frozen)
                st.image(activation_svg(layer.activation), width=240)
        up, down, remove = st.columns(3)
        up.button("↑", key=f"up_{uid}", on_click=_move, args=(index, -1), disabled=frozen or index == 0,
                  help=_("Move this layer up"), width="stretch")
        down.button("↓", key=f"down_{uid}", on_click=_move, args=(index, 1), disabled=frozen or index == count - 1,
                    help=_("Move this layer down"), width="stretch")
        remove.button("✕", key=f"remove_{uid}", on_click=_remove, args=(index,), help=_("Remove this layer"),
                      width="stretch", disabled=frozen)


def summary_rows(spec: ModelSpec, compact: bool = False) -> list[dict[str, Any]]:
    """The model summary: layer, output shape, parameters (compact: short names for the sidebar)."""
    rows = []
    for row in layer_table(spec):
        name = _("Output") if compact and row.index == 0 else row.layer
        rows.append({_("Layer"): name, _("Output shape") if not compact else _("Shape"):
                     "×".join(map(str, row.output_shape)), _("Params"): f"{row.params:,}"})
    return rows


def _preset_notes(choice: str) -> None:
    """The chosen preset's description, and on the offline sample why it scores less than the tutorial."""
    if choice == EMPTY:
        return
    st.caption(tr(PRESETS[choice].description))
    name = st.session_state.get(DATASET_KEY, "mnist")
    if name != "mnist":
        return
    try:
        dataset = shared_dataset(name)
    except DataError:
        return
    if dataset.is_sample:
        st.caption(_("On this offline sample the model trains on {n:,} images instead of MNIST's 60,000: with "
                     "about 15 times fewer examples to learn from, the tutorial models reach a test accuracy of "
                     "about 0.92 here, where the tutorials' runs on the full data reached 0.98. Online, the "
                     "app downloads the full set.", n=len(dataset.x_train)))


def model_builder() -> None:
    """Draw the builder in the sidebar and leave the current spec in session_state."""
    _init_state()
    sidebar = st.sidebar
    with sidebar:
        st.subheader(_("Model builder"))
        if st.session_state.get(LINK_ERROR_KEY):
            st.error(str(st.session_state[LINK_ERROR_KEY]), icon=":material/link_off:")
        names = [*PRESETS, EMPTY]
        if st.session_state.get("builder_preset") not in names:
            origin = st.session_state.get(ORIGIN_KEY)
            st.session_state["builder_preset"] = origin if origin in names else DEFAULT_PRESET
        st.selectbox(_("Start from"), names, key="builder_preset", help=preset_help(), disabled=locked("preset"),
                     format_func=lambda n: _("Empty model") if n == EMPTY else tr(PRESETS[n].title))
        _preset_notes(st.session_state["builder_preset"])
        rules_panel(st.session_state["builder_preset"])  # a challenge's rules, the teacher's locks
        st.button(_("Load this preset"), key="builder_load", on_click=_load_preset, width="stretch",
                  help=load_help(), disabled=locked("preset"))
        layers = st.session_state[LAYERS_KEY]
        st.caption(n_("Input 28×28×1 → {n} layer → Dense 10 softmax", "Input 28×28×1 → {n} layers → Dense 10 softmax",
                      len(layers)))
        for index, (uid, kind) in enumerate(layers):
            _layer_widgets(index, uid, kind, len(layers))
        left, right = st.columns([2, 1], vertical_alignment="bottom")  # room for 添加 as well as Add
        left.selectbox(_("New layer"), layer_choices(), format_func=LAYER_TITLES.get, key="builder_new_kind",
                       help=new_layer_help(), disabled=locked("layers"))
        right.button(_("Add"), key="builder_add", on_click=_add_layer, width="stretch",
                     disabled=locked("layers") or len(layers) >= LIMITS["layers"][1],
                     help=add_help(LIMITS["layers"][1]))
        training_widgets()
        spec, error = draft_spec()
        st.session_state[SPEC_KEY], st.session_state[ERROR_KEY] = spec, error
        if error:
            st.error(str(error), icon=":material/block:")
        else:
            st.table(summary_rows(spec, compact=True))
            memory = training_memory(spec)
            st.metric(_("Parameters"), f"{param_count(spec):,}",
                      help=_("The weights and biases training will adjust (the table above gives each layer's)."))
            st.metric(_("Training memory"), megabytes(memory.total),
                      help=_("Estimated: {parts}. One training may use {budget} on this server.",
                             parts=memory.parts(), budget=megabytes(training_memory_budget())))
        _share_widgets(spec)


def _share_widgets(spec: ModelSpec | None) -> None:
    with st.expander(_("Share or import this model")):
        if spec is not None:
            st.caption(_("Add this to the app's address to share the model:"))
            st.code("?spec=" + json.dumps(spec.to_dict(), separators=(",", ":")), language=None, wrap_lines=True)
            st.download_button(_("Download spec (JSON)"), spec.to_json(indent=2), file_name=f"{spec.name}.json",
                               mime="application/json", key="builder_export", help=export_help())
        file_uploader(_("Import a spec (JSON)"), type=["json"], key="builder_import", on_change=_import_json,
                      help=import_help(), disabled=locked("preset") or locked("layers"))
    if st.session_state.get("builder_import_error"):
        st.error(str(st.session_state["builder_import_error"]))
