"""What every page shares: the data, the job registry, the session's model.

Process-wide things (datasets, the registry, evaluations) live in `st.cache_resource`
so 30 students share one copy; per-student things live in `st.session_state`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from mnistlab.data.dataset import DATASET_NAMES, Dataset
from mnistlab.data.load import fallback_expired, load_dataset
from mnistlab.engine.jobs import JobRegistry
from mnistlab.errors import DataError
from mnistlab.i18n import L_, Message, _, n_

if TYPE_CHECKING:
    from mnistlab.store.runs import RunStore
from mnistlab.model.spec import ModelSpec

DATASET_KEY = "dataset_name"
UPLOADED_KEY = "uploaded_dataset"
MODEL_KEY = "active_model"


@dataclass(frozen=True)
class TrainedLabel:
    """A trained model's name as the user reads it, said in their language whenever it is shown
    (`str()`, or a `{label}` in a message): "mlp_relu_adam, trained 4 epochs on MNIST sample"."""

    model: str
    epochs: int
    dataset: str | Message

    def __str__(self) -> str:
        return n_("{model}, trained {n} epoch on {dataset}", "{model}, trained {n} epochs on {dataset}",
                  self.epochs, model=self.model, dataset=str(self.dataset))

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


@dataclass(frozen=True)
class ActiveModel:
    """The model this session evaluates and draws with, and where it came from."""

    model: Any  # keras.Model; typed loosely so this module never imports Keras
    label: str | Message | TrainedLabel  # what the user reads, in their language when shown (`str()`)
    key: str  # identifies the weights: a training cache key or an upload's hash
    dataset_name: str
    spec: ModelSpec | None = None


@st.cache_resource(show_spinner=False, validate=lambda dataset: not fallback_expired(dataset))
def shared_dataset(name: str, load_from: str = "auto") -> Dataset:
    """Loaded once per process, read-only, shared by every session. The offline sample given
    when the download failed is dropped after `DOWNLOAD_RETRY_S`, so a later request retries."""
    return load_dataset(name, load_from)


@st.cache_resource
def run_store() -> RunStore:
    """SQLite under the cache folder, or the `[connections.runs]` database of the app's secrets."""
    from mnistlab.store.runs import RunStore

    try:
        config = dict(st.secrets.get("connections", {}).get("runs", {}))
    except (FileNotFoundError, KeyError, AttributeError, StreamlitSecretNotFoundError):
        config = {}
    if not config:
        return RunStore()
    try:
        if config.get("url"):
            return RunStore(config["url"])
        return RunStore(st.connection("runs", type="sql").engine)  # dialect/host/... settings
    except Exception as exc:  # a wrong URL, a missing driver, a database that is down
        fallback = RunStore()
        fallback.problem = L_("The runs database in the app's secrets cannot be used ({error}); runs are kept in a "
                              "local SQLite file on this server instead.", error=f"{type(exc).__name__}: {exc}")
        return fallback


@st.cache_resource(validate=lambda registry: not registry.engine_retry_due())
def registry() -> JobRegistry:
    """Once per server: the embedded Dask cluster, or the shared one named in the secrets
    (`[dask] scheduler = "tcp://host:8786"`) or in MNISTLAB_DASK_SCHEDULER. A registry whose engine
    could not start is replaced after a while, so the next page tries again."""
    from mnistlab.engine.cluster import scheduler_address
    from mnistlab.store.runs import record_job

    store = run_store()
    url = store_url_for_workers(store)
    return JobRegistry(store_url=url, on_finish=None if url else (lambda job: record_job(store, job)),
                       scheduler=scheduler_address(_secrets_section("dask")))


def store_url_for_workers(store: RunStore) -> str | None:
    """The workers store each run themselves when they can reach the same database; an
    in-memory store is only reachable from here."""
    url = store.engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return url.render_as_string(hide_password=False)


