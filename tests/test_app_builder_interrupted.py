"""The model being built survives runs cut short by the next one (issue 18, item 0).

Under load a student's run is interrupted by their next keystroke's. Two things can then happen to
the builder's widgets, and each is reproduced here deterministically:
- the browser forgets a widget it was showing and draws it anew from the widget's default, which it
  sends back with the next run as if typed (measured: every untyped value fell to its minimum);
- the server forgets a widget's state (Streamlit drops the state of widgets a finished run did not
  draw) while the browser still sends what the student just typed (measured: typed epochs went back
  to the preset's).
"""

from apptest import open_app
from streamlit.testing.v1.element_tree import Checkbox, NumberInput, Selectbox, Slider

from mnistlab.model.presets import PRESETS
from mnistlab.model.spec import ACTIVATIONS, AUGMENTATIONS, OPTIMIZERS, PADDINGS

PRESET = "mlp_relu_adam"
OPTIONS = {"opt_optimizer": OPTIMIZERS, "opt_augmentation": AUGMENTATIONS, "_activation": ACTIVATIONS,
           "_padding": PADDINGS}
TYPED = {"opt_epochs": 7, "opt_train_size": 1500, "opt_seed": 4242}  # what the students typed


def builder_widgets(at):
    return [w for w in at.sidebar if isinstance(w, (NumberInput, Selectbox, Slider, Checkbox))
            and w.key and w.key.startswith(("opt_", "layer_")) and not w.disabled]


def loaded(at):
    at.sidebar.selectbox(key="builder_preset").set_value(PRESET)
    at.sidebar.button(key="builder_load").click().run()
    spec = at.session_state["spec"]
    assert spec.name == PRESET and not at.exception
    return spec


def expected(spec):
    return spec.replace(name=f"{PRESET}_modified", epochs=7, train_size=1500, seed=4242)


def test_widgets_the_browser_draws_anew_do_not_reset_the_model():
    at = open_app("app_pages/train.py")
    spec = loaded(at)
    widgets = builder_widgets(at)
    assert len(widgets) > 10
    for widget in widgets:  # what a browser shows for a widget it draws anew: the widget's default
        default = widget.proto.default
        if isinstance(widget, Selectbox):
            widget.set_value(next(o for end, o in OPTIONS.items() if widget.key.endswith(end))[default])
        elif isinstance(widget, Slider):
            widget.set_value(default[0])
        else:
            widget.set_value(default)
    for key, value in TYPED.items():
        at.sidebar.number_input(key=key).set_value(value)
    at.run()
    assert not at.exception
    assert at.session_state["spec"] == expected(spec)
    assert at.session_state["spec"] != PRESETS[PRESET].spec.replace(name=f"{PRESET}_modified", learning_rate=1e-6)


def forget_on_server(at, keys):
    """What Streamlit does to the state of widgets a finished run did not draw (session_state.py,
    _remove_stale_widgets): their values and their metadata go."""
    state = at._session_state._state
    for key in keys:
        wid = state._key_id_mapper.get_id_from_key(key, None)
        state._old_state.pop(wid, None)
        state._old_state.pop(key, None)
        state._new_widget_state.states.pop(wid, None)
        state._new_widget_state.widget_metadata.pop(wid, None)


def test_values_typed_in_a_run_cut_short_are_kept(monkeypatch):
    """The run that receives the typed values is cut short before the builder is drawn; then the
    server forgets the builder's widgets and the browser, which dropped them too, sends nothing."""
    import streamlit as st

    import ui.sidebar

    at = open_app("app_pages/train.py")
    spec = loaded(at)
    widgets = builder_widgets(at)
    for key, value in TYPED.items():
        at.sidebar.number_input(key=key).set_value(value)
    with monkeypatch.context() as patch:  # app.py imports it afresh on every run: this run stops before the builder
        patch.setattr(ui.sidebar, "nickname_box", st.stop)
        at.run()
    assert not at.sidebar.number_input  # the builder was not drawn
    forget_on_server(at, [w.key for w in widgets])
    at.run()
    assert not at.exception
    assert at.session_state["spec"] == expected(spec)
    assert at.sidebar.number_input(key="opt_epochs").value == 7


def test_editing_a_layer_keeps_its_panel():
    """The browser keeps a panel open while the panel's identity stays; its title changes with the layer."""
    at = open_app("app_pages/train.py")
    uid = at.session_state["builder_layers"][1][0]  # the first Dense layer
    panel = lambda: next(e for e in at.sidebar.expander if e.key == f"layer_panel_{uid}")  # noqa: E731
    before = panel()._block_id
    assert before and panel().label == "2. Dense 512 relu"
    at.sidebar.number_input(key=f"layer_{uid}_units").set_value(64).run()
    assert panel().label == "2. Dense 64 relu" and panel()._block_id == before
    at.sidebar.selectbox(key=f"layer_{uid}_activation").set_value("tanh").run()
    assert panel().label == "2. Dense 64 tanh" and panel()._block_id == before
