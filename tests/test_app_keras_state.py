"""Streamlit's after-run cleanup must not touch Keras/TensorFlow while training threads use it.

After every script run Streamlit calls keras.backend.clear_session() and gc.collect(2); with
a model being built in a training thread, both were seen to deadlock TensorFlow (the browser
test's training then hung at "building the model" until its timeout).
"""

import tomllib
from pathlib import Path

import keras
from apptest import open_app

ROOT = Path(__file__).resolve().parent.parent


def test_a_script_run_does_not_clear_the_keras_session(monkeypatch):
    calls = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *args, **kwargs: calls.append(args))
    at = open_app()
    assert not at.exception
    at.run()
    assert not calls


def test_streamlit_does_not_force_a_garbage_collection_after_each_run():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
