"""Shared fixtures: a tiny real dataset (the embedded sample) and an isolated cache."""

import os

import numpy as np
import pytest

os.environ.setdefault("MNISTLAB_OFFLINE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The app trains the Draw page's default model when it starts; tests that open the app
# must not all pay for it (tests/test_warmup.py turns it on).
os.environ.setdefault("MNISTLAB_WARMUP", "0")
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
