"""The exported script is real Keras and trains what the app trains: run it and compare with `train()`."""

import ast
import json
import os
import runpy
import subprocess
import sys

import numpy as np
import pytest

from mnistlab import PRESETS, ModelSpec, evaluate, param_count, to_keras_script, train
from mnistlab.errors import DataError
from mnistlab.model.script import DATA_NAMES
from mnistlab.model.spec import conv2d, dense, dropout, flatten, maxpool2d

SMALL = ModelSpec(
    (conv2d(4, 3, "relu"), maxpool2d(2), flatten(), dense(32, "tanh"), dropout(0.2)),
    "adam", 0.003, batch_size=64, epochs=1, validation_split=0.1, train_size=600, seed=7, name="small_cnn",
)


def offline_env(tmp_path) -> dict:
    """No network for the script: every download goes to a closed local port, and Keras's cache is empty."""
    env = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy"}
    env.update(HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9", KERAS_HOME=str(tmp_path / "keras"),
               TF_CPP_MIN_LOG_LEVEL="3")
    return env


@pytest.mark.parametrize("data", DATA_NAMES)
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_exports_valid_python_for_every_dataset(name, data):
    script = to_keras_script(PRESETS[name].spec, dataset=data)
    ast.parse(script)
    assert "mnistlab" not in script.split('"""', 2)[2] and "streamlit" not in script
    loads = {"mnist": "keras.datasets.mnist.load_data()", "fashion_mnist": "keras.datasets.fashion_mnist.load_data()",
             "custom": "np.load(DATA_FILE)"}
    assert [line for line in loads.values() if line in script] == [loads[data]]


def test_unknown_dataset_is_refused():
    with pytest.raises(DataError, match="Unknown dataset"):
        to_keras_script(SMALL, dataset="cifar10")


def test_numbers_are_exported_exactly():
    spec = ModelSpec((flatten(), dropout(0.123456789)), "sgd", 0.00123456789, momentum=0.87654321, decay=1.5e-7,
                     validation_split=0.123456789)
    script = to_keras_script(spec)
    assert "LEARNING_RATE = 0.00123456789\n" in script and "DECAY = 1.5e-07\n" in script
    assert "VALIDATION_SPLIT = 0.123456789  #" in script and "layers.Dropout(0.123456789)" in script
    assert "SGD(learning_rate, momentum=0.87654321, nesterov=False)" in script
    assert "InverseTimeDecay(LEARNING_RATE, decay_steps=1, decay_rate=DECAY)" in script


def test_the_script_trains_what_the_app_trains(sample, tmp_path):
    """Offline the script falls back to the app's sample, takes the app's subset and split, and so gets the
    app's numbers: the same first-epoch loss, the same test accuracy. The script computes in float32 (Keras's
    default); so does the app's training here, which on a CPU with bfloat16 would compute in that."""
    app = train(SMALL, sample, use_cache=False, precision="float32")
    app_scores = evaluate(app.model, sample)
    (tmp_path / "small.py").write_text(to_keras_script(SMALL, dataset="mnist", model_file="small.keras"))
    run = subprocess.run([sys.executable, "small.py"], cwd=tmp_path, env=offline_env(tmp_path),
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "MNIST could not be downloaded" in run.stdout and "using the offline sample instead" in run.stdout
    assert "540 train samples" in run.stdout and "1000 test samples" in run.stdout
    history = json.loads((tmp_path / "small_history.json").read_text())
    assert history["loss"][0] == pytest.approx(app.history["loss"][0], abs=1e-4)
    assert history["val_loss"][0] == pytest.approx(app.history["val_loss"][0], abs=1e-4)
    accuracy = float(run.stdout.split("Test accuracy:")[1].split()[0])
    assert accuracy == pytest.approx(app_scores.accuracy, abs=1e-4)
    import keras

    assert keras.saving.load_model(tmp_path / "small.keras").count_params() == param_count(SMALL)


def test_a_model_trained_on_the_sample_exports_a_script_that_uses_the_sample(sample):
    assert "USE_OFFLINE_SAMPLE = True" in to_keras_script(SMALL, dataset=sample)
    assert "USE_OFFLINE_SAMPLE = False" in to_keras_script(SMALL, dataset="mnist")


def test_fashion_offline_says_in_one_line_how_to_get_the_data(tmp_path):
    (tmp_path / "fashion.py").write_text(to_keras_script(SMALL, dataset="fashion_mnist"))
    run = subprocess.run([sys.executable, "fashion.py"], cwd=tmp_path, env=offline_env(tmp_path),
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("Fashion-MNIST could not be downloaded") and "Connect to the internet once" in last
    assert "Traceback" not in run.stderr


def test_an_uploaded_dataset_script_reads_the_students_file(tiny, tmp_path, monkeypatch, capsys):
    spec = SMALL.replace(train_size=0, validation_split=0.0)
    np.savez(tmp_path / "digits.npz", x_train=tiny.x_train, y_train=tiny.y_train, x_test=tiny.x_test,
             y_test=tiny.y_test)
    script = to_keras_script(spec, dataset="custom", model_file="mine.keras")
    assert 'DATA_FILE = "my_data.npz"  # ← the path of the .npz file you uploaded' in script
    (tmp_path / "mine.py").write_text(script.replace('DATA_FILE = "my_data.npz"', 'DATA_FILE = "digits.npz"'))
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(tmp_path / "mine.py"), run_name="__main__")
    printed = capsys.readouterr().out
    assert "x_train shape: (600, 28, 28, 1)" in printed and "200 test samples" in printed
    assert (tmp_path / "mine.keras").is_file()
    assert len(json.loads((tmp_path / "mine_history.json").read_text())["loss"]) == 1


def _code_and_comments(script: str):
    """The script's code (its AST without docstrings) and its comments and docstrings."""
    import io
    import tokenize

    tree = ast.parse(script)
    docstrings = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node) is not None:
            docstrings.append(ast.get_docstring(node))
            node.body = node.body[1:]
    comments = [t.string for t in tokenize.generate_tokens(io.StringIO(script).readline) if t.type == tokenize.COMMENT]
    return ast.dump(tree), comments + docstrings


@pytest.mark.parametrize("data", DATA_NAMES)
def test_the_scripts_comments_follow_the_language_and_its_code_does_not(data):
    from mnistlab import i18n

    spec = PRESETS["draw_default"].spec.replace(validation_split=0.1, train_size=600)  # decay, augmentation, subset
    english = to_keras_script(spec, dataset=data)
    i18n.set_language_source(lambda: "zh")
    try:
        chinese = to_keras_script(spec, dataset=data)
    finally:
        i18n.set_language_source(None)
    compile(chinese, "train_zh.py", "exec")
    code_en, said_en = _code_and_comments(english)
    code_zh, said_zh = _code_and_comments(chinese)
    assert code_zh == code_en and len(said_zh) == len(said_en) and chinese.count("\n") == english.count("\n")

    def chinese_in(text):
        return any("\u4e00" <= ch <= "\u9fff" for ch in text)

    assert not any(chinese_in(text) for text in said_en)
    assert all(chinese_in(text) for text in said_zh), [text for text in said_zh if not chinese_in(text)]
