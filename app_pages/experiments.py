"""Experiments: every finished or stopped run, kept across restarts, to compare and reuse."""

from __future__ import annotations

import datetime as dt
import hashlib

import streamlit as st

from mnistlab.errors import MnistlabError
from mnistlab.i18n import N_, _, n_, tr
from mnistlab.insight.charts import overlay_chart
from mnistlab.model.naming import model_title, run_dataset_title, run_model_label
from mnistlab.model.spec import OPTIMIZER_TITLES
from mnistlab.store.owners import may_delete
from mnistlab.store.runs import Run, spec_parameters
from ui.identity import as_text, is_teacher, nickname, teacher_login
from ui.inside_compare import compare_two_runs
from ui.resources import registry, shared_store
from ui.session import ActiveModel, set_active_model

SELECTED_KEY = "experiments_selected_runs"  # the chosen runs' ids: positions change as runs come and go
EXTRA_KEY = "experiments_extra_columns"
STATUSES = {"done": N_("done"), "stopped": N_("stopped"), "diverged": N_("diverged")}  # runs.py's statuses
AUGMENTATIONS = {"off": N_("off"), "light": N_("light"), "strong": N_("strong")}  # augment.py's, and off
# The table's headers: its rows' keys, in the reader's language
COLUMNS = (N_("Run"), N_("Owner"), N_("Model"), N_("Data"), N_("Optimizer"), N_("Learning rate"), N_("Batch size"),
           N_("Epochs"), N_("Augmentation"), N_("Parameters"), N_("Test accuracy"), N_("Time (s)"), N_("Status"),
           N_("When"), N_("Computed in"), N_("Note"))
# Shown without scrolling at 1280 px in either language (tests/test_browser_experiments.py); the rest on demand
MAIN_COLUMNS = (N_("Run"), N_("Model"), N_("Test accuracy"), N_("Epochs"), N_("Time (s)"), N_("When"))  # in order
EXTRA_COLUMNS = tuple(name for name in COLUMNS if name not in MAIN_COLUMNS)
DEFAULT_EXTRA = (N_("Status"),)


def table_rows(runs: list[Run]) -> list[dict]:
    """One row per run, with the settings that tell runs apart; headers and words in the reader's language."""
    rows = []
    for run in runs:
        augmentation = run.spec_dict.get("augmentation", "off") if run.spec_dict else None
        values = (
            run.id, run.owner, str(model_title(run.name)), str(run_dataset_title(run.dataset, run.source)),
            OPTIMIZER_TITLES.get(run.spec_dict.get("optimizer"), run.spec_dict.get("optimizer")),
            run.spec_dict.get("learning_rate"), run.spec_dict.get("batch_size"), run.epochs_done,
            tr(AUGMENTATIONS[augmentation]) if augmentation in AUGMENTATIONS else augmentation,
            spec_parameters(run.spec_dict) if run.spec_dict else None, run.test_accuracy, round(run.seconds, 1),
            tr(STATUSES[run.status]) if run.status in STATUSES else run.status,
            dt.datetime.fromtimestamp(run.created).strftime("%Y-%m-%d %H:%M"),
            run.precision or "float32",  # mixed_bfloat16 where the trainer's CPU has it; before that, float32 always
            str(run.problem) if run.problem else run.problem,
        )
        rows.append({tr(name): value for name, value in zip(COLUMNS, values, strict=True)})
    return rows


def runs_table(runs: list[Run]) -> list[Run]:
    """The table and the runs chosen in it. The browser reports chosen rows by position, so the
    table's key names the list of ids it shows: when another student's run arrives or one is
    deleted, a new table starts with the same runs (by id) selected."""
    ids = [run.id for run in runs]
    key = "runs_table_" + hashlib.sha1(",".join(map(str, ids)).encode()).hexdigest()[:12]
    selected = set(st.session_state.get(SELECTED_KEY, ()))
    extra = st.pills(_("More columns"), EXTRA_COLUMNS, format_func=tr, selection_mode="multi", key=EXTRA_KEY,
                     default=list(DEFAULT_EXTRA), help=_("The table shows each run's main results; add the settings "
                                                         "you want to compare."))
    shown = [tr(name) for name in (*MAIN_COLUMNS, *(name for name in EXTRA_COLUMNS if name in extra))]
    event = st.dataframe(
        table_rows(runs), hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row", key=key,
        selection_default={"selection": {"rows": [i for i, run_id in enumerate(ids) if run_id in selected]}},
        column_order=shown,
        column_config={
            tr("Run"): st.column_config.NumberColumn(width=60),
            tr("Epochs"): st.column_config.NumberColumn(width=100),  # "轮数（epochs）" whole
            tr("Test accuracy"): st.column_config.ProgressColumn(format="%.4f", min_value=0, max_value=1, width=130),
            tr("Time (s)"): st.column_config.NumberColumn(format="%.1f", width=80),
            tr("When"): st.column_config.TextColumn(width=130),
            tr("Learning rate"): st.column_config.NumberColumn(format="%g"),
            tr("Parameters"): st.column_config.NumberColumn(format="localized"),  # "731,530", as on Train
        },
    )
    chosen = [runs[i] for i in event.selection.rows if 0 <= i < len(runs)]
    st.session_state[SELECTED_KEY] = [run.id for run in chosen]
    return chosen


