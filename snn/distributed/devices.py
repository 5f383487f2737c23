"""Which accelerators the Keras backend sees, and placing work on the requested device."""

import contextlib
import os
from pathlib import Path

import keras

from snn.errors import DeviceError


def visible_gpus():
    """Names of the GPUs the active Keras backend can use.

    Returns:
        list[str], empty on a CPU-only machine.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return [gpu.name for gpu in tf.config.list_physical_devices("GPU")]
    if backend == "jax":
        import jax

        return [str(d) for d in jax.devices() if d.platform == "gpu"]
    if backend == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return []


# CPU instructions that compute bfloat16 products in hardware (Linux /proc/cpuinfo flags):
# Intel's AMX tiles, and AVX-512's BF16 dot products (Intel Cooper Lake on, AMD Zen 4 on).
BFLOAT16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")


def cpu_flags(path="/proc/cpuinfo"):
    """The instruction-set flags of the first CPU in a Linux cpuinfo file.

    Args:
        path: the file (the running machine's by default).

    Returns:
        set of str, or None where the file does not exist (not Linux) or lists no flags.
    """
    try:
        text = Path(path).read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return None


def bfloat16_in_hardware(flags=None):
    """Whether training in bfloat16 runs on hardware made for it.

    Args:
        flags: the CPU's flags (`cpu_flags()` when None).

    Returns:
        True where the backend sees a GPU or the CPU has one of `BFLOAT16_CPU_FLAGS`;
        False where it has none of them; None where the CPU's flags cannot be read.
    """
    if visible_gpus():
        return True
    flags = cpu_flags() if flags is None else flags
    if flags is None:
        return None
    return any(flag in flags for flag in BFLOAT16_CPU_FLAGS)


def device_scope(device):
    """A context manager that places model building and training on `device`.

    Args:
        device: "auto" (the backend's default: a GPU when one is visible), "cpu" or "gpu".

    Returns:
        A context manager.

    Raises:
        DeviceError: "gpu" was requested and the backend sees no GPU.
    """
    if device == "auto":
        return contextlib.nullcontext()
    if device == "gpu" and not visible_gpus():
        raise DeviceError(
            f"training.device: got 'gpu', but the {keras.backend.backend()} backend sees no "
            "GPU; use device: auto or cpu, or install the GPU build (pip install -e '.[gpu]')"
        )
    # The first of its kind. Plain "cpu", not "cpu:0": under PyTorch, Keras would move each
    # new variable to "cpu:0", which makes a copy that is no longer a Parameter.
    return keras.device("cpu" if device == "cpu" else "gpu:0")


def limit_cpu_threads(count):
    """Let the backend use at most `count` CPU threads for its operations.

    Sweep workers share the machine's cores; without a limit each would start one thread
    per core and they would slow each other down. Call it before the backend runs any
    operation (TensorFlow fixes its thread pools then).

    Args:
        count: int >= 1.
    """
    os.environ["OMP_NUM_THREADS"] = str(count)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(count)
        tf.config.threading.set_inter_op_parallelism_threads(count)
    elif backend == "torch":
        import torch

        torch.set_num_threads(count)
