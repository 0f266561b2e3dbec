"""Which number format a training computes in: bfloat16 mixed precision where the CPU computes in bfloat16
itself (AMX or AVX-512 BF16, read from the flags in /proc/cpuinfo, never assumed), float32 elsewhere.

On such a CPU, bfloat16 matrix products run at about twice the float32 speed for the same accuracy on
MNIST-sized models; elsewhere bfloat16 is emulated and slower, so float32 stays. `MNISTLAB_PRECISION`
(float32, mixed_bfloat16 or auto) overrides the detection. Keras's policy is set around one training
only (`policy_for_training`); the model that comes out is float32 whatever it trained in.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mnistlab.errors import MnistlabError
from mnistlab.i18n import N_

FLOAT32 = "float32"
MIXED_BFLOAT16 = "mixed_bfloat16"
AUTO = "auto"
POLICIES = (FLOAT32, MIXED_BFLOAT16)
BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})  # Linux's names for the two bfloat16 instruction sets


def cpu_flags(cpuinfo: str) -> frozenset[str]:
    """The feature flags of the first processor listed in the text of /proc/cpuinfo."""
    for line in cpuinfo.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def read_cpuinfo(root: str | os.PathLike = "/") -> str:
    """/proc/cpuinfo's text, or "" where there is none (not Linux)."""
    try:
        return (Path(root) / "proc" / "cpuinfo").read_text(errors="replace")
    except OSError:
        return ""


def bfloat16_supported(cpuinfo: str | None = None) -> bool:
    """The CPU computes in bfloat16 itself (AMX or AVX-512 BF16). `cpuinfo`: the text of /proc/cpuinfo
    (default: this machine's)."""
    return bool(cpu_flags(read_cpuinfo() if cpuinfo is None else cpuinfo) & BF16_FLAGS)


def choose_policy(setting: str | None = None, cpuinfo: str | None = None) -> str:
    """The Keras dtype policy for a training here: `setting` (default MNISTLAB_PRECISION, else auto)
    names one, or auto picks mixed_bfloat16 where the CPU supports it and float32 elsewhere."""
    value = (os.environ.get("MNISTLAB_PRECISION", "") if setting is None else setting).strip().lower() or AUTO
    if value in POLICIES:
        return value
    if value != AUTO:
        raise MnistlabError("precision_setting",
                            N_("MNISTLAB_PRECISION={value} is not one of float32, mixed_bfloat16 or auto."),
                            value=repr(value))
    return MIXED_BFLOAT16 if bfloat16_supported(cpuinfo) else FLOAT32


@contextmanager
def policy_for_training(policy: str) -> Iterator[None]:
    """Keras makes the layers of this block under `policy`, then goes back to the one before.
    (Keras keeps the policy per thread: another thread's models are not affected.)"""
    import keras

    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)
