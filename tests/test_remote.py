"""A class on several machines, with real processes: `dask scheduler` and `dask worker` started as the
README says, over TLS, the worker on "another machine" — in a mount namespace of its own where a tmpfs
hides the app's folder (its SQLite store and training cache) — and an app's JobRegistry submitting to it."""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mnistlab import ModelSpec
from mnistlab.model.spec import dense, flatten

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.timeout(600),
    pytest.mark.slow,
    pytest.mark.skipif(not (shutil.which("unshare") and shutil.which("openssl") and os.geteuid() == 0),
                       reason="needs root, unshare and openssl"),
]
# the README's settings for a shared cluster
DASK_ENV = {
    "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0", "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0",
    "DASK_DISTRIBUTED__WORKER__MEMORY__TARGET": "False", "DASK_DISTRIBUTED__WORKER__MEMORY__SPILL": "False",
    "DASK_DISTRIBUTED__WORKER__MEMORY__PAUSE": "False",
}


def make_certificates(folder: Path) -> dict[str, str]:
    """A throwaway CA and one certificate it signed, made with the README's openssl commands."""
    folder.mkdir(parents=True, exist_ok=True)
    for command in (
        "openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=mnistlab-ca -keyout ca.key -out ca.pem",
        "openssl req -newkey rsa:2048 -nodes -subj /CN=mnistlab -keyout node.key -out node.csr",
        "openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 -out node.pem",
    ):
        subprocess.run(command.split(), cwd=folder, check=True, capture_output=True)
    return {"ca": str(folder / "ca.pem"), "cert": str(folder / "node.pem"), "key": str(folder / "node.key")}