def _secrets_section(name: str) -> dict:
    try:
        return dict(st.secrets.get(name, {}))
    except (FileNotFoundError, KeyError, AttributeError, StreamlitSecretNotFoundError):
        return {}


def session_id() -> str:
    if "session_id" not in st.session_state:
        st.session_state.session_id = uuid.uuid4().hex
    return st.session_state.session_id


def dataset_name() -> str:
    return st.session_state.get(DATASET_KEY, "mnist")


def current_dataset() -> Dataset | None:
    """The dataset chosen in the sidebar, or None after showing why it cannot be had."""
    name = dataset_name()
    if name == "custom":
        uploaded = st.session_state.get(UPLOADED_KEY)
        if uploaded is None:
            st.info(_("No uploaded dataset yet: upload one on the Dataset page, or choose MNIST."))
        return uploaded
    try:
        with st.spinner(_("Loading the data…")):
            return shared_dataset(name)
    except DataError as exc:
        st.error(str(exc))
        return None


def dataset_title(name: str) -> str:
    return DATASET_NAMES.get(name) or _("Uploaded data")


def active_model() -> ActiveModel | None:
    return st.session_state.get(MODEL_KEY)


def set_active_model(active: ActiveModel | None) -> None:
    st.session_state[MODEL_KEY] = active


JOB_KEY = "train_job"  # the training job this session asked for (a mnistlab.engine.jobs.Job)


def adopt_finished_job() -> None:
    """Once the session's training ends, its model becomes the session's model — whichever
    page the student is on. Only once per job, so a model loaded later is not replaced."""
    job = st.session_state.get(JOB_KEY)
    if job is None or job.active or job.result is None or st.session_state.get("adopted_job") is job:
        return
    st.session_state["adopted_job"] = job
    if job.result.diverged:
        return
    label = TrainedLabel(job.spec.name, job.result.epochs_done, job.dataset.title)
    set_active_model(ActiveModel(job.result.model, label, job.model_key, job.dataset.name, job.spec))


def follow_job() -> None:
    """While this session's training runs, every page keeps following it (a heartbeat that
    keeps the session counted as a follower) and shows where it is in the sidebar."""
    job = st.session_state.get(JOB_KEY)
    if job is None or not job.active:
        return

    @st.fragment(run_every=5.0)
    def follow() -> None:
        registry().heartbeat(job, session_id())
        if not job.active:
            st.rerun()  # the whole app: the finished model becomes this session's on whatever page
        progress = job.progress
        if job.state == "queued" or progress is None:
            st.caption(_("Training {model}: waiting to start…", model=job.spec.name))
        else:
            st.progress(progress.fraction, text=_("Training {model}: epoch {epoch} of {epochs}",
                                                  model=job.spec.name, epoch=progress.epoch, epochs=progress.epochs))

    with st.sidebar:
        follow()


def require_model() -> ActiveModel:
    """The session's model, or a pointer to where to get one (and the page stops)."""
    active = active_model()
    if active is None:
        st.info(_("No trained model in this session yet. Train one first — a 1-epoch run on a "
                  "subset takes a few seconds."))
        st.page_link("app_pages/train.py", label=_("Go to Train"), icon=":material/model_training:")
        st.stop()
    return active


@st.cache_resource(max_entries=32, show_spinner=False)
def _evaluation(_model: Any, model_key: str, _dataset: Dataset, dataset_key: str):
    """Evaluations are shared: students who trained the identical job see the same numbers."""
    from mnistlab.insight.evaluate import evaluate

    return evaluate(_model, _dataset)


def evaluation(model: Any, model_key: str, dataset: Dataset, dataset_key: str):
    """The shared evaluation, with a spinner in the reader's language while it is computed."""
    with st.spinner(_("Evaluating on the test set…")):
        return _evaluation(model, model_key, dataset, dataset_key)


def evaluate_active(active: ActiveModel, dataset: Dataset):
    return evaluation(active.model, active.key, dataset, dataset.fingerprint)
