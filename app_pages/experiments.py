"""Experiments: every finished or stopped run, kept across restarts, to compare and reuse."""

from __future__ import annotations

import datetime as dt
import hashlib

import streamlit as st

from mnistlab.charts import overlay_chart
from mnistlab.errors import MnistlabError
from mnistlab.owners import may_delete, refusal
from mnistlab.runs import Run, spec_parameters
from ui.identity import as_text, is_teacher, nickname, teacher_login
from ui.state import ActiveModel, run_store, set_active_model

SELECTED_KEY = "experiments_selected_runs"  # the chosen runs' ids: positions change as runs come and go


def table_rows(runs: list[Run]) -> list[dict]:
    """One row per run, with the settings that tell runs apart."""
    return [
        {
            "Run": run.id,
            "Owner": run.owner,
            "Name": run.name,
            "Data": run.dataset,
            "Optimizer": run.spec.get("optimizer"),
            "Learning rate": run.spec.get("learning_rate"),
            "Batch size": run.spec.get("batch_size"),
            "Epochs": run.epochs_done,
            "Augmentation": run.spec.get("augmentation", "off") if run.spec else None,
            "Parameters": spec_parameters(run.spec) if run.spec else None,
            "Test accuracy": run.test_accuracy,
            "Time (s)": round(run.seconds, 1),
            "Status": run.status,
            "When": dt.datetime.fromtimestamp(run.created).strftime("%Y-%m-%d %H:%M"),
            "Note": run.problem,
        }
        for run in runs
    ]


def runs_table(runs: list[Run]) -> list[Run]:
    """The table and the runs chosen in it. The browser reports chosen rows by position, so the
    table's key names the list of ids it shows: when another student's run arrives or one is
    deleted, a new table starts with the same runs (by id) selected."""
    ids = [run.id for run in runs]
    key = "runs_table_" + hashlib.sha1(",".join(map(str, ids)).encode()).hexdigest()[:12]
    selected = set(st.session_state.get(SELECTED_KEY, ()))
    event = st.dataframe(
        table_rows(runs), hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row", key=key,
        selection_default={"selection": {"rows": [i for i, run_id in enumerate(ids) if run_id in selected]}},
        column_config={
            "Test accuracy": st.column_config.ProgressColumn(format="%.4f", min_value=0, max_value=1),
            "Learning rate": st.column_config.NumberColumn(format="%g"),
        },
    )
    chosen = [runs[i] for i in event.selection.rows if 0 <= i < len(runs)]
    st.session_state[SELECTED_KEY] = [run.id for run in chosen]
    return chosen


def use_model(run: Run) -> None:
    try:
        model = run_store().load_model(run.id)
    except MnistlabError as exc:
        st.error(str(exc))
        return
    label = f"run {run.id}: {run.name} · {run.epochs_done} epoch(s) · {run.dataset}"
    set_active_model(ActiveModel(model, label, f"run-{run.id}-{run.cache_key}", run.dataset))
    st.success(f"Run {run.id}'s model is now this session's model: see it on Evaluate and Draw.")


def delete_controls(run: Run) -> None:
    """A student deletes their own runs; the teacher any (the store checks it again)."""
    if not may_delete(run.owner, nickname(), is_teacher()):
        st.caption(refusal("This run", as_text(run.owner)))
        return
    confirm = st.checkbox("Yes, delete it", key=f"confirm_{run.id}")
    if st.button("Delete run", key=f"delete_{run.id}", disabled=not confirm):
        try:
            run_store().delete(run.id, by=nickname(), teacher=is_teacher())
        except MnistlabError as exc:
            st.error(str(exc))
        else:
            st.rerun()


def teacher_panel(runs: list[Run]) -> None:
    with st.expander("Teacher", expanded=is_teacher(), icon=":material/school:"):
        if not teacher_login() or not runs:
            return
        confirm = st.checkbox(f"Yes, delete all {len(runs)} runs of the class", key="confirm_clear")
        if st.button("Clear the class's runs", key="clear_runs", disabled=not confirm, type="primary"):
            try:
                run_store().clear(teacher=is_teacher())
            except MnistlabError as exc:
                st.error(str(exc))
            else:
                st.rerun()


def run_actions(run: Run) -> None:
    st.subheader(f"Run {run.id}: {run.name}")
    if run.problem:
        st.warning(run.problem)
    left, middle, right = st.columns(3)
    if left.button("Use this model", key=f"use_{run.id}", disabled=not run.has_model, type="primary"):
        use_model(run)
    if run.has_model:
        try:
            data = run_store().model_bytes(run.id)
        except MnistlabError as exc:
            middle.error(str(exc))
        else:
            middle.download_button("Download model (.keras)", data, file_name=f"run{run.id}_{run.name}.keras",
                                   key=f"download_{run.id}")
    with right:
        delete_controls(run)
    if run.spec:
        with st.expander("Its model spec (JSON)"):
            st.json(run.spec)


def main() -> None:
    st.title("Experiments")
    st.caption("Every training that finished or was stopped, with its curves, test accuracy and model. "
               "Click a column header to sort; select rows to compare their curves.")
    if run_store().problem:
        st.warning(run_store().problem)
    st.caption(f"You are **{as_text(nickname())}**: you can delete your own runs." if nickname() else
               "Set a nickname in the sidebar: the runs you train then carry it, and only you can delete them.")
    try:
        runs = run_store().list()
    except MnistlabError as exc:
        st.error(str(exc))
        st.stop()
    teacher_panel(runs)
    if not runs:
        st.info("No runs yet. Train a model on the Train page and it appears here.")
        st.page_link("app_pages/train.py", label="Go to Train", icon=":material/model_training:")
        st.stop()
    chosen = runs_table(runs)
    if not chosen:
        st.info("Select one or more runs in the table to overlay their curves and to use, download or delete them.")
        return
    histories = {f"{run.id}: {run.name}": run.history for run in chosen if run.history}
    if histories:
        left, right = st.columns(2)
        left.plotly_chart(overlay_chart(histories, "loss"), width="stretch", key="overlay_loss")
        right.plotly_chart(overlay_chart(histories, "accuracy"), width="stretch", key="overlay_accuracy")
    for run in chosen:
        run_actions(run)


main()
