"""The job registry on a real Dask `LocalCluster` of worker processes: one training per
identical request, a queue, stop semantics, followers that expire, isolation, memory kills."""

from __future__ import annotations

import time

import pytest

from mnistlab import ModelSpec
from mnistlab.engine.cluster import start_engine
from mnistlab.engine.jobs import CANCELLED, DONE, FAILED, QUEUED, RUNNING, STOPPED, JobRegistry
from mnistlab.model.spec import conv2d, dense, flatten
from mnistlab.store.runs import Store

pytestmark = pytest.mark.timeout(600)


def spec(seed=0, epochs=1, units=8, batch_size=32):
    return ModelSpec((flatten(), dense(units)), epochs=epochs, seed=seed, batch_size=batch_size)


def slow(seed=0):
    """Long enough to be caught running (hundreds of small batches), stopped long before its end."""
    return spec(seed, epochs=200, batch_size=8)


@pytest.fixture(scope="module")
def engine():
    started = start_engine(n_workers=2)
    yield started
    started.close()


@pytest.fixture
def registry(engine, tmp_path):
    made = []

    def make(**kwargs):
        kwargs.setdefault("max_jobs", 2)
        kwargs.setdefault("cache_dir", tmp_path / "cache")
        reg = JobRegistry(engine=kwargs.pop("engine", engine), **kwargs)
        made.append(reg)
        return reg

    yield make
    for reg in made:  # nothing left running into the next test
        for job in list(reg._jobs.values()):
            for follower in list(job.followers):
                reg.stop(job, follower)
            job.wait(60)


