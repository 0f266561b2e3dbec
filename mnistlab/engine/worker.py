"""What runs inside a Dask worker process: one training per task, nothing else beside it.

Also a Dask preload (`dask worker --preload mnistlab.engine.worker`, used by the embedded
cluster too): it lowers the worker's CPU priority below the app's and imports
TensorFlow before the first job arrives.

The task reports progress with `log_event` on one topic, reads its stop switch (the
servers that follow it, kept on the scheduler: `mnistlab.engine.follow`) between batches,
stops on its own past `max_seconds`, and returns the `TrainResult` itself, its model as the bytes
of its `.keras` file and its test scores measured, so nothing in the app process has to import
TensorFlow to follow or record a training. A worker may be on another machine: it uses its own
training cache (`MNISTLAB_CACHE_DIR` there), its own data, and its own run store (MNISTLAB_RUNS_URL
there) only when that is the app's; nothing about the app's folders or database travels in a task.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from dataclasses import replace
from typing import Any

from mnistlab.engine.result import TrainingTask, TrainResult
from mnistlab.i18n import L_, Ln_

logger = logging.getLogger(__name__)

TOPIC = "mnistlab-progress"
PROGRESS_EVERY = 0.5  # seconds between progress events within an epoch
STOP_CHECK_EVERY = 0.25  # seconds between looks at the stop switch (a round trip to the scheduler)
NICE = 10  # how much lower than the app the trainings run


def lower_priority(nice: int | None = None) -> None:
    """Every thread of this process yields the CPU to the app's (Linux niceness is per thread;
    threads started later inherit it from the thread that starts them)."""
    nice = int(os.environ.get("MNISTLAB_WORKER_NICE", NICE)) if nice is None else nice
    try:
        tids = [int(tid) for tid in os.listdir("/proc/self/task")]
    except OSError:  # not Linux: the whole process at once
        tids = [0]
    for tid in tids:
        try:
            if os.getpriority(os.PRIO_PROCESS, tid) < nice:
                os.setpriority(os.PRIO_PROCESS, tid, nice)
        except OSError:  # a thread that just ended, or a platform without per-thread priority
            pass


def dask_setup(worker=None) -> None:
    """Dask preload hook: run once when a worker process starts, before it takes a task."""
    lower_priority()
    import keras  # noqa: F401 — TensorFlow takes ~5 s to import: pay it before the first job
    import tensorflow as tf

    # Same seed, same history, whatever else the machine is doing: without this, reductions split
    # across threads add up in an order that depends on the load (0.04 apart in the first epoch's
    # loss when two trainings share the cores). The process trains and does nothing else.
    tf.config.experimental.enable_op_determinism()
    lower_priority()  # TensorFlow's own threads


@functools.cache
def _builtin_dataset(name: str, source: str):
    from mnistlab.data.load import load_dataset

    return load_dataset(name, source)


def resolve_dataset(dataset: Any):
    """A Dataset, or a (name, source, fingerprint) reference to a built-in one this worker loads once."""
    if not isinstance(dataset, tuple):
        return dataset
    from mnistlab.errors import DataError
    from mnistlab.i18n import N_

    name, source, fingerprint = dataset
    loaded = _builtin_dataset(name, source)
    if loaded.fingerprint != fingerprint:
        raise DataError(
            "worker_data_differs",
            N_("The training worker has different {name} data ({source}) from the app's: give every machine the "
               "same data (the same ~/.keras/datasets files), or none but the sample."),
            name=name, source=loaded.source,
        )
    return loaded


@functools.cache
def own_store():
    """The run store this worker reaches from its own settings: a database server in its own environment
    (MNISTLAB_RUNS_URL), never the app's SQLite file on another machine. None when it has none."""
    from mnistlab.store.runs import Store

    url = os.environ.get("MNISTLAB_RUNS_URL", "").strip()
    return Store(url) if url else None


