"""The command line a teacher uses to pre-train before class."""

import subprocess
import sys
from pathlib import Path

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
