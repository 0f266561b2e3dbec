"""Faults the training engine must survive: crafted input, reused ids, half-written cache folders,
a Stop with the last batch, a worker killed from outside, a cluster that prints a lot."""

from __future__ import annotations

import gc
import os
import signal
import threading
import time

import pytest

from mnistlab import ModelSpec
from mnistlab.model.spec import dense, flatten

pytestmark = pytest.mark.timeout(600)


def spec(seed=0, epochs=1):
    return ModelSpec((flatten(), dense(8)), epochs=epochs, seed=seed, batch_size=32)


def test_a_coordinate_too_big_for_a_float_is_a_stroke_error():
    from mnistlab.data.strokes import StrokeError, parse_strokes

    with pytest.raises(StrokeError, match="leaves the 280"):
        parse_strokes([[10, 10, int("9" * 400), 10]], 280)


def test_partial_models_never_share_a_model_key(tiny):
    from mnistlab.engine.jobs import Job
    from mnistlab.engine.result import TrainResult

    keys = set()
    for _ in range(50):  # CPython hands a freed object's id to the next one made
        job = Job("k", spec(), tiny, result=TrainResult(b"", {}, 1.0, 0, stopped=True))
        keys.add(job.model_key)
        del job
        gc.collect()
    assert len(keys) == 50


def test_a_postgresql_store_checks_its_connections_before_use(monkeypatch):
    import sqlalchemy as sa

    import mnistlab.store.runs as runs

    made = {}

    def create_engine(url, **kwargs):
        made.update(kwargs)
        raise sa.exc.OperationalError("connect", {}, Exception("no server"))

    monkeypatch.setattr(runs.sa, "create_engine", create_engine)
    with pytest.raises(runs.StoreError):
        runs.Store("postgresql+psycopg://user:secret@nowhere/db")
    assert made.get("pool_pre_ping") is True


def test_half_written_cache_folders_are_cleaned_at_start(tiny, tmp_path):
    from mnistlab.engine.train import train

    runs = tmp_path / "runs"
    stale, fresh = runs / ".abc123-x1y2", runs / ".def456-z3w4"
    for folder in (stale, fresh):
        folder.mkdir(parents=True)
        (folder / "model.keras").write_bytes(b"half")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    train(spec(seed=70), tiny, cache_dir=tmp_path)
    assert not stale.exists()
    assert fresh.exists()  # another process may be writing it right now


def test_a_stop_with_the_last_batch_keeps_a_complete_run(tiny, tmp_path):
    from mnistlab.engine.train import train

    s = spec(seed=71, epochs=2)
    asked = []  # Stop is looked at before every compiled call (of one step or several): count them once
    train(s, tiny, should_stop=lambda: bool(asked.append(1)), use_cache=False)
    total = len(asked)
    calls = []

    def should_stop():  # Stop arrives with the very last call
        calls.append(1)
        return len(calls) >= total

    result = train(s, tiny, should_stop=should_stop, cache_dir=tmp_path)
    assert len(calls) == total and result.epochs_done == 2
    assert result.complete and not result.stopped and "Trained 2 epochs" in str(result.message)


def test_a_follower_in_a_background_tab_still_counts(tiny, monkeypatch):
    import mnistlab.engine.jobs
    from mnistlab.engine.jobs import Job, JobRegistry

    def refuse(*args, **kwargs):
        raise OSError("no engine in this test")

    monkeypatch.setattr(mnistlab.engine.jobs, "start_engine", refuse)
    reg = JobRegistry(max_jobs=1)
    now = time.monotonic()
    job = Job("k", spec(), tiny, followers={"background-tab": now - 65, "alice": now})  # its timer: once a minute
    assert reg.stop(job, "alice") is False and job.active


@pytest.fixture(scope="module")
def engine():
    from mnistlab.engine.cluster import start_engine

    started = start_engine(n_workers=1)
    yield started
    started.close()


def test_the_cluster_can_print_without_freezing(engine):
    def shout():
        print("x" * 200_000, flush=True)  # more than a pipe holds
        return True

    answer = {}
    thread = threading.Thread(target=lambda: answer.update(engine.client.run(shout)), daemon=True)
    thread.start()
    thread.join(60)
    assert list(answer.values()) == [True]