def until(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_identical_requests_share_one_training(registry, tiny):
    reg = registry()
    jobs = [reg.submit(spec(), tiny, f"student{i}") for i in range(5)]
    assert all(job is jobs[0] for job in jobs)
    assert jobs[0].wait(120) and jobs[0].state == DONE
    assert reg.trainings_executed == 1
    assert set(jobs[0].followers) == {f"student{i}" for i in range(5)}
    late = reg.submit(spec(), tiny, "latecomer")
    assert late is jobs[0] and late.result.model.count_params() == 784 * 8 + 8 + 8 * 10 + 10


def test_the_limit_queues_the_rest_in_order(registry, tiny):
    reg = registry(max_jobs=2)
    jobs = [reg.submit(slow(seed), tiny, f"s{seed}") for seed in (1, 2, 3, 4)]
    until(lambda: jobs[0].state == RUNNING and jobs[1].state == RUNNING)
    assert [job.state for job in jobs] == [RUNNING, RUNNING, QUEUED, QUEUED]
    assert [reg.position(job) for job in jobs] == [0, 0, 1, 2]
    assert reg.counts() == {"running": 2, "queued": 2, "known": 4}
    assert reg.stop(jobs[0], "s1") is True
    until(lambda: jobs[2].state == RUNNING)  # the first in line starts when a trainer is free
    assert reg.position(jobs[3]) == 1


def test_stop_with_two_followers_stops_only_when_both_left(registry, tiny):
    reg = registry()
    job = reg.submit(slow(), tiny, "alice")
    assert reg.submit(slow(), tiny, "bob") is job
    until(lambda: job.progress is not None)
    reg.heartbeat(job, "bob")  # bob's page still polls
    assert reg.stop(job, "alice") is False
    time.sleep(1.0)  # a stop would have reached the worker by now (it looks every 0.25 s)
    assert job.state == RUNNING
    started = time.monotonic()
    assert reg.stop(job, "bob") is True
    assert job.wait(30) and job.state == STOPPED and job.result.stopped
    assert time.monotonic() - started < 10
    # completed epochs only on the curves; the interrupted one is marked for what it is (a Stop that lands
    # before an epoch's last call of several steps lets that epoch end whole: nothing is partial then)
    partial = job.result.history.get("partial_epoch")
    assert partial is None or (partial["batches"] < partial["of"] and partial["epoch"] == job.result.epochs_done + 1)
    assert len(job.result.history["loss"]) == job.result.epochs_done < slow().epochs
    # a stopped job is not handed to the next request: that one trains afresh
    again = reg.submit(spec(), tiny, "carol")
    assert again is not job
    assert again.wait(120) and again.state == DONE


def test_a_stopping_job_is_never_joined(registry, tiny):
    reg = registry()
    job = reg.submit(slow(), tiny, "alice")
    until(lambda: job.progress is not None)
    assert reg.stop(job, "alice") is True
    fresh = reg.submit(slow(), tiny, "bob")  # asked for while the first is still winding down
    assert fresh is not job and fresh.dask_key != job.dask_key and fresh.key == job.key
    assert job.wait(30) and job.state == STOPPED
    until(lambda: fresh.progress is not None)
    assert fresh.state == RUNNING  # the fresh task did not inherit the old one's stop switch


def test_an_expired_follower_does_not_hold_the_job(registry, tiny):
    reg = registry(follower_ttl=1.0)
    job = reg.submit(slow(), tiny, "alice")
    reg.submit(slow(), tiny, "closed-tab")
    until(lambda: job.progress is not None)
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:  # alice's page polls; the closed tab's does not
        reg.heartbeat(job, "alice")
        time.sleep(0.1)
    assert reg.stop(job, "alice") is True
    assert job.wait(30) and job.state == STOPPED


def test_stopping_a_queued_job_cancels_it(registry, tiny):
    reg = registry(max_jobs=2)
    running = [reg.submit(slow(seed), tiny, f"a{seed}") for seed in (1, 2)]  # a session follows one job
    waiting = reg.submit(slow(3), tiny, "b")
    until(lambda: all(job.state == RUNNING for job in running))
    assert reg.stop(waiting, "b") is True
    assert waiting.wait(30) and waiting.state == CANCELLED
    assert "Cancelled" in str(waiting.error) and "failed" not in str(waiting.error).lower()
    assert reg.position(waiting) == 0


def test_two_jobs_at_once_give_their_solo_histories(registry, tiny, tmp_path):
    a, b = spec(seed=11, epochs=3, units=32), spec(seed=12, epochs=3, units=32)
    solo = registry(cache_dir=tmp_path / "solo")
    alone = []
    for s in (a, b):
        job = solo.submit(s, tiny, "x")
        assert job.wait(120) and job.state == DONE
        alone.append(job.result.history)
    together = registry(cache_dir=tmp_path / "together")
    jobs = [together.submit(s, tiny, follower) for s, follower in ((a, "y1"), (b, "y2"))]  # one job a session
    assert all(job.wait(120) for job in jobs)
    assert not any(job.result.cached for job in jobs)
    for job, history in zip(jobs, alone, strict=True):
        for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
            assert job.result.history[name] == history[name]


def test_two_registries_on_one_scheduler_share_one_job(engine, registry, tiny, tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    other = start_engine(address=engine.address)  # a second app server's connection
    try:
        first = registry(store=url)
        second = registry(store=url, engine=other)
        mine = first.submit(spec(5, epochs=4, batch_size=8), tiny, "alice")
        until(lambda: mine.progress is not None)
        theirs = second.submit(spec(5, epochs=4, batch_size=8), tiny, "bob")
        until(lambda: theirs.progress is not None)  # the other server follows the same live task
        assert theirs.dask_key == mine.dask_key
        # a Stop on the other server leaves the training to the students who still follow it here
        assert second.stop(theirs, "bob") is False
        assert mine.wait(120) and theirs.wait(30)
        assert mine.state == DONE and mine.result.complete and mine.result.epochs_done == 4
        assert mine.result.history == theirs.result.history
        runs = Store(url).list()
        assert len(runs) == 1 and runs[0].cache_key == mine.key  # stored once, by the server that asked first
    finally:
        other.close()


def test_a_training_followed_on_two_servers_stops_when_both_left(engine, registry, tiny):
    other = start_engine(address=engine.address)
    try:
        first, second = registry(), registry(engine=other)
        mine = first.submit(slow(6), tiny, "alice")
        until(lambda: mine.progress is not None)
        theirs = second.submit(slow(6), tiny, "bob")
        until(lambda: theirs.progress is not None)
        assert second.stop(theirs, "bob") is False
        time.sleep(1.0)  # a stop would have reached the worker by now
        assert mine.state == RUNNING
        assert first.stop(mine, "alice") is True
        assert mine.wait(30) and mine.state == STOPPED and theirs.wait(30) and theirs.state == STOPPED
    finally:
        other.close()


def test_a_stop_while_the_run_is_stored_leaves_no_switch_behind(registry, tiny, tmp_path):
    import sqlite3

    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    store = Store(url)  # the tables
    lock = sqlite3.connect(tmp_path / "runs.sqlite")
    lock.execute("BEGIN EXCLUSIVE")  # the worker's insert waits (5 s), then fails: a wide window
    try:
        reg = registry(store=store, cache_dir=tmp_path / "a")
        job = reg.submit(spec(41), tiny, "alice")
        until(lambda: (tmp_path / "a" / "runs" / job.key).exists())  # train() has returned
        time.sleep(0.3)
        reg.stop(job, "alice")  # pressed while the worker stores the finished run
        assert job.wait(60) and job.state == DONE and job.result.complete
    finally:
        lock.rollback()
        lock.close()
    again = registry(cache_dir=tmp_path / "b").submit(spec(41), tiny, "bob")  # the same key, trained afresh
    assert again.dask_key == job.dask_key
    assert again.wait(120) and again.state == DONE and not again.result.cached and again.result.complete


def test_a_run_not_stored_once_is_stored_by_a_later_identical_request(registry, tiny, tmp_path):
    import sqlite3

    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    store = Store(url)
    lock = sqlite3.connect(tmp_path / "runs.sqlite")
    lock.execute("BEGIN EXCLUSIVE")  # the database is "down" for the first training
    try:
        first = registry(store=store).submit(spec(42), tiny, "alice")
        assert first.wait(120) and first.state == DONE and "could not be saved" in str(first.result.notice)
    finally:
        lock.rollback()
        lock.close()
    assert store.list() == []
    later = registry(store=url).submit(spec(42), tiny, "bob")  # a cache hit on the worker
    assert later.wait(120) and later.result.cached
    assert [run.cache_key for run in store.list()] == [first.key]
    store.clear(teacher=True)  # the teacher clears the runs: the next identical training is stored again
    cleared = registry(store=url).submit(spec(42), tiny, "carol")
    assert cleared.wait(120) and [run.cache_key for run in store.list()] == [first.key]


def test_stopping_a_job_that_started_unseen_stops_its_training(registry, tiny, monkeypatch):
    from mnistlab.engine.worker import TOPIC

    monkeypatch.setattr(JobRegistry, "_on_event", lambda self, event: None)  # "started" never arrives here
    reg = registry()
    job = reg.submit(slow(43), tiny, "alice")
    client = reg.engine.client

    def events():
        return [msg for _, msg in client.get_events(TOPIC) if msg.get("key") == job.dask_key]

    until(lambda: any(msg["kind"] == "progress" for msg in events()))
    assert job.state == QUEUED  # as far as this server knows, it has not started
    assert reg.stop(job, "alice") is True
    time.sleep(3.0)
    seen = len(events())
    time.sleep(2.0)  # a training still running reports twice a second
    assert len(events()) == seen


def test_a_stop_as_the_job_finishes_keeps_its_result(registry, tiny):
    reg = registry()
    job = reg.submit(spec(44), tiny, "alice")
    assert job.wait(120) and job.state == DONE
    assert reg.stop(job, "alice") is True  # not "others are training it": the job is over, its model kept
    assert job.state == DONE and job.result.complete


def test_a_job_that_cannot_be_sent_fails_alone(registry, tiny):
    import threading

    from mnistlab.data.dataset import Dataset

    x_train = tiny.x_train.copy()
    x_train[0, 0, 0] = 1
    broken = Dataset("mnist", x_train, tiny.y_train, tiny.x_test, tiny.y_test, tiny.class_names, "broken", True)
    object.__setattr__(broken, "trap", threading.Lock())  # cannot be pickled
    reg = registry()
    bad = reg.submit(spec(45), broken, "alice")
    assert bad.wait(60) and bad.state == FAILED and "could not be handed to the trainers" in str(bad.error)
    good = reg.submit(spec(46), tiny, "bob")  # the dispatcher goes on
    assert good.wait(120) and good.state == DONE


def test_a_session_follows_one_job(registry, tiny):
    reg = registry()
    first = reg.submit(slow(47), tiny, "alice")
    until(lambda: first.progress is not None)
    second = reg.submit(slow(48), tiny, "alice")  # a new Train leaves the previous job, which nobody else follows
    assert first.wait(30) and first.state == STOPPED
    assert second.active and reg.stop(second, "alice")


def test_a_nickname_holds_at_most_two_jobs(registry, tiny):
    from mnistlab.model.spec import MAX_JOBS_PER_NICKNAME

    reg = registry()
    jobs = [reg.submit(slow(50 + i), tiny, f"tab{i}", owner="ann") for i in range(MAX_JOBS_PER_NICKNAME)]
    refused = reg.submit(slow(59), tiny, "tab9", owner="ann")
    assert refused.state == FAILED and "ann" in str(refused.error)
    assert f"the most one nickname may have at once ({MAX_JOBS_PER_NICKNAME})" in str(refused.error)
    assert all(job.active for job in jobs)
    assert reg.submit(slow(59), tiny, "tab9", owner="bea").active  # someone else may


def test_a_training_past_the_time_limit_stops_with_its_complete_epochs(registry, sample, monkeypatch):
    # 200 epochs of 3,600 one-image steps take minutes on any CPU, even with small steps grouped 32 to a call
    # (about 0.2 ms a step on 2026's 2 cores); the first epoch ends well within the limit even when the worker
    # starts late (a fresh one after recycling)
    monkeypatch.setenv("MNISTLAB_MAX_TRAINING_S", "30")
    reg = registry()
    job = reg.submit(spec(60, epochs=200, batch_size=1), sample, "alice")
    assert job.wait(120) and job.state == STOPPED
    assert job.result.epochs_done >= 1 and len(job.result.history["loss"]) == job.result.epochs_done
    assert "MNISTLAB_MAX_TRAINING_S" in str(job.result.message)


def test_a_worker_with_other_data_says_so(registry, tiny, monkeypatch):
    # a dataset sent by name that the worker loads differently (another machine's files)
    monkeypatch.setattr(JobRegistry, "_builtin_matches", staticmethod(lambda dataset: True))
    reg = registry()
    job = reg.submit(spec(seed=99), tiny, "a")
    assert job.wait(120) and job.state == FAILED
    assert "different mnist data" in str(job.error)


def test_on_finish_records_when_the_workers_cannot(registry, tiny):
    finished = []
    reg = registry(on_finish=finished.append)
    job = reg.submit(spec(seed=3), tiny, "a")
    assert job.wait(120)
    until(lambda: finished == [job])


def test_a_training_killed_for_memory_is_explained_and_the_next_runs(tiny, tmp_path, monkeypatch):
    # past the builder's estimate (lifted here, in this process and the cluster's) lies the worker's limit
    monkeypatch.setenv("MNISTLAB_TRAINING_MEMORY_MB", "100000")
    small = start_engine(n_workers=1, memory_limit=1_300_000_000)
    try:
        reg = JobRegistry(engine=small, max_jobs=1, cache_dir=tmp_path)
        huge = ModelSpec((conv2d(128, padding="same"), conv2d(128, padding="same"), flatten()), epochs=3,
                         batch_size=512)
        doomed = reg.submit(huge, tiny, "greedy")
        after = reg.submit(spec(seed=7), tiny, "patient")
        assert doomed.wait(300) and doomed.state == FAILED
        assert "more memory than the server gives one training" in str(doomed.error)
        assert after.wait(300) and after.state == DONE
    finally:
        small.close()


def test_an_engine_that_cannot_start_fails_every_job_with_its_reason(tiny, monkeypatch):
    import mnistlab.engine.jobs

    def refuse(*args, **kwargs):
        raise OSError("no scheduler at tcp://nowhere:8786")

    monkeypatch.setattr(mnistlab.engine.jobs, "start_engine", refuse)
    reg = JobRegistry(max_jobs=1, scheduler="tcp://nowhere:8786")
    early = reg.submit(spec(seed=31), tiny, "a")  # asked for while the engine was still starting
    assert early.wait(30) and early.state == FAILED and "could not start" in str(early.error)
    late = reg.submit(spec(seed=32), tiny, "b")  # asked for after: not queued for ever
    assert late.state == FAILED and "no scheduler" in str(late.error) and reg.engine_problem()
    # the app replaces such a registry after a while, so a scheduler down for a moment is tried again
    assert not reg.engine_retry_due() and reg.engine_retry_due(after_s=0)