def tls_flags(tls: dict[str, str]) -> list[str]:
    return ["--tls-ca-file", tls["ca"], "--tls-cert", tls["cert"], "--tls-key", tls["key"]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def started(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(command, env={**os.environ, "PYTHONPATH": str(ROOT), **DASK_ENV, **env}, cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def ended(process: subprocess.Popen) -> None:
    """This test's own process group: the dask command and the processes it started."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certificates"))


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory, tls):
    port = free_port()
    process = started([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port",
                       str(port), "--protocol", "tls", "--no-dashboard", *tls_flags(tls)], {},
                      tmp_path_factory.mktemp("scheduler") / "log")
    yield f"tls://127.0.0.1:{port}"
    ended(process)


@pytest.fixture
def remote_worker(scheduler, tls, tmp_path_factory):
    """Start `dask worker` as on a machine of its own: the app's folder (`hidden`) is a fresh empty tmpfs
    in the worker's mount namespace; `env` is the worker machine's environment."""
    processes = []

    def start(hidden: Path, env: dict[str, str]) -> None:
        log = tmp_path_factory.mktemp("worker") / "log"
        command = ["unshare", "-m", "sh", "-c", 'mount -t tmpfs tmpfs "$1" && shift && exec "$@"', "sh", str(hidden),
                   "nice", "-n", "10", sys.executable, "-m", "dask", "worker", scheduler,
                   "--nworkers", "1", "--nthreads", "1", "--memory-limit", "2GiB", "--no-dashboard",
                   "--preload", "mnistlab.engine.worker", "--worker-class", "mnistlab.engine.lifetime.TrainingWorker",
                   "--lifetime", "1h", "--lifetime-stagger", "10m", "--lifetime-restart", *tls_flags(tls)]
        processes.append(started(command, {"MNISTLAB_OFFLINE": "1", **env}, log))

    yield start
    for process in processes:
        ended(process)


def app_engine(scheduler, tls):
    from mnistlab.engine.cluster import scheduler_security, start_engine

    secrets = {"tls_ca_file": tls["ca"], "tls_client_cert": tls["cert"], "tls_client_key": tls["key"]}
    engine = start_engine(address=scheduler, security=scheduler_security(secrets))
    deadline = time.monotonic() + 180
    while not engine.client.nthreads():  # the worker imports TensorFlow before it joins
        assert time.monotonic() < deadline, "the worker did not join"
        time.sleep(0.5)
    return engine


def small_spec(seed: int) -> ModelSpec:
    return ModelSpec((flatten(), dense(8)), epochs=1, seed=seed, batch_size=64, train_size=500)


def test_a_worker_on_another_machine_trains_into_its_own_cache_and_the_app_lists_the_run(
        scheduler, tls, remote_worker, tmp_path, isolated_cache, monkeypatch):
    from mnistlab import load_dataset
    from mnistlab.engine.jobs import DONE, JobRegistry
    from mnistlab.store.runs import Store

    worker_cache = tmp_path.parent / f"{tmp_path.name}-worker-machine"  # beside the app's folder, not in it
    remote_worker(tmp_path, {"MNISTLAB_CACHE_DIR": str(worker_cache)})
    engine = app_engine(scheduler, tls)
    try:
        app_store = Store()  # the default: SQLite in the app's cache folder, which the worker cannot see
        assert str(isolated_cache) in str(app_store.engine.url)
        assert engine.client.run(os.path.exists, str(isolated_cache)) == {w: False for w in engine.client.nthreads()}
        sent = []
        submit = engine.client.submit
        monkeypatch.setattr(engine.client, "submit",
                            lambda *a, **k: sent.append(pickle.dumps((a, k))) or submit(*a, **k))
        reg = JobRegistry(engine=engine, store=app_store)  # as the app makes it: no cache folder of its own
        job = reg.submit(small_spec(seed=1), load_dataset("mnist", "sample"), "alice", owner="ann")
        assert job.wait(300) and job.state == DONE, job.error
        runs = app_store.list()
        assert [(run.cache_key, run.owner) for run in runs] == [(job.key, "ann")] and runs[0].test_accuracy
        assert job.run_id == runs[0].id
        assert (worker_cache / "runs" / job.key / "model.keras").exists()  # the worker machine's own cache
        assert not (isolated_cache / "runs").exists()  # nothing written on the app's side
        # what travelled: neither the app's folder nor its database's address
        assert sent and not any(str(isolated_cache).encode() in task or b"sqlite" in task for task in sent)
    finally:
        engine.close()


def test_a_worker_stores_the_run_itself_only_in_the_store_the_app_lists(scheduler, tls, remote_worker, tmp_path,
                                                                        tmp_path_factory, monkeypatch):
    import mnistlab.store.runs
    from mnistlab import load_dataset
    from mnistlab.engine.jobs import DONE, JobRegistry
    from mnistlab.store.runs import Store

    recorded_here = []
    record_run = mnistlab.store.runs.record_run
    monkeypatch.setattr(mnistlab.store.runs, "record_run",
                        lambda *a, **k: recorded_here.append(1) or record_run(*a, **k))

    shared = tmp_path_factory.mktemp("database-server")  # both machines reach it: a stand-in for PostgreSQL
    url = f"sqlite:///{shared / 'class.sqlite'}"
    remote_worker(tmp_path, {"MNISTLAB_CACHE_DIR": str(shared / "worker-cache"), "MNISTLAB_RUNS_URL": url})
    engine = app_engine(scheduler, tls)
    try:
        for app_store, by_worker in ((Store(url), True), (Store(f"sqlite:///{tmp_path / 'other.sqlite'}"), False)):
            reg = JobRegistry(engine=engine, store=app_store)
            job = reg.submit(small_spec(seed=2 + by_worker), load_dataset("mnist", "sample"), "bob")
            assert job.wait(300) and job.state == DONE, job.error
            assert [run.cache_key for run in app_store.list()] == [job.key]  # listed once, where the app lists
            assert job.result.recorded and job.run_id == app_store.list()[0].id
            assert recorded_here == ([] if by_worker else [1])  # by the worker, or else by the app
            recorded_here.clear()
        assert len(Store(url).list()) == 1  # the worker never stored the other app's run in its own store
    finally:
        engine.close()


def test_without_tls_the_app_says_the_scheduler_must_be_on_a_private_network(monkeypatch, caplog):
    import distributed

    from mnistlab.engine.cluster import start_engine

    class Client:  # no scheduler needed to see what the app says before it connects
        def __init__(self, address, **kwargs):
            self.kwargs = kwargs

        def scheduler_info(self):
            return {"workers": {}}

    monkeypatch.setattr(distributed, "Client", Client)
    start_engine(address="tcp://10.0.0.5:8786")
    assert "private network" in caplog.text
    caplog.clear()
    start_engine(address="tls://10.0.0.5:8786", security="the app's TLS files")
    assert "private network" not in caplog.text