def test_a_worker_killed_from_outside_is_not_called_a_memory_kill(engine, tiny, tmp_path):
    from mnistlab.engine.jobs import FAILED, JobRegistry

    reg = JobRegistry(engine=engine, max_jobs=1, cache_dir=tmp_path)
    job = reg.submit(ModelSpec((flatten(), dense(8)), epochs=200, batch_size=8), tiny, "alice")
    deadline = time.monotonic() + 120
    while job.progress is None:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    for pid in engine.client.run(os.getpid).values():
        os.kill(pid, signal.SIGKILL)
    assert job.wait(60) and job.state == FAILED
    assert "more memory" not in str(job.error) and "died" in str(job.error)


def until(condition, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def fresh_workers(client, old_pids: set[int]) -> bool:
    """Every worker is a process started since, and up (one closing may refuse to answer meanwhile)."""
    try:
        pids = set(client.run(os.getpid).values())
    except Exception:  # noqa: BLE001 — a worker leaving as it is asked
        return False
    return bool(pids) and not pids & old_pids


def test_a_worker_is_recycled_after_its_trainings_and_the_next_one_runs(engine, tiny, tmp_path):
    from mnistlab.engine.jobs import DONE, JobRegistry

    # this worker's own setting (a lambda travels by value); its successor reads its nanny's environment again
    engine.client.run(lambda: os.environ.update(MNISTLAB_WORKER_RECYCLE_AFTER="1"))
    pids = set(engine.client.run(os.getpid).values())
    reg = JobRegistry(engine=engine, max_jobs=1, cache_dir=tmp_path)
    job = reg.submit(spec(seed=80), tiny, "a")
    assert job.wait(120) and job.state == DONE
    until(lambda: fresh_workers(engine.client, pids), 300)
    later = reg.submit(spec(seed=81), tiny, "b")
    assert later.wait(120) and later.state == DONE


def test_the_embedded_workers_have_a_dask_lifetime_with_restart(engine):
    from mnistlab.engine.lifetime import TrainingWorker

    def lifetime(dask_worker):
        return isinstance(dask_worker, TrainingWorker), dask_worker.lifetime, dask_worker.lifetime_restart

    for is_training_worker, seconds, restart in engine.client.run(lifetime).values():
        assert is_training_worker and restart and 3600 * 0.9 <= seconds <= 3600 * 1.1  # 1 hour, staggered


def test_a_worker_lifetime_never_cuts_a_training_short(engine, tiny, tmp_path):
    """Dask's lifetime retires a worker whatever it runs; a TrainingWorker lets its training end first.
    The lifetime is reached here as Dask's own timer reaches it (`close_gracefully(reason="worker-lifetime-reached")`
    on a worker with `lifetime_restart`), mid-training: a short `--lifetime` would have to outlast the worker's
    start (it imports TensorFlow, 40 s on a busy 2-core machine) to ever meet a training."""
    from mnistlab.engine.jobs import DONE, JobRegistry
    from mnistlab.engine.worker import TOPIC

    pids = set(engine.client.run(os.getpid).values())
    reg = JobRegistry(engine=engine, max_jobs=1, cache_dir=tmp_path)
    job = reg.submit(ModelSpec((flatten(), dense(8)), epochs=12, batch_size=8, seed=82), tiny, "alice")
    until(lambda: job.progress is not None and job.progress.epoch >= 2)
    engine.client.run(lambda dask_worker: dask_worker.loop.add_callback(
        dask_worker.close_gracefully, reason="worker-lifetime-reached"))
    assert job.wait(300) and job.state == DONE and job.result.complete and job.result.epochs_done == 12
    started = [msg for _, msg in engine.client.get_events(TOPIC)
               if msg.get("key") == job.dask_key and msg.get("kind") == "started"]
    assert len(started) == 1  # never cut off and started again on a fresh worker
    until(lambda: fresh_workers(engine.client, pids), 300)
    later = reg.submit(spec(seed=83), tiny, "bob")  # the fresh worker trains the next one
    assert later.wait(300) and later.state == DONE
