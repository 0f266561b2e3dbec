"""The command line a teacher uses to pre-train before class."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mnistlab.__main__ import main

ROOT = Path(__file__).resolve().parent.parent


def test_presets_lists_every_tutorial(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "mlp_tanh_sgd" in out and "150,742 params" in out and "675,370" in out


def test_train_prints_epochs_and_test_accuracy(tmp_path, capsys):
    out_file = tmp_path / "m.keras"
    code = main(["train", "--preset", "mlp_relu_adam", "--epochs", "1", "--train-size", "500",
                 "--source", "sample", "--out", str(out_file)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "MNIST sample" in printed or "sample" in printed
    assert "epoch 1/1" in printed
    accuracy = float(printed.split("Test accuracy:")[1].split()[0])
    assert 0.5 < accuracy <= 1.0
    assert out_file.exists()


def test_bad_source_is_a_message_not_a_traceback(tmp_path):
    missing = tmp_path / "nope.npz"
    out = subprocess.run(
        [sys.executable, "-m", "mnistlab", "train", "--preset", "mlp_relu_adam", "--source", str(missing)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert out.returncode == 2
    assert out.stderr.startswith("error:") and "Traceback" not in out.stderr


def test_script_prints_a_preset_as_keras_for_the_chosen_dataset(capsys):
    assert main(["script", "--preset", "cnn_lenet_tanh", "--dataset", "fashion_mnist", "--epochs", "3"]) == 0
    script = capsys.readouterr().out
    ast.parse(script)
    assert "keras.datasets.fashion_mnist.load_data()" in script
    assert "EPOCHS = 3\n" in script and "LEARNING_RATE = 1.0\n" in script and "Adadelta(LEARNING_RATE)" in script


def test_script_writes_a_file_that_saves_a_model_of_the_same_name(tmp_path, capsys):
    out = tmp_path / "lenet.py"
    assert main(["script", "--preset", "cnn_lenet_tanh", "--train-size", "2000", "--out", str(out)]) == 0
    script = out.read_text()
    assert 'MODEL_FILE = "lenet.keras"' in script and "TRAIN_SIZE = 2000" in script
    assert "python lenet.py" in script
    assert f"Wrote {out}" in capsys.readouterr().out


def test_script_refuses_settings_over_the_limits_with_a_message(capsys):
    assert main(["script", "--preset", "mlp_relu_adam", "--epochs", "500"]) == 2
    assert capsys.readouterr().err == "error: Epochs must be between 1 and 200, got 500.\n"
    with pytest.raises(SystemExit):
        main(["script", "--preset", "mlp_relu_adam", "--out", "model.keras"])


def test_script_comments_follow_lang(capsys):
    assert main(["script", "--preset", "cnn_keras_io", "--lang", "zh"]) == 0
    chinese = capsys.readouterr().out
    assert main(["script", "--preset", "cnn_keras_io", "--lang", "en"]) == 0
    english = capsys.readouterr().out
    assert "# 训练模型" in chinese and "# Train the model" in english and "# Train the model" not in chinese
    assert ast.dump(ast.parse(chinese)).count("Expr") == ast.dump(ast.parse(english)).count("Expr")
    assert main(["script", "--preset", "mlp_relu_adam", "--epochs", "500", "--lang", "zh"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "500" in error and "200" in error and re.search("[\u4e00-\u9fff]", error)
    assert "must" not in error  # said in Chinese, not English
    from mnistlab import i18n

    assert i18n.current_language() == "en"  # the CLI's language ends with the command


def test_presets_are_titled_in_mnistlab_lang(capsys, monkeypatch):
    monkeypatch.setenv("MNISTLAB_LANG", "zh")
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "mlp_tanh_sgd" in out and "经典的 100 轮教程" in out and "classic" not in out
