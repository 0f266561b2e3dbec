"""Shared fixtures: a tiny real dataset (the embedded sample), a tiny trained model, an isolated
cache and store, and the browser tests' server and Chromium. Plain helpers: apptest.py (AppTest),
helpers.py (files and drawings), browser_helpers.py (Playwright), english.py (English left in Chinese pages)."""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.request
import uuid
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

os.environ.setdefault("MNISTLAB_OFFLINE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# One trainer, as on the 2-core servers the app is made for: queue tests then know their line
os.environ.setdefault("MNISTLAB_MAX_JOBS", "1")


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """No test reads or writes the user's real training cache or run store."""
    monkeypatch.setenv("MNISTLAB_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="session")
def sample():
    from mnistlab import load_dataset

    return load_dataset("mnist", "sample")


@pytest.fixture(scope="session")
def tiny(sample):
    """600 real training digits and 200 test digits: enough to learn something in a second."""
    from mnistlab.data.dataset import Dataset

    def pick(x, y, n):
        idx = np.concatenate([np.flatnonzero(y == c)[: n // 10] for c in range(10)])
        return x[idx], y[idx]

    x_train, y_train = pick(sample.x_train, sample.y_train, 600)
    x_test, y_test = pick(sample.x_test, sample.y_test, 200)
    return Dataset("mnist", x_train, y_train, x_test, y_test, sample.class_names, "tiny test sample", True)


@pytest.fixture(scope="session")
def small_model(sample):
    """One tiny trained model (about 2 s) as the session's model, for every page test. Not cached, so it
    never touches a training cache (the autouse cache fixture is not active at this scope); one key for
    one model, so evaluations cached under its key are its own."""
    from mnistlab import ModelSpec, train
    from mnistlab.model.spec import dense, flatten
    from ui.session import ActiveModel

    spec = ModelSpec((flatten(), dense(32)), epochs=1, train_size=500, name="tiny")
    result = train(spec, sample, use_cache=False)
    return ActiveModel(result.model, "tiny", "test-tiny", sample.name, spec)


@pytest.fixture
def fresh_store():
    """The app's shared store made again in this test's own cache folder (the autouse isolated_cache)."""
    from ui.resources import shared_store

    shared_store.clear()
    yield
    shared_store.clear()


@pytest.fixture(autouse=True)
def apptest_language():
    """AppTest calls a widget's `format_func` again in the test's own thread, outside any script run,
    where a session's language cannot be known: there it takes the language of the last run, as the
    page shown in the test has it (a server never formats outside a run)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    import ui.lang  # noqa: F401 (installs the session's language source, as app.py does)
    from mnistlab import i18n

    before = i18n._language_source

    last: list[str] = []  # the language of this test's last page run, once there was one

    def source() -> str:
        if get_script_run_ctx(suppress_warning=True) is None:
            return last[-1] if last else before()
        last[:] = [before()]
        return last[-1]

    i18n.set_language_source(source)
    yield
    i18n.set_language_source(before)


# ------------------------------------------------------------ the browser tests (-m browser)

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`streamlit run app.py` on a free localhost port, offline, with its own cache; its URL."""
    from apptest import ROOT
    from browser_helpers import CHROMIUM, free_port

    if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium chromium-driver")
    port = free_port()
    env = {**os.environ, "MNISTLAB_OFFLINE": "1", "MNISTLAB_CACHE_DIR": str(tmp_path_factory.mktemp("cache")),
           "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}
    log_path = tmp_path_factory.mktemp("log") / "streamlit.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    ready = threading.Event()

    def copy_log() -> None:  # Streamlit prints its URL once it serves; the pipe must be drained for ever after
        with open(log_path, "w") as log:
            for line in process.stdout:
                log.write(line)
                log.flush()
                if "URL:" in line:
                    ready.set()
        ready.set()  # the server ended

    threading.Thread(target=copy_log, daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    if not ready.wait(60) or process.poll() is not None:
        process.kill()
        pytest.fail(f"streamlit did not start: {log_path.read_text()[-2000:]}")
    urllib.request.urlopen(url + "/_stcore/health", timeout=10).close()
    yield url
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:  # a busy machine: the server's shutdown is not what these tests check
        process.kill()
        process.wait(10)


@pytest.fixture(scope="module")
def browser(server):
    from browser_helpers import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


# --- a real PostgreSQL server (Debian's `postgresql` package, started in a temp folder) ------------------
# Skipped with a reason when the server's programs are missing on a developer machine; in CI (`CI` set;
# `.ci/run` installs the package) their absence is a failure.

def _as_postgres(*command: str) -> list[str]:
    """PostgreSQL refuses to run as root: run its programs as the `postgres` user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway server listening only on a unix socket in its own temp folder."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        message = "PostgreSQL is not installed (apt-get install postgresql gives /usr/lib/postgresql/*/bin/initdb)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run these tests (.ci/run installs it).")
        pytest.skip(message)
    bin_dir = Path(found[-1]).parent
    folder = Path(tempfile.mkdtemp(prefix="mnistlab-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, log, port = folder / "data", folder / "server.log", _free_port()
    subprocess.run(_as_postgres(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                                "-E", "UTF8", "--no-sync"), check=True, capture_output=True)
    options = f"-p {port} -k {folder} -c listen_addresses='' -c fsync=off"
    start = subprocess.run(_as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log),
                                        "-w", "-t", "60", "start"), capture_output=True, text=True)
    if start.returncode:
        log_text = log.read_text() if log.exists() else ""
        pytest.fail(f"PostgreSQL did not start: {start.stdout}{start.stderr}{log_text}")
    try:
        yield f"postgresql+psycopg://postgres@/{{database}}?host={folder}&port={port}"
    finally:
        subprocess.run(_as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"),
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(postgres_server):
    """A new, empty database for each test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server.format(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return postgres_server.format(database=name)
