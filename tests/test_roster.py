"""The class's line across app servers (mnistlab.engine.roster): two registries on one real Dask scheduler, as
two app servers of a class; the teacher's Classroom page on one sees and stops a training the other follows."""

from __future__ import annotations

import time

import pytest

from mnistlab.model.spec import ModelSpec, dense, flatten

pytestmark = pytest.mark.timeout(600)


def until(condition, timeout):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return found


def test_a_teacher_on_one_server_sees_and_stops_a_training_another_server_follows(tiny, tmp_path):
    from mnistlab.engine.cluster import start_engine
    from mnistlab.engine.jobs import STOPPED, JobRegistry
    from mnistlab.engine.roster import PUBLISH_S

    first = start_engine(n_workers=1)
    second = start_engine(address=first.client.scheduler.address)
    try:
        a = JobRegistry(engine=first, max_jobs=1, cache_dir=tmp_path / "a")
        b = JobRegistry(engine=second, max_jobs=1, cache_dir=tmp_path / "b")
        spec = ModelSpec((flatten(), dense(8)), epochs=200, batch_size=8, name="long_one")
        job = a.submit(spec, tiny, "alice's tab", owner="alice")
        until(lambda: job.progress is not None, 180)
        [listed] = until(lambda: [x for x in b.class_listing() if x.owner == "alice" and x.epoch], 30)
        assert (listed.server, listed.dask_key, listed.model) == (a.server, job.dask_key, "long_one")
        assert listed.state == "running" and listed.epochs == 200 and 0 <= listed.fraction < 1
        assert [x for x in a.class_listing() if x.owner == "alice"] == []  # its own line is not another's

        b.stop_elsewhere(listed)
        assert job.wait(60) and job.state == STOPPED  # alice's server carried out the other teacher's Stop
        until(lambda: not [x for x in b.class_listing() if x.owner == "alice"], 30)  # gone from the line

        again = a.submit(spec, tiny, "alice's tab", owner="alice")  # the same training, asked for again
        until(lambda: again.progress is not None, 180)
        time.sleep(3 * PUBLISH_S)
        assert again.active, "an old Stop stopped a later training of the same key"
        assert a.stop(again, "alice's tab") and again.wait(60)
    finally:
        second.close()
        first.close()
