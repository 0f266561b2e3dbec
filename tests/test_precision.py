"""The training's number format: bfloat16 where the CPU has AMX or AVX-512 BF16 (read, not assumed)."""

import pytest

from mnistlab.engine.precision import FLOAT32, MIXED_BFLOAT16, bfloat16_supported, choose_policy, cpu_flags
from mnistlab.errors import MnistlabError

SAPPHIRE_RAPIDS = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8480+
flags\t\t: fpu vme sse sse2 avx avx2 avx512f avx512bw avx512_bf16 amx_bf16 amx_tile amx_int8
bugs\t\t: spectre_v1

processor\t: 1
flags\t\t: fpu vme sse sse2 avx avx2 avx512f avx512bw avx512_bf16 amx_bf16 amx_tile amx_int8
"""
ZEN4 = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni\n"
SKYLAKE = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma avx512f avx512bw avx512_vnni\nbugs\t\t: avx512_bf16\n"


def test_the_flags_line_is_read():
    assert {"amx_bf16", "avx512_bf16", "avx2"} <= cpu_flags(SAPPHIRE_RAPIDS)
    assert cpu_flags("") == frozenset()


@pytest.mark.parametrize(("cpuinfo", "expected"),
                         [(SAPPHIRE_RAPIDS, True), (ZEN4, True), (SKYLAKE, False), ("", False)])
def test_bfloat16_only_where_the_cpu_says_so(cpuinfo, expected):
    assert bfloat16_supported(cpuinfo) is expected
    assert choose_policy("auto", cpuinfo) == (MIXED_BFLOAT16 if expected else FLOAT32)


def test_the_setting_overrides_the_detection(monkeypatch):
    monkeypatch.setenv("MNISTLAB_PRECISION", "float32")
    assert choose_policy(cpuinfo=SAPPHIRE_RAPIDS) == FLOAT32
    monkeypatch.setenv("MNISTLAB_PRECISION", " Mixed_BFloat16 ")
    assert choose_policy(cpuinfo=SKYLAKE) == MIXED_BFLOAT16
    monkeypatch.setenv("MNISTLAB_PRECISION", "")
    assert choose_policy(cpuinfo=SKYLAKE) == FLOAT32
    monkeypatch.setenv("MNISTLAB_PRECISION", "float16")
    with pytest.raises(MnistlabError, match="float16"):
        choose_policy(cpuinfo=SAPPHIRE_RAPIDS)


def test_a_run_records_its_policy_and_leaves_keras_as_it_was(tiny):
    import keras

    from mnistlab import ModelSpec, train
    from mnistlab.model.spec import dense, flatten

    spec = ModelSpec((flatten(), dense(16)), epochs=1, batch_size=64)
    mixed = train(spec, tiny, use_cache=False, precision=MIXED_BFLOAT16)
    assert mixed.history["precision"] == MIXED_BFLOAT16 and mixed.complete
    assert keras.config.dtype_policy().name == FLOAT32  # only the training computed in bfloat16
    assert {layer.dtype_policy.name for layer in mixed.model.layers} == {FLOAT32}  # the model out is float32
    assert mixed.model.predict(tiny.x_test[:2, ..., None] / 255, verbose=0).dtype == "float32"
    plain = train(spec, tiny, use_cache=False, precision=FLOAT32)
    assert plain.history["precision"] == FLOAT32
    assert abs(mixed.history["accuracy"][0] - plain.history["accuracy"][0]) < 0.05


@pytest.mark.parametrize("augmentation", ["off", "light", "strong"])
def test_every_layer_kind_and_augmentation_trains_in_bfloat16(tiny, augmentation):
    """On a CPU with bfloat16 the app trains every model in it: each layer kind and each augmentation (the
    stroke-width layer mixed a float32 random amount into bfloat16 images and stopped the training)."""
    from mnistlab import ModelSpec, train
    from mnistlab.model.layers import LAYER_KINDS, batchnorm, conv2d, dense, dropout, flatten, maxpool2d

    layers = (conv2d(4), batchnorm(), maxpool2d(), dropout(0.1), flatten(), dense(8))
    assert {layer.kind for layer in layers} == set(LAYER_KINDS)
    spec = ModelSpec(layers, epochs=1, batch_size=64, augmentation=augmentation)
    result = train(spec, tiny, use_cache=False, precision=MIXED_BFLOAT16)
    assert result.complete and result.history["precision"] == MIXED_BFLOAT16
