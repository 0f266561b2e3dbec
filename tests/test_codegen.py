"""The exported script is real Keras: run it on tiny data and check what it prints."""

import ast
import runpy

import keras
import numpy as np
import pytest

from mnistlab import PRESETS, ModelSpec, to_keras_script
from mnistlab.spec import conv2d, dense, dropout, flatten, maxpool2d


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_exports_valid_python(name):
    script = to_keras_script(PRESETS[name].spec)
    ast.parse(script)
    assert "keras.datasets.mnist.load_data()" in script
    assert "import mnistlab" not in script and "streamlit" not in script


def test_sgd_export_states_the_decay_schedule():
    script = to_keras_script(PRESETS["mlp_tanh_sgd"].spec)
    assert "InverseTimeDecay(0.01, decay_steps=1, decay_rate=1e-06)" in script
    assert "momentum=0.9, nesterov=True" in script


def test_exported_script_trains_and_evaluates_on_tiny_data(tiny, tmp_path, monkeypatch, capsys):
    spec = ModelSpec(
        (conv2d(4, 3, "relu"), maxpool2d(2), dropout(0.1), flatten(), dense(16, "tanh")),
        "sgd", 0.05, momentum=0.9, nesterov=True, decay=1e-4, batch_size=32, epochs=1, name="tiny_cnn",
    )
    data = ((np.array(tiny.x_train), np.array(tiny.y_train)), (np.array(tiny.x_test), np.array(tiny.y_test)))
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: data)
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "exported.py"
    script.write_text(to_keras_script(spec, model_file="out.keras"))
    runpy.run_path(str(script), run_name="__main__")
    printed = capsys.readouterr().out
    assert "x_train shape: (600, 28, 28, 1)" in printed
    accuracy = float(printed.split("Test accuracy:")[1].split()[0])
    assert 0.0 <= accuracy <= 1.0
    model = keras.saving.load_model(tmp_path / "out.keras")
    assert model.count_params() == 4 * 9 + 4 + 13 * 13 * 4 * 16 + 16 + 170
