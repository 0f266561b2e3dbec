"""The Draw page's default model and keras-io's convnet as presets, listed and trainable like the others."""

from mnistlab import PRESETS, output_shapes, param_count, train
from mnistlab.__main__ import main
from mnistlab.model.presets import draw_default_spec
from mnistlab.model.spec import LayerSpec


def test_keras_io_convnet_has_the_examples_layers_and_settings():
    spec = PRESETS["cnn_keras_io"].spec
    # the summary printed by keras-io's examples/vision/mnist_convnet.py
    assert output_shapes(spec) == [(26, 26, 32), (13, 13, 32), (11, 11, 64), (5, 5, 64), (1600,), (1600,), (10,)]
    assert param_count(spec) == 34_826
    assert (spec.optimizer, spec.learning_rate, spec.batch_size, spec.epochs) == ("adam", 0.001, 128, 15)
    assert spec.layers[-1] == LayerSpec("dropout", rate=0.5)
    assert spec.augmentation == "off"


def test_draw_default_is_a_compact_cnn_trained_with_augmentation():
    spec = draw_default_spec()
    assert spec is PRESETS["draw_default"].spec and spec.name == "draw_default"
    assert [layer.kind for layer in spec.layers].count("conv2d") == 3
    assert param_count(spec) < 100_000
    assert spec.augmentation == "strong" and spec.optimizer == "adam"
    assert "Draw" in PRESETS["draw_default"].description


def test_both_are_listed_by_the_command_line(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "cnn_keras_io" in out and "34,826 params" in out
    assert "draw_default" in out and "44,074 params" in out


def test_command_line_training_lands_in_the_cache_the_app_reads(sample, isolated_cache, capsys):
    assert main(["train", "--preset", "draw_default", "--epochs", "1", "--train-size", "300",
                 "--source", "sample"]) == 0
    assert "epoch 1/1" in capsys.readouterr().out
    again = train(draw_default_spec().replace(epochs=1, train_size=300), sample)
    assert again.cached and again.history["loss"]


def test_the_builder_offers_both_and_loads_draw_default_with_its_augmentation():
    from apptest import open_app

    at = open_app()
    offered = set(at.sidebar.selectbox(key="builder_preset").options)
    assert {PRESETS["cnn_keras_io"].title, PRESETS["draw_default"].title} <= offered
    at.sidebar.selectbox(key="builder_preset").set_value("draw_default").run()
    at.sidebar.button(key="builder_load").click().run()
    assert not at.exception
    assert at.session_state["spec"] == draw_default_spec() and at.session_state["spec"].name == "draw_default"
    assert at.selectbox(key="opt_augmentation").value == "strong"