def use_model(run: Run) -> None:
    try:
        model = shared_store().load_model(run.id)
    except MnistlabError as exc:
        st.error(str(exc))
        return
    label = run_model_label(run.id, run.name, run.epochs_done, run_dataset_title(run.dataset, run.source))
    set_active_model(ActiveModel(model, label, f"run-{run.id}-{run.cache_key}", run.dataset))
    st.success(_("Run {id}'s model is now this session's model: see it on Evaluate and Draw.", id=run.id))


def delete_controls(run: Run) -> None:
    """A student deletes their own runs; the teacher any (the store checks it again)."""
    if not may_delete(run.owner, nickname(), is_teacher()):
        if run.owner:
            st.caption(_("This run belongs to {owner}: only {owner} or the teacher can delete it.",
                         owner=as_text(run.owner)))
        else:
            st.caption(_("This run has no owner: only the teacher can delete it."))
        return
    confirm = st.checkbox(_("Yes, delete it"), key=f"confirm_{run.id}")
    if st.button(_("Delete run"), key=f"delete_{run.id}", disabled=not confirm):
        try:
            shared_store().delete(run.id, by=nickname(), teacher=is_teacher())
        except MnistlabError as exc:
            st.error(str(exc))
        else:
            st.rerun()


def teacher_panel(runs: list[Run]) -> None:
    with st.expander(_("Teacher"), expanded=is_teacher(), icon=":material/school:"):
        if not teacher_login() or not runs:
            return
        confirm = st.checkbox(n_("Yes, delete the class's {n} run", "Yes, delete all {n} runs of the class",
                                 len(runs)), key="confirm_clear")
        if st.button(_("Clear the class's runs"), key="clear_runs", disabled=not confirm, type="primary"):
            try:
                shared_store().clear(teacher=is_teacher())
                registry().forget_finished()  # a later identical training is trained and stored again
            except MnistlabError as exc:
                st.error(str(exc))
            else:
                st.rerun()


def run_actions(run: Run) -> None:
    st.subheader(_("Run {id}: {name}", id=run.id, name=model_title(run.name)))
    if run.problem:
        st.warning(str(run.problem))
    left, middle, right = st.columns(3)
    if left.button(_("Use this model"), key=f"use_{run.id}", disabled=not run.has_model, type="primary"):
        use_model(run)
    if run.has_model:
        try:
            data = shared_store().model_bytes(run.id)
        except MnistlabError as exc:
            middle.error(str(exc))
        else:
            middle.download_button(_("Download model (.keras)"), data, file_name=f"run{run.id}_{run.name}.keras",
                                   key=f"download_{run.id}")
    with right:
        delete_controls(run)
    if run.spec_dict:
        with st.expander(_("Its model spec (JSON)")):
            st.json(run.spec_dict)


def main() -> None:
    st.title(_("Experiments"))
    st.caption(_("Every training that finished or was stopped, with its curves, test accuracy and model. "
                 "Click a column header to sort; select rows to compare their curves."))
    if shared_store().problem:
        st.warning(str(shared_store().problem))
    if nickname():
        st.caption(_("You are **{nickname}**: you can delete your own runs.", nickname=as_text(nickname())))
    else:
        st.caption(_("Set a nickname in the sidebar: the runs you train then carry it, and only you can delete them."))
    try:
        runs = shared_store().list()
    except MnistlabError as exc:
        st.error(str(exc))
        st.stop()
    teacher_panel(runs)
    if not runs:
        st.info(_("No runs yet. Train a model on the Train page and it appears here."))
        st.page_link("app_pages/train.py", label=_("Go to Train"), icon=":material/model_training:")
        st.stop()
    st.caption(_("One row per run: its settings, how many epochs it trained, its **test accuracy** (the share of "
                 "the test images it reads right; the bar fills up to 100%) and how long it took. Change one "
                 "setting at a time between runs to see what that setting does."))
    chosen = runs_table(runs)
    if not chosen:
        st.info(_("Select one or more runs in the table to overlay their curves and to use, download or delete "
                  "them."))
        return
    histories = {f"{run.id}: {model_title(run.name)}": run.history for run in chosen if run.history}
    if histories:
        st.caption(_("The chosen runs' curves on the same axes, one colour a run: **training** solid, "
                     "**validation** dashed, loss left (lower is better), accuracy right (higher is better). The "
                     "better setting is the one whose validation curve ends best, not its training curve; a "
                     "dashed curve that turns up while its solid one keeps falling is a run that overfits."))
        left, right = st.columns(2)
        left.plotly_chart(overlay_chart(histories, "loss"), width="stretch", key="overlay_loss")
        right.plotly_chart(overlay_chart(histories, "accuracy"), width="stretch", key="overlay_accuracy")
    for run in chosen:
        run_actions(run)


main()
compare_two_runs(shared_store().list())
