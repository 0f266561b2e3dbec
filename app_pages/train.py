"""Train: start the sidebar's model as a background job and watch it learn."""

from __future__ import annotations

import streamlit as st

from mnistlab.engine.jobs import CANCELLED, FAILED, QUEUED, RUNNING, Job
from mnistlab.engine.train import weight_updates
from mnistlab.i18n import L_, _, n_
from mnistlab.insight.advice import overfitting
from mnistlab.insight.charts import history_chart
from mnistlab.model import naming
from mnistlab.model.augment import STRENGTHS
from mnistlab.model.io import model_to_bytes
from mnistlab.model.script import to_keras_script
from mnistlab.model.spec import OPTIMIZER_TITLES, ModelSpec, param_count
from ui.builder import ERROR_KEY, SPEC_KEY, summary_rows
from ui.builder_draft import set_value
from ui.builder_rules import highest, locked, refused_by_rules
from ui.guards import current_dataset
from ui.identity import nickname, nickname_missing
from ui.progress import record
from ui.resources import evaluation, registry, shared_store
from ui.session import JOB_KEY, adopt_finished_job, session_id


def start(spec: ModelSpec, dataset) -> None:
    if nickname_missing():  # the teacher asks every run to have an owner
        st.session_state["train_notice"] = L_("Your teacher asks everyone for a nickname: type yours in the sidebar "
                                              "(**Your nickname**), then press Train again.")
        return
    if refused_by_rules(spec, dataset):  # the challenge's rules again, here: a crafted link cannot get past them
        return
    st.session_state[JOB_KEY] = registry().submit(spec, dataset, session_id(), owner=nickname())


