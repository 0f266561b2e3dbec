"""The default model that ships with the app: the draw_default preset's architecture, small, accurate, and
remade by one documented command."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from mnistlab.model.default import DEFAULT_MODEL_FILE, default_model_key, load_default_model, shipped_spec
from mnistlab.model.presets import draw_default_spec

# Measured on the file shipped (python -m mnistlab make-default-model, 40 epochs): 0.9850 on the sample's
# 1,000 test digits; the 15-epoch preset reaches about 0.98 (README, Benchmarks).
MIN_TEST_ACCURACY = 0.98


def layers_of(model) -> list[tuple[str, dict]]:
    """Each layer's kind and settings (its name aside): what makes two models the same architecture."""
    return [(type(layer).__name__, {k: v for k, v in layer.get_config().items() if k != "name"})
            for layer in model.layers]


def test_the_file_is_small_and_part_of_the_repository():
    assert DEFAULT_MODEL_FILE.is_file()
    assert DEFAULT_MODEL_FILE.stat().st_size < 1_000_000
    git = shutil.which("git")
    if git is None:
        pytest.skip("no git to ask")
    ignored = subprocess.run([git, "check-ignore", "-q", str(DEFAULT_MODEL_FILE)], cwd=DEFAULT_MODEL_FILE.parent)
    assert ignored.returncode == 1, ".gitignore ignores *.keras: the shipped file needs its exception"


def test_it_is_the_draw_default_presets_architecture():
    from mnistlab.model.build import build_model

    model = load_default_model()
    preset = build_model(draw_default_spec(), compile=False)
    assert layers_of(model) == layers_of(preset)
    assert model.count_params() == preset.count_params() == 44_074
    assert shipped_spec().layers == draw_default_spec().layers  # only the training settings differ
    assert shipped_spec().augmentation == "strong" and shipped_spec().epochs > draw_default_spec().epochs


def test_it_reads_the_samples_test_digits(sample):
    from mnistlab.insight.evaluate import evaluate

    assert sample.is_sample and len(sample.y_test) == 1000  # digits it never trained on
    assert evaluate(load_default_model(), sample).accuracy >= MIN_TEST_ACCURACY


def test_it_is_loaded_once_and_named_by_its_bytes():
    assert load_default_model() is load_default_model()
    assert default_model_key().startswith("shipped-") and default_model_key() == default_model_key()


def test_the_command_that_makes_it_writes_a_loadable_file(tmp_path, capsys):
    from mnistlab.__main__ import main

    out = tmp_path / "made.keras"
    assert main(["make-default-model", "--epochs", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Test accuracy on the sample's 1,000 test digits" in printed and f"Wrote {out}" in printed
    made = load_default_model(out)
    assert layers_of(made) == layers_of(load_default_model())
