"""Train: start the sidebar's model as a background job and watch it learn."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import streamlit as st

from mnistlab.augment import STRENGTHS
from mnistlab.charts import history_chart
from mnistlab.codegen import to_keras_script
from mnistlab.jobs import FAILED, QUEUED, RUNNING, Job
from mnistlab.spec import ModelSpec, param_count
from ui.builder import ERROR_KEY, SPEC_KEY, summary_rows
from ui.state import JOB_KEY, adopt_finished_job, current_dataset, evaluation, registry, session_id


def start(spec: ModelSpec, dataset) -> None:
    st.session_state[JOB_KEY] = registry().submit(spec, dataset, session_id())


def stop(job: Job) -> None:
    if not registry().stop(job, session_id()):
        st.session_state[JOB_KEY] = None
        st.session_state["train_notice"] = ("Other students are training this same model, so it keeps going "
                                            "for them; you have left it.")
        return
    job.wait(timeout=30)


def my_job() -> Job | None:
    """The job this session asked for. Held by reference: a stopped job leaves the registry."""
    return st.session_state.get(JOB_KEY)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "…"
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes}:{seconds:02d}"


def curves(history: dict) -> None:
    if not history.get("loss"):
        st.caption("The curves appear after the first epoch.")
        return
    left, right = st.columns(2)
    left.plotly_chart(history_chart(history, "loss"), width="stretch", key="curve_loss")
    right.plotly_chart(history_chart(history, "accuracy"), width="stretch", key="curve_accuracy")


def show_live(job: Job) -> None:
    if job.state == QUEUED:
        position = registry().position(job)
        st.info(f"Waiting for a free trainer: number {position} in the queue. "
                "Other trainings are using the machine; yours starts by itself.", icon=":material/hourglass_top:")
        return
    progress = job.progress
    if progress is None:
        st.progress(0.0, text="Starting… (building the model)")
        return
    st.progress(progress.fraction, text=(
        f"Epoch {progress.epoch} of {progress.epochs} · batch {progress.batch}/{progress.batches} · "
        f"elapsed {_clock(progress.elapsed)} · about {_clock(progress.eta)} left"))
    logs = progress.logs
    cols = st.columns(3)
    cols[0].metric("Loss (this epoch so far)", f"{logs.get('loss', float('nan')):.4f}")
    cols[1].metric("Accuracy (this epoch so far)", f"{logs.get('accuracy', 0):.2%}")
    if progress.history.get("val_accuracy"):
        cols[2].metric("Validation accuracy (last epoch)", f"{progress.history['val_accuracy'][-1]:.2%}")
    curves(progress.history)


@st.cache_data(max_entries=16, show_spinner=False)
def model_file(_model, key: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        _model.save(path)
        return path.read_bytes()


def show_result(job: Job, dataset) -> None:
    result = job.result
    if job.state == FAILED or result is None:
        st.error(job.error or "Training failed.")
        return
    if result.diverged:
        st.error(result.message, icon=":material/error:")
    elif result.stopped:
        st.warning(result.message, icon=":material/stop_circle:")
    else:
        st.success(result.message + ("" if not result.cached else " (This exact training was done before.)"))
    adopt_finished_job()
    cols = st.columns(4)
    if not result.diverged:
        scores = evaluation(result.model, job.model_key, job.dataset, job.dataset.fingerprint)
        cols[0].metric("Test accuracy", f"{scores.accuracy:.2%}")
        cols[1].metric("Test loss", f"{scores.loss:.4f}")
    if result.history.get("val_accuracy"):
        cols[2].metric("Validation accuracy", f"{result.history['val_accuracy'][-1]:.2%}")
    cols[3].metric("Training time", f"{result.seconds:.1f} s")
    curves(result.history)
    if not result.diverged:
        st.page_link("app_pages/evaluate.py", label="See its mistakes on Evaluate", icon=":material/search:")
        st.download_button("Download the trained model (.keras)", model_file(result.model, job.model_key),
                           file_name=f"{job.spec.name}.keras", key="download_model")


def warn_if_too_few_updates(spec: ModelSpec, dataset) -> None:
    """A student's most common silent failure: too few weight updates to learn anything."""
    images = min(spec.train_size or len(dataset.x_train), len(dataset.x_train))
    updates = math.ceil(images * (1 - spec.validation_split) / spec.batch_size) * spec.epochs
    if updates < 100:
        st.warning(f"This training makes only {updates} weight updates ({spec.epochs} epoch(s) of "
                   f"{images:,} images in batches of {spec.batch_size}): most models need a few hundred to "
                   "learn. Add epochs or use smaller batches.", icon=":material/warning:")


def main() -> None:
    st.title("Train")
    dataset = current_dataset()
    if dataset is None:
        st.stop()
    spec: ModelSpec | None = st.session_state.get(SPEC_KEY)
    error = st.session_state.get(ERROR_KEY, "")
    st.caption(f"Data: {dataset.source}")
    if error:
        st.error(f"This model cannot be built: {error} Fix it in the sidebar to train.", icon=":material/block:")
    elif spec is not None:
        st.markdown(f"**{spec.name}** · {param_count(spec):,} parameters · {spec.optimizer} "
                    f"(learning rate {spec.learning_rate:g}) · batch {spec.batch_size} · {spec.epochs} epoch(s)"
                    + (f" · {spec.train_size:,} training images" if spec.train_size else ""))
    if spec is not None and spec.augmentation != "off":
        st.caption(f"Augmentation {spec.augmentation} ({STRENGTHS[spec.augmentation].describe()}): every training "
                   "batch is changed a little at random, so the model learns the shapes of digits rather than their "
                   "exact pixels — which is what reading digits drawn by hand on the Draw page, never placed or "
                   "sized like MNIST's, needs.")
    if spec is not None:
        warn_if_too_few_updates(spec, dataset)
    job = my_job()
    running = job is not None and job.state in (QUEUED, RUNNING)
    left, right, _ = st.columns([1, 1, 4])
    if left.button("Train", type="primary", disabled=spec is None or running, key="train_start",
                   width="stretch"):
        start(spec, dataset)
        st.rerun()
    if right.button("Stop", disabled=not running, key="train_stop", width="stretch"):
        stop(job)
        st.rerun()
    notice = st.session_state.pop("train_notice", None)
    if notice:
        st.info(notice)

    if job is not None and job.state in (QUEUED, RUNNING):

        @st.fragment(run_every=1.0)
        def live() -> None:
            if job.state not in (QUEUED, RUNNING):
                st.rerun()  # finished: redraw the whole page with the result
            show_live(job)

        live()
    elif job is not None:
        show_result(job, dataset)
    else:
        st.info("Press **Train** to train the model built in the sidebar. Start small: a few epochs on a "
                "subset of a few thousand images trains in seconds.", icon=":material/lightbulb:")

    if spec is not None:
        with st.expander("Model summary", expanded=job is None):
            st.dataframe(summary_rows(spec), hide_index=True, width="stretch", key="train_summary")
            st.markdown(f"Total parameters: **{param_count(spec):,}** — each Dense layer computes "
                        "`output = activation(dot(input, kernel) + bias)`.")
        with st.expander("The same model as a plain Keras script"):
            script = to_keras_script(spec)
            st.code(script, language="python")
            st.download_button("Download the script", script, file_name=f"{spec.name}.py", key="download_script")


main()
