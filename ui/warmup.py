"""The Draw page's default model, trained in the background from the server's first run.

app.py calls `start_default_model()` on every run; the job is submitted once per process
(st.cache_resource) to the shared job registry, so by the time a student opens Draw the
model is trained, or well on its way — and once this machine has trained it, the
training cache hands it over at once. The Draw page asks for the same job.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import streamlit as st

from mnistlab.engine.jobs import CANCELLED, FAILED, STOPPED
from mnistlab.errors import DataError
from mnistlab.model.presets import draw_default_spec
from ui.resources import registry, shared_dataset

if TYPE_CHECKING:
    from mnistlab.engine.jobs import Job

FOLLOWER = "server-warmup"  # never leaves, so nobody's Stop ends the default model's training
ENABLED_ENV = "MNISTLAB_WARMUP"  # "0": train the default model only when Draw first needs it


def warmup_enabled() -> bool:
    return os.environ.get(ENABLED_ENV, "1") != "0"


def start_default_model() -> Job:
    """The default model's training job for the app's MNIST (full, or the offline sample):
    queued, running or done. Submitted once per process, and again only if it failed.
    Raises DataError when there is no MNIST to train on."""
    job = _default_job()
    if job.state in (FAILED, CANCELLED, STOPPED):  # a resource error, say: try again, not fail forever
        _default_job.clear()
        job = _default_job()
    return job


@st.cache_resource(show_spinner=False)
def _default_job() -> Job:
    return registry().submit(draw_default_spec(), shared_dataset("mnist"), follower=FOLLOWER, permanent=True)


def warm_up() -> None:
    """Start the default model at server start-up, unless MNISTLAB_WARMUP=0. Without data
    there is nothing to start; the pages say why."""
    if not warmup_enabled():
        return
    try:
        start_default_model()
    except DataError:
        pass