def run_training(task: TrainingTask, dataset: Any) -> TrainResult:
    """The Dask task: train (or take from this worker's own disk cache), measure, record the run when this
    worker reaches the app's store, and return the result itself: one frozen value, pickled whole."""
    from distributed import get_client, get_worker

    from mnistlab.engine.follow import nobody_follows
    from mnistlab.engine.lifetime import note_training
    from mnistlab.engine.train import train
    from mnistlab.model.spec import ModelSpec

    lower_priority()
    worker = get_worker()
    key = task.dask_key
    worker.log_event(TOPIC, {"key": key, "kind": "started", "worker": worker.address})
    client = get_client()
    limit = task.max_seconds
    state = {"stop_checked": 0.0, "stopped": False, "reported": 0.0, "began": time.monotonic(), "timed_out": False}

    def should_stop() -> bool:
        now = time.monotonic()
        if limit and now - state["began"] > limit:
            state["stopped"] = state["timed_out"] = True
        if not state["stopped"] and now - state["stop_checked"] >= STOP_CHECK_EVERY:
            state["stop_checked"] = now
            try:
                state["stopped"] = nobody_follows(client, key)
            except Exception:  # noqa: BLE001 — the scheduler is away for a moment: look again later
                logger.debug("could not read who follows %s", key)
        return state["stopped"]

    def report(progress, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - state["reported"] >= PROGRESS_EVERY:
            state["reported"] = now
            worker.log_event(TOPIC, {
                "key": key, "kind": "progress", "epoch": progress.epoch, "epochs": progress.epochs,
                "batch": progress.batch, "batches": progress.batches, "elapsed": progress.elapsed,
                "logs": progress.logs, "history": progress.history,
            })

    spec = ModelSpec.from_json(task.spec_json)
    dataset = resolve_dataset(dataset)
    result = train(spec, dataset, on_epoch=lambda p: report(p, force=True), on_batch=report,
                   should_stop=should_stop, cache_dir=task.cache_dir or None)  # None: this worker's own folder
    if state["timed_out"] and result.stopped:
        result = replace(result, message=_time_limit_message(limit, result.epochs_done))
    if not (result.cached and task.known):  # the app's store has this run already: nothing to measure
        result = _measured(result, dataset)
    result = replace(result, model_or_bytes=result.model_bytes(), requested_by=task.server)
    result = _record_here(task, spec, dataset, result)
    if not result.cached:
        note_training(worker)
    return result


def _time_limit_message(limit: float, done: int):
    return Ln_("Stopped after {seconds:.0f} s, the longest one training may run on this server "
               "(MNISTLAB_MAX_TRAINING_S); the {n} complete epoch is kept.",
               "Stopped after {seconds:.0f} s, the longest one training may run on this server "
               "(MNISTLAB_MAX_TRAINING_S); the {n} complete epochs are kept.", done, seconds=limit)


def _measured(result: TrainResult, dataset) -> TrainResult:
    """The test scores, measured here where the model already is (the app then needs no TensorFlow to record)."""
    if result.diverged:
        return result
    from mnistlab.insight.evaluate import evaluate

    scores = evaluate(result.model, dataset)
    return replace(result, test_accuracy=scores.accuracy, test_loss=scores.loss)


def _record_here(task: TrainingTask, spec, dataset, result: TrainResult) -> TrainResult:
    """Record the run in this worker's own store when it is the one the app lists (the same store id); else
    the app records it. A failed insert is said in the notice: the student keeps the model."""
    from mnistlab.engine.result import reason
    from mnistlab.store.runs import record_run, store_id

    try:
        store = own_store()
        if store is None or not task.store_id or store_id(store) != task.store_id:
            return result
    except Exception:  # noqa: BLE001 — a store this worker cannot reach: the app records the run
        logger.exception("the worker's own run store cannot be used; the app records %s", task.key)
        return result
    try:
        return replace(result, recorded=True, run_id=record_run(store, spec, dataset, result, task.owner))
    except Exception as exc:  # noqa: BLE001 — the student keeps the model whatever the database says
        logger.exception("storing the run of %s failed", task.dask_key)
        failed = L_("This run could not be saved to the class's experiments ({kind}: {reason}).",
                    kind=type(exc).__name__, reason=reason(exc))
        notice = L_("{first} {second}", first=result.notice, second=failed) if result.notice else failed
        return replace(result, recorded=True, notice=notice)
