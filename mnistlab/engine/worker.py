"""What runs inside a Dask worker process: one training per task, nothing else beside it.

Also a Dask preload (`dask worker --preload mnistlab.engine.worker`, used by the embedded
cluster too): it lowers the worker's CPU priority below the app's and imports
TensorFlow before the first job arrives.

The task reports progress with `log_event` on one topic, reads its stop switch (the
servers that follow it, kept on the scheduler: `mnistlab.engine.follow`) between batches,
stops on its own past `max_seconds`, and returns the model as the bytes of its `.keras`
file, so nothing in the app process has to import TensorFlow to follow a training.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from typing import Any

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
def _store(url: str):
    from mnistlab.store.runs import Store

    return Store(url)


_trainings = 0


def _process_rss() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def run_training(job: dict[str, Any]) -> dict[str, Any]:
    """The Dask task: train (or take from the worker's disk cache), store the run, return it."""
    from distributed import get_client, get_worker

    from mnistlab.engine.follow import nobody_follows
    from mnistlab.engine.train import train
    from mnistlab.model.spec import ModelSpec

    global _trainings
    lower_priority()
    worker = get_worker()
    key = job["dask_key"]
    worker.log_event(TOPIC, {"key": key, "kind": "started", "worker": worker.address})
    client = get_client()
    limit = float(job.get("max_seconds") or 0)
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

    spec = ModelSpec.from_json(job["spec_json"])
    dataset = resolve_dataset(job["dataset"])
    result = train(spec, dataset, on_epoch=lambda p: report(p, force=True), on_batch=report,
                   should_stop=should_stop, cache_dir=job["cache_dir"])
    if state["timed_out"] and result.stopped:
        result.message = _time_limit_message(limit, result.epochs_done)
    if not result.cached:
        _trainings += 1
    run_id, record_error = _record(job, result, spec, dataset)
    notice = result.notice
    if notice and record_error:
        notice = L_("{first} {second}", first=notice, second=record_error)
    return {
        "model": result.model_bytes(), "history": result.history, "seconds": result.seconds,
        "epochs_done": result.epochs_done, "stopped": result.stopped, "diverged": result.diverged,
        "cached": result.cached, "key": result.key, "message": result.message,
        "notice": notice or record_error or "",
        "run_id": run_id, "stored": bool(job.get("store_url")) and not record_error,
        "worker": worker.address, "worker_trainings": _trainings, "worker_rss": _process_rss(),
    }


def _time_limit_message(limit: float, done: int):
    return Ln_("Stopped after {seconds:.0f} s, the longest one training may run on this server "
               "(MNISTLAB_MAX_TRAINING_S); the {n} complete epoch is kept.",
               "Stopped after {seconds:.0f} s, the longest one training may run on this server "
               "(MNISTLAB_MAX_TRAINING_S); the {n} complete epochs are kept.", done, seconds=limit)


def _record(job: dict[str, Any], result, spec, dataset):
    """Store the run: a fresh one always, one served from the cache when the store lacks it (its first
    insert failed, or the teacher cleared the runs since). Returns (run id, the reason it was not saved)."""
    from types import SimpleNamespace

    from mnistlab.engine.result import reason
    from mnistlab.store.runs import record_job

    if not job.get("store_url"):
        return None, None
    done = SimpleNamespace(result=result, spec=spec, dataset=dataset, key=job["key"], owner=job.get("owner", ""))
    try:
        store = _store(job["store_url"])
        if result.cached and store.has_run(job["key"]):
            return None, None
        return record_job(store, done, again=True), None
    except Exception as exc:  # noqa: BLE001 — the student keeps the model whatever the database says
        logger.exception("storing the run of %s failed", job["dask_key"])
        return None, L_("This run could not be saved to the class's experiments ({kind}: {reason}).",
                        kind=type(exc).__name__, reason=reason(exc))
