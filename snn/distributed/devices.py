"""Which accelerators the Keras backend sees, and placing work on the requested device."""

import contextlib
import os

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
