"""Experiments: every finished or stopped run, kept across restarts, to compare and reuse."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from mnistlab.charts import overlay_chart
from mnistlab.errors import MnistlabError
from mnistlab.runs import Run
from ui.inside_compare import compare_two_runs
from ui.state import ActiveModel, run_store, set_active_model


def table_rows(runs: list[Run]) -> list[dict]:
    return [
        {
            "Run": run.id,
            "Name": run.name,
            "Data": run.dataset,
            "Status": run.status,
            "Epochs": run.epochs_done,
            "Test accuracy": run.test_accuracy,
            "Seconds": round(run.seconds, 1),
            "When": dt.datetime.fromtimestamp(run.created).strftime("%Y-%m-%d %H:%M"),
            "Note": run.problem,
        }
        for run in runs
    ]


def use_model(run: Run) -> None:
    try:
        model = run_store().load_model(run.id)
    except MnistlabError as exc:
        st.error(str(exc))
        return
    label = f"run {run.id}: {run.name} · {run.epochs_done} epoch(s) · {run.dataset}"
    set_active_model(ActiveModel(model, label, f"run-{run.id}-{run.cache_key}", run.dataset))
    st.success(f"Run {run.id}'s model is now this session's model: see it on Evaluate and Draw.")


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
    confirm = right.checkbox("Yes, delete it", key=f"confirm_{run.id}")
    if right.button("Delete run", key=f"delete_{run.id}", disabled=not confirm):
        run_store().delete(run.id)
        st.session_state.pop("runs_table", None)
        st.rerun()
    if run.spec:
        with st.expander("Its model spec (JSON)"):
            st.json(run.spec)


def main() -> None:
    st.title("Experiments")
    st.caption("Every training that finished or was stopped, with its curves, test accuracy and model. "
               "Click a column header to sort; select rows to compare their curves.")
    if run_store().problem:
        st.warning(run_store().problem)
    runs = run_store().list()
    if not runs:
        st.info("No runs yet. Train a model on the Train page and it appears here.")
        st.page_link("app_pages/train.py", label="Go to Train", icon=":material/model_training:")
        st.stop()
    event = st.dataframe(
        table_rows(runs), hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row",
        key="runs_table",
        column_config={"Test accuracy": st.column_config.ProgressColumn(format="%.4f", min_value=0, max_value=1)},
    )
    chosen = [runs[i] for i in event.selection.rows if i < len(runs)]
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
compare_two_runs(run_store().list())
