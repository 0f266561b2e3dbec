"""What the builder may offer: the rules of the challenge the session is in, and the controls the teacher
locked for the whole class. Fixed controls are drawn disabled or with narrower bounds (as TensorFlow
Playground hides the ones a lesson fixes); a spec that still breaks a rule (a link, an import) gets the
rule's own message, in the builder and again where the training is submitted."""

from __future__ import annotations

from typing import Any

import streamlit as st

from mnistlab.errors import MnistlabError, SpecError
from mnistlab.i18n import L_, _, tr
from mnistlab.model.layers import LAYER_KINDS
from mnistlab.model.presets import PRESETS
from mnistlab.model.spec import LIMITS, OPTIMIZERS, SETTING_TITLES, ModelSpec
from mnistlab.store.classroom import LOCKED_CONTROLS, class_setting
from ui.builder_draft import draft, set_value
from ui.challenge_session import NOTICE_KEY, active_rules, current_challenge
from ui.identity import as_text
from ui.resources import shared_store
from ui.session import DATASET_KEY

CONTROL_TITLES = {"preset": L_("Start from"), "layers": L_("Layers")}  # the other controls: SETTING_TITLES


@st.cache_data(ttl=5, show_spinner=False)
def _locked() -> tuple[str, ...]:
    try:
        value = class_setting(shared_store().engine, LOCKED_CONTROLS, [])
    except MnistlabError:
        return ()  # a database that is down must not lock (or break) the builder
    return tuple(name for name in value if isinstance(name, str)) if isinstance(value, list) else ()


def locked_controls() -> tuple[str, ...]:
    """The controls the teacher locked for the whole class (read again every few seconds)."""
    return _locked()


def locked(control: str) -> bool:
    return control in locked_controls()


def check_rules(spec: ModelSpec) -> None:
    """SpecError naming the rule `spec` breaks, while the session's challenge is open."""
    rules = active_rules()
    if rules is not None:
        rules.check(spec, st.session_state.get(DATASET_KEY, rules.dataset))


def refused_by_rules(spec: ModelSpec, dataset: Any) -> bool:
    """The rules once more where the training is submitted: a crafted link cannot get around the builder.
    True (with the reason kept for the Train page to say) when refused."""
    rules = active_rules()
    if rules is None:
        return False
    try:
        rules.check(spec, dataset.name)
    except SpecError as exc:
        st.session_state["train_notice"] = L_("Not started: {problem}", problem=exc.message)
        return True
    return False


def optimizer_choices() -> tuple[str, ...]:
    rules = active_rules()
    return rules.fixed()["optimizer_choices"] if rules is not None else OPTIMIZERS


def optimizer_fixed() -> bool:
    """The optimizer cannot be changed: the teacher locked it, or the challenge allows only one."""
    rules = active_rules()
    return locked("optimizer") or (rules is not None and "optimizer" in rules.fixed())


def highest(name: str) -> int | None:
    """The most a number setting ("epochs", "train_size") may be under the open challenge's rules; None without
    such a rule."""
    rules = active_rules()
    return rules.fixed()[name][1] if rules is not None and name in rules.fixed() else None


def bounds(name: str, key: str) -> dict[str, Any]:
    """A number setting's widget bounds under the rules; the draft brought within them first (before the
    widget is drawn), so that a fixed maximum holds. 0 (all images) is over any image limit."""
    low, high = LIMITS[name]
    ruled = highest(name)
    if ruled is not None:
        high, value = ruled, draft()[key]
        if value > high or (name == "train_size" and value == 0):
            set_value(key, high)
    return {"min_value": low, "max_value": high}


def layer_choices() -> tuple[str, ...]:
    """The kinds "New layer" offers (its choice kept among them)."""
    rules = active_rules()
    choices = rules.fixed()["layer_kinds_choices"] if rules is not None else LAYER_KINDS
    if st.session_state.get("builder_new_kind") not in choices:
        st.session_state["builder_new_kind"] = choices[0]
    return choices


def rules_panel(preset: str) -> None:
    """Under the preset: the challenge's rules, a flag on a preset that breaks one, the teacher's locks."""
    challenge, rules = current_challenge(), active_rules()
    if challenge is not None and rules is not None:
        lines = "\n".join(f"- {line}" for line in rules.describe())
        st.info(_("**Challenge {name}** — the rules:", name=as_text(challenge.name)) + "\n" + lines,
                icon=":material/emoji_events:")
        try:
            if preset in PRESETS:
                rules.check(PRESETS[preset].spec)
        except SpecError as exc:
            # about the preset in "Start from", which may not be the model the student has built (a link's)
            st.warning(_("The preset “{preset}”, if loaded, breaks a rule of the challenge. {problem}",
                         preset=tr(PRESETS[preset].title), problem=str(exc)), icon=":material/flag:")
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.caption(str(notice))
    names = locked_controls()
    if names:
        titles = [str(CONTROL_TITLES[name]) if name in CONTROL_TITLES else tr(SETTING_TITLES.get(name, name))
                  for name in names]
        st.caption(_("The teacher locked these for the class: {names}.", names=", ".join(titles)))
