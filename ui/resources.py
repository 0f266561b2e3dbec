"""What the whole server shares, made once per process in `st.cache_resource` so 30 students
share one copy: the datasets, the class's store, the job registry, evaluations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from mnistlab.data.dataset import Dataset
from mnistlab.data.load import fallback_expired, load_dataset
from mnistlab.engine.jobs import JobRegistry
from mnistlab.i18n import L_, _

if TYPE_CHECKING:
    from mnistlab.store.runs import Store
    from ui.session import ActiveModel


@st.cache_resource(show_spinner=False, validate=lambda dataset: not fallback_expired(dataset))
def shared_dataset(name: str, load_from: str = "auto") -> Dataset:
    """Loaded once per process, read-only, shared by every session. The offline sample given
    when the download failed is dropped after `DOWNLOAD_RETRY_S`, so a later request retries."""
    return load_dataset(name, load_from)


@st.cache_resource
def shared_store() -> Store:
    """SQLite under the cache folder, or the `[connections.runs]` database of the app's secrets."""
    from mnistlab.store.runs import Store

    try:
        config = dict(st.secrets.get("connections", {}).get("runs", {}))
    except (FileNotFoundError, KeyError, AttributeError, StreamlitSecretNotFoundError):
        config = {}
    if not config:
        return Store()
    try:
        if config.get("url"):
            return Store(config["url"])
        return Store(st.connection("runs", type="sql").engine)  # dialect/host/... settings
    except Exception as exc:  # a wrong URL, a missing driver, a database that is down
        fallback = Store()
        fallback.problem = L_("The runs database in the app's secrets cannot be used ({error}); runs are kept in a "
                              "local SQLite file on this server instead.", error=f"{type(exc).__name__}: {exc}")
        return fallback


@st.cache_resource(validate=lambda registry: not registry.engine_retry_due())
def registry() -> JobRegistry:
    """Once per server: the embedded Dask cluster, or the shared one named in the secrets
    (`[dask] scheduler = "tls://host:8786"` and its TLS files) or in MNISTLAB_DASK_SCHEDULER. Each run is
    recorded once in the class's store: by its worker when that reaches the same store, else here. A
    registry whose engine could not start is replaced after a while, so the next page tries again."""
    from mnistlab.engine.cluster import scheduler_address, scheduler_security

    dask = secrets_section("dask")
    return JobRegistry(store=shared_store(), scheduler=scheduler_address(dask), security=scheduler_security(dask))


def secrets_section(name: str) -> dict:
    """A section of the app's secrets, {} when there are none."""
    try:
        return dict(st.secrets.get(name, {}))
    except (FileNotFoundError, KeyError, AttributeError, StreamlitSecretNotFoundError):
        return {}


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
    """The shared evaluation of the session's model on `dataset`."""
    return evaluation(active.model, active.key, dataset, dataset.fingerprint)
