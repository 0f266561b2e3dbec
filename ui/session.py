"""What belongs to one student's session (`st.session_state`): who they are, the dataset they
chose, the model they work with and the training they asked for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import streamlit as st

from mnistlab.i18n import Message
from mnistlab.model.naming import trained_model_label
from mnistlab.model.spec import ModelSpec
from ui.progress import record_training

DATASET_KEY = "dataset_name"
UPLOADED_KEY = "uploaded_dataset"
MODEL_KEY = "active_model"
JOB_KEY = "train_job"  # the training job this session asked for (a mnistlab.engine.jobs.Job)


@dataclass(frozen=True)
class ActiveModel:
    """The model this session evaluates and draws with, and where it came from."""

    model: Any  # keras.Model; typed loosely so this module never imports Keras
    label: str | Message  # what the user reads, in their language when shown (`str()`): mnistlab/model/naming.py
    key: str  # identifies the weights: a training cache key or an upload's hash
    dataset_name: str
    spec: ModelSpec | None = None


def session_id() -> str:
    if "session_id" not in st.session_state:
        st.session_state.session_id = uuid.uuid4().hex
    return st.session_state.session_id


def dataset_name() -> str:
    return st.session_state.get(DATASET_KEY, "mnist")


def active_model() -> ActiveModel | None:
    return st.session_state.get(MODEL_KEY)


def set_active_model(active: ActiveModel | None) -> None:
    st.session_state[MODEL_KEY] = active


def adopt_finished_job() -> None:
    """Once the session's training ends, its model becomes the session's model — whichever
    page the student is on. Only once per job, so a model loaded later is not replaced."""
    job = st.session_state.get(JOB_KEY)
    if job is None or job.active or job.result is None or st.session_state.get("adopted_job") is job:
        return
    st.session_state["adopted_job"] = job
    if job.result.diverged:
        return
    record_training(job)
    label = trained_model_label(job.spec.name, job.result.epochs_done, job.dataset.title)
    set_active_model(ActiveModel(job.result.model, label, job.model_key, job.dataset.name, job.spec))