def stop(job: Job) -> None:
    if not registry().stop(job, session_id()):
        st.session_state[JOB_KEY] = None
        st.session_state["train_notice"] = L_("Other students are training this same model, so it keeps going "
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
        st.caption(_("The curves appear after the first epoch."))
        return
    left, right = st.columns(2)
    left.plotly_chart(history_chart(history, "loss"), width="stretch", key="curve_loss")
    left.caption(_("**Loss** is the categorical cross-entropy, averaged over the images: −log of the probability "
                   "the model gave the right digit, so near 0 when it is sure and right, large when it is sure and "
                   "wrong. Lower is better; training is what makes it smaller."))
    right.plotly_chart(history_chart(history, "accuracy"), width="stretch", key="curve_accuracy")
    right.caption(_("**Accuracy** is the share of images whose most probable class is the right one. "
                    "Higher is better."))
    if history.get("val_loss"):
        st.caption(_("**Training** is measured on the images the model learns from, **validation** on images held "
                     "back from training. While both curves improve together the model is learning; when the "
                     "validation loss turns up while the training loss keeps falling, the two curves part: the "
                     "model is overfitting, learning its training images rather than digits."))
    notice = overfitting(history)
    if notice is not None:
        st.warning(str(notice), icon=":material/trending_up:")


def show_live(job: Job) -> None:
    problem = registry().engine_problem()
    if problem:
        st.error(str(problem))
        return
    if job.state == QUEUED:
        position = registry().position(job)
        st.info(_("Waiting for a free trainer: number {position} in the queue. "
                  "Other trainings are using the machine; yours starts by itself.", position=position),
                icon=":material/hourglass_top:")
        return
    progress = job.progress
    if progress is None:
        st.progress(0.0, text=_("Starting… (building the model)"))
        return
    st.progress(progress.fraction, text=_(
        "Epoch {epoch} of {epochs} · batch {batch}/{batches} · elapsed {elapsed} · about {left} left",
        epoch=progress.epoch, epochs=progress.epochs, batch=progress.batch, batches=progress.batches,
        elapsed=_clock(progress.elapsed), left=_clock(progress.eta)))
    logs = progress.logs
    cols = st.columns(3)
    cols[0].metric(_("Loss (this epoch so far)"), f"{logs.get('loss', float('nan')):.4f}")
    cols[1].metric(_("Accuracy (this epoch so far)"), f"{logs.get('accuracy', 0):.2%}")
    if progress.history.get("val_accuracy"):
        cols[2].metric(_("Validation accuracy (last epoch)"), f"{progress.history['val_accuracy'][-1]:.2%}")
    curves(progress.history)


@st.cache_data(max_entries=16, show_spinner=False)
def model_file(_model, key: str) -> bytes:
    return model_to_bytes(_model)


def show_result(job: Job, dataset) -> None:
    result = job.result
    if job.state == CANCELLED:
        st.info(str(job.error), icon=":material/cancel:")
        return
    if job.state == FAILED or result is None:
        st.error(str(job.error or "") or _("Training failed."))
        return
    if result.diverged:
        st.error(str(result.message), icon=":material/error:")
    elif result.stopped:
        st.warning(str(result.message), icon=":material/stop_circle:")
    elif result.cached:
        st.success(_("{outcome} (This exact training was done before.)", outcome=str(result.message)))
    else:
        st.success(str(result.message))
    if result.notice:
        st.warning(str(result.notice), icon=":material/warning:")
    adopt_finished_job()
    cols = st.columns(4)
    if not result.diverged:
        scores = evaluation(result.model, job.model_key, job.dataset, job.dataset.fingerprint)
        cols[0].metric(_("Test accuracy"), f"{scores.accuracy:.2%}",
                       help=_("The share of the test set's images, never seen in training, read right."))
        cols[1].metric(_("Test loss"), f"{scores.loss:.4f}",
                       help=_("Categorical cross-entropy on the test set: lower is better."))
    if result.history.get("val_accuracy"):
        cols[2].metric(_("Validation accuracy"), f"{result.history['val_accuracy'][-1]:.2%}",
                       help=_("Accuracy on the images held back from training, after the last epoch."))
    cols[3].metric(_("Training time"), _("{seconds:.1f} s", seconds=result.seconds))
    curves(result.history)
    if not result.diverged:
        st.page_link("app_pages/evaluate.py", label=_("See its mistakes on Evaluate"), icon=":material/search:")
        st.download_button(_("Download the trained model (.keras)"), model_file(result.model, job.model_key),
                           file_name=f"{job.spec.name}.keras", key="download_model", on_click=record,
                           args=("model_saved",))


QUICK_IMAGES, QUICK_UPDATES = 3000, 150  # a quick run: seconds on a laptop, enough updates to learn


def quick_epochs(spec: ModelSpec, dataset) -> tuple[int, int]:
    """The training images and the fewest epochs that give a quick run about QUICK_UPDATES weight updates; in an
    open challenge, no more of either than its rules allow (a quick run must not be refused)."""
    images = min(QUICK_IMAGES, len(dataset.x_train), highest("train_size") or QUICK_IMAGES)
    per_epoch = max(weight_updates(images, spec.validation_split, spec.batch_size, 1).total, 1)
    return images, min(max(-(-QUICK_UPDATES // per_epoch), 1), highest("epochs") or QUICK_UPDATES)


def _set_quick_run(images: int, epochs: int) -> None:
    set_value("opt_train_size", images)
    set_value("opt_epochs", epochs)


def quick_run_tip(spec: ModelSpec | None, dataset) -> None:
    """Before the first training: start small, with a button that sets the sidebar's fields for it. Nothing for a
    model that cannot be built: the error above says what to fix, and Train is disabled."""
    if spec is None:
        return
    images, epochs = quick_epochs(spec, dataset)
    st.info(n_("Press **Train** to train the model built in the sidebar. Start small: **Quick run** below sets "
               "*Training subset* to {images:,} images and *Epochs* to {n} (in the sidebar, under **Training "
               "settings**) — enough weight updates to learn, in seconds.",
               "Press **Train** to train the model built in the sidebar. Start small: **Quick run** below sets "
               "*Training subset* to {images:,} images and *Epochs* to {n} (in the sidebar, under **Training "
               "settings**) — enough weight updates to learn, in seconds.", epochs, images=images),
            icon=":material/lightbulb:")
    st.button(_("Quick run: {images:,} images, {epochs} epochs", images=images, epochs=epochs), key="train_quick",
              on_click=_set_quick_run, args=(images, epochs), icon=":material/bolt:",
              disabled=(spec.train_size, spec.epochs) == (images, epochs) or locked("train_size") or locked("epochs"))


def warn_if_too_few_updates(spec: ModelSpec, dataset) -> None:
    """A student's most common silent failure: too few weight updates to learn anything."""
    images = min(spec.train_size or len(dataset.x_train), len(dataset.x_train))
    updates = weight_updates(images, spec.validation_split, spec.batch_size, spec.epochs).total
    if updates < 100:
        st.warning(n_("This training makes only {updates} weight updates ({n} epoch of {images:,} images in "
                      "batches of {batch}): most models need a few hundred to learn. Add epochs or use smaller "
                      "batches.",
                      "This training makes only {updates} weight updates ({n} epochs of {images:,} images in "
                      "batches of {batch}): most models need a few hundred to learn. Add epochs or use smaller "
                      "batches.", spec.epochs, updates=updates, images=images, batch=spec.batch_size),
                   icon=":material/warning:")


def main() -> None:
    st.title(_("Train"))
    dataset = current_dataset()
    if dataset is None:
        st.stop()
    spec: ModelSpec | None = st.session_state.get(SPEC_KEY)
    error = st.session_state.get(ERROR_KEY, "")
    st.caption(_("Data: {source}", source=str(dataset.source)))
    if shared_store().problem:
        st.warning(str(shared_store().problem), icon=":material/database:")
    if error:
        st.error(_("This model cannot be built: {error} Fix it in the sidebar to train.", error=str(error)),
                 icon=":material/block:")
    elif spec is not None:
        settings = dict(name=naming.model_title(spec.name), params=param_count(spec),
                        optimizer=OPTIMIZER_TITLES.get(spec.optimizer, spec.optimizer),
                        rate=spec.learning_rate, batch=spec.batch_size)
        if spec.train_size:
            st.markdown(n_("**{name}** · {params:,} parameters · {optimizer} (learning rate {rate:g}) · "
                           "batch size {batch} · {n} epoch · {images:,} training images",
                           "**{name}** · {params:,} parameters · {optimizer} (learning rate {rate:g}) · "
                           "batch size {batch} · {n} epochs · {images:,} training images",
                           spec.epochs, images=spec.train_size, **settings))
        else:
            st.markdown(n_("**{name}** · {params:,} parameters · {optimizer} (learning rate {rate:g}) · "
                           "batch size {batch} · {n} epoch",
                           "**{name}** · {params:,} parameters · {optimizer} (learning rate {rate:g}) · "
                           "batch size {batch} · {n} epochs", spec.epochs, **settings))
    if spec is not None and spec.augmentation != "off":
        st.caption(_("Augmentation is on ({what}): every training batch is changed a little at random, so the "
                     "model learns the shapes of digits rather than their exact pixels — which is what reading "
                     "digits drawn by hand on the Draw page, never placed or sized like MNIST's, needs.",
                     what=str(STRENGTHS[spec.augmentation].describe())))
    job = my_job()
    running = job is not None and job.state in (QUEUED, RUNNING)
    if spec is not None and not running and (job is None or job.spec != spec):
        warn_if_too_few_updates(spec, dataset)  # before a training; a finished one's result speaks for itself
    left, right, _unused = st.columns([1, 1, 4])
    if left.button(_("Train"), type="primary", disabled=spec is None or running, key="train_start",
                   width="stretch"):
        start(spec, dataset)
        st.rerun()
    if right.button(_("Stop"), disabled=not running, key="train_stop", width="stretch"):
        stop(job)
        st.rerun()
    notice = st.session_state.pop("train_notice", None)
    if notice:
        st.info(str(notice))

    if job is not None and job.state in (QUEUED, RUNNING):

        @st.fragment(run_every=1.0)
        def live() -> None:
            registry().heartbeat(job, session_id())
            if job.state not in (QUEUED, RUNNING):
                st.rerun()  # finished: redraw the whole page with the result
            show_live(job)

        live()
    elif job is not None:
        show_result(job, dataset)
    else:
        quick_run_tip(spec, dataset)

    if spec is not None:
        with st.expander(_("Model summary"), expanded=job is None):
            st.caption(_("One row per layer, input to output: the shape of what the layer gives the next one, and "
                         "how many weights and biases it learns."))
            st.table(summary_rows(spec))  # a plain table: a data grid would slow every switch to this page
            st.markdown(_("Total parameters: **{params:,}** — each Dense layer computes "
                          "`output = activation(dot(input, kernel) + bias)`.", params=param_count(spec)))
        # drawn only when asked for: highlighting a long script on every visit slowed this page by ~0.5 s
        if st.toggle(_("Show the same model as a plain Keras script"), key="train_show_script",
                     help=_("The Keras code that builds and trains exactly this model, to run without the app.")):
            script = to_keras_script(spec, dataset=dataset)
            st.code(script, language="python")
            st.download_button(_("Download the script"), script, file_name=f"{spec.name}.py", key="download_script")


main()
