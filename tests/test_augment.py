"""Augmentation: a spec setting that changes the training batches, and nothing else."""

import json

import numpy as np
import pytest
from apptest import open_app

from mnistlab import ModelSpec, SpecError, to_keras_script, train
from mnistlab.engine.cache import cache_key
from mnistlab.engine.train import training_wrapper
from mnistlab.model.augment import STRENGTHS, augmentation_layers, stroke_width_layer
from mnistlab.model.spec import AUGMENTATIONS, conv2d, dense, flatten, maxpool2d

SMALL = ModelSpec((conv2d(4, 3), maxpool2d(2), flatten(), dense(16)), "adam", 0.003, batch_size=64, epochs=2,
                  name="small_cnn")


def images(tiny, n=32):
    return tiny.x_train[:n].astype("float32")[..., None] / 255


def test_every_strength_is_defined_once_and_off_means_none():
    assert set(STRENGTHS) == set(AUGMENTATIONS) - {"off"}
    assert augmentation_layers("off", 1) == []
    assert STRENGTHS["strong"].rotation_degrees > STRENGTHS["light"].rotation_degrees


def test_titles_and_help_name_every_strength_in_the_readers_language():
    from mnistlab import i18n
    from mnistlab.model.augment import TITLES, help_text

    assert set(TITLES) == set(AUGMENTATIONS)
    english = help_text()
    assert "Light: ±8° rotation, ±8% zoom, ±2 px shift." in english
    assert "Strong: ±15° rotation, ±15% zoom, ±3 px shift, thinner or thicker strokes." in english
    i18n.set_language_source(lambda: "zh")
    try:
        chinese = help_text()
        assert "±8°" in chinese and "±15%" in chinese and "rotation" not in chinese and "Light" not in chinese
        assert i18n.tr(TITLES["strong"]) != "Strong"
    finally:
        i18n.set_language_source(None)


def test_json_round_trip_and_old_json_means_off():
    spec = SMALL.replace(augmentation="strong")
    again = ModelSpec.from_json(spec.to_json())
    assert again == spec and again.augmentation == "strong"
    old = json.loads(SMALL.to_json())
    del old["augmentation"]
    assert ModelSpec.from_dict(old).augmentation == "off"
    assert spec != SMALL and hash(spec) != hash(SMALL)


@pytest.mark.parametrize("value", ["medium", "", 1])
def test_unknown_augmentation_is_a_spec_error(value):
    with pytest.raises(SpecError, match="augmentation"):
        ModelSpec.from_dict({**SMALL.to_dict(), "augmentation": value})


def test_augmentation_is_part_of_the_cache_key(tiny):
    assert cache_key(SMALL, tiny) != cache_key(SMALL.replace(augmentation="light"), tiny)


@pytest.mark.parametrize("name", ["light", "strong"])
def test_layers_change_training_batches_only(tiny, name):
    x = images(tiny)
    out = x
    for layer in augmentation_layers(name, 7):
        assert np.array_equal(np.asarray(layer(x, training=False)), x)
        out = layer(out, training=True)
    out = np.asarray(out)
    assert out.shape == x.shape and 0 <= out.min() and out.max() <= 1.0 + 1e-6
    changed = np.abs(out - x).reshape(len(x), -1).max(axis=1)
    assert (changed > 0.2).all()  # every image in the batch was moved


def test_stroke_width_thickens_and_thins_and_keeps_the_ink_bright(tiny):
    x = images(tiny, 64)
    out = np.asarray(stroke_width_layer(0.6, seed=3)(x, training=True))
    ink_before, ink_after = x.sum(axis=(1, 2, 3)), out.sum(axis=(1, 2, 3))
    assert (ink_after > ink_before * 1.05).any() and (ink_after < ink_before * 0.95).any()
    np.testing.assert_allclose(out.max(axis=(1, 2, 3)), x.max(axis=(1, 2, 3)), rtol=1e-5)


