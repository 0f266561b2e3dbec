"""What the app changes in Streamlit's private machinery still exists, and still has its effect.

After every script run Streamlit calls keras.backend.clear_session() and gc.collect(2); with other
sessions predicting with cached models, both were seen to deadlock TensorFlow. app.py replaces the
first, .streamlit/config.toml turns the second off, ui/lang.py asks whether a thread runs a page.
Each test here fails when Streamlit renames or removes what the app relies on.
"""

from __future__ import annotations

import inspect
import threading

import keras
from streamlit import config
from streamlit.runtime.scriptrunner import script_runner

from tests.apptest import open_app


def test_streamlit_still_clears_keras_in_the_function_app_py_replaces():
    """If this fails, Streamlit moved or dropped its Keras clean-up: app.py's patch would then set a
    name nobody calls. Find where the clean-up went and patch that, or drop the patch."""
    source = inspect.getsource(script_runner)  # the module's text: app.py may have replaced the function
    assert "def _clean_problem_modules(" in source and "_log_if_error(_clean_problem_modules)" in source
    cleanup = source.split("def _clean_problem_modules(", 1)[1].split("\ndef ", 1)[0]
    assert "clear_session()" in cleanup


def test_a_script_run_does_not_clear_the_keras_session(monkeypatch):
    calls = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *args, **kwargs: calls.append(args))
    at = open_app()
    at.run()
    assert not calls, "Streamlit cleared Keras's global state after a run"


def test_the_garbage_collection_after_each_run_is_still_an_option_and_off():
    """KeyError here: Streamlit dropped `runner.postScriptGC`; config.toml's line then does nothing.
    (AppTest's script runner never collects after a run, so only the option can be checked here.)"""
    assert config.get_option("runner.postScriptGC") is False


def test_the_language_outside_a_page_run_is_the_environments(monkeypatch):
    """`get_script_run_ctx(suppress_warning=True)` must still exist and answer None in a thread that
    runs no page: a failure here would otherwise only show as English everywhere (the language
    source's errors are not caught, but a renamed argument would be a TypeError on every string)."""
    from ui import lang

    assert "suppress_warning" in inspect.signature(lang.get_script_run_ctx).parameters
    monkeypatch.setenv("MNISTLAB_LANG", "zh")
    said = []
    thread = threading.Thread(target=lambda: said.append(lang._session_language()))
    thread.start()
    thread.join()
    assert said == ["zh"]