def test_same_seed_same_history_and_the_model_has_no_augmentation_layers(tiny):
    strong = SMALL.replace(augmentation="strong")
    first = train(strong, tiny, use_cache=False)
    again = train(strong, tiny, use_cache=False)
    plain = train(SMALL, tiny, use_cache=False)
    assert first.history["loss"] == again.history["loss"]
    assert first.history["loss"] != plain.history["loss"]  # the batches were different
    assert [layer.name for layer in first.model.layers] == [layer.name for layer in plain.model.layers]
    assert first.model.count_params() == plain.model.count_params()
    trainer = training_wrapper(first.model, "strong", strong.seed)
    names = [layer.name for layer in trainer.layers]
    assert {"random_rotation", "random_zoom", "random_shift", "random_stroke_width"} <= set(names)
    # outside training the wrapper is the plain model on scaled images
    x = tiny.x_test[:8]
    np.testing.assert_allclose(trainer.predict(x, verbose=0), first.model.predict(images_of(x), verbose=0),
                               atol=1e-5)


def images_of(x):
    return x.astype("float32")[..., None] / 255


@pytest.mark.parametrize("name", ["light", "strong"])
def test_exported_script_uses_the_same_layers(name):
    script = to_keras_script(SMALL.replace(augmentation=name, seed=5))
    strength = STRENGTHS[name]
    assert f"layers.RandomRotation({strength.rotation_degrees:g} / 360" in script
    assert f"layers.RandomZoom({strength.zoom:g}" in script
    assert f"layers.RandomTranslation({strength.shift_pixels} / 28" in script
    assert "trainer.fit(" in script and "model.save(MODEL_FILE)" in script
    assert ("RandomStrokeWidth(" in script) == bool(strength.stroke_width)
    assert "augmentation" not in to_keras_script(SMALL)


def test_exported_stroke_width_layer_matches_the_core_one(tiny):
    import keras
    from keras import layers

    script = to_keras_script(SMALL.replace(augmentation="strong"))
    start = script.index("class RandomStrokeWidth")
    end = script.index("# Augmentation")
    namespace = {"keras": keras, "layers": layers}
    exec(script[start:end], namespace)
    x = images(tiny, 16)
    exported = namespace["RandomStrokeWidth"](0.6, seed=11)(x, training=True)
    ours = stroke_width_layer(0.6, seed=11)(x, training=True)
    np.testing.assert_allclose(np.asarray(exported), np.asarray(ours), atol=1e-6)


def test_builder_augmentation_reaches_the_spec_the_link_and_the_script():
    at = open_app("app_pages/train.py")
    at.selectbox(key="opt_augmentation").set_value("light").run()
    at.toggle(key="train_show_script").set_value(True).run()
    assert not at.exception
    spec = at.session_state["spec"]
    assert spec.augmentation == "light"
    assert any('"augmentation":"light"' in code.value for code in at.sidebar.code)
    assert any("layers.RandomRotation(8 / 360" in code.value for code in at.code)
    assert any("Augmentation is on (" in caption.value for caption in at.caption)
    at.selectbox(key="opt_augmentation").set_value("off").run()
    assert not any("Augmentation light" in caption.value for caption in at.caption)


def test_exported_script_with_augmentation_trains_and_saves_a_plain_model(tiny, tmp_path, monkeypatch, capsys):
    import runpy

    import keras

    data = ((np.array(tiny.x_train), np.array(tiny.y_train)), (np.array(tiny.x_test), np.array(tiny.y_test)))
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: data)
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "exported.py"
    script.write_text(to_keras_script(SMALL.replace(augmentation="strong", epochs=1), model_file="out.keras"))
    runpy.run_path(str(script), run_name="__main__")
    float(capsys.readouterr().out.split("Test accuracy:")[1].split()[0])  # it evaluated
    model = keras.saving.load_model(tmp_path / "out.keras")
    assert [layer.__class__.__name__ for layer in model.layers] == ["Conv2D", "MaxPooling2D", "Flatten", "Dense",
                                                                     "Dense"]
