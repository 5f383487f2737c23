"""Which accelerators the Keras backend sees, and placing work on the requested devices:
one device, the devices of this machine, or those of several worker processes."""

import contextlib
import os

import keras
import numpy as np

from snn.errors import ConfigError, DeviceError, SNNError
from snn.util.console import silenced


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


# Keras' variables naming the processes of a multi-worker run; read by
# `keras.distribution.initialize`.
WORKER_VARIABLES = ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES",
                    "KERAS_DISTRIBUTION_PROCESS_ID")
_joined = False  # whether this process has joined a multi-worker run


@contextlib.contextmanager
def distribution_scope(distribution):
    """A context manager that trains with data parallelism over several devices.

    Build, compile and fit the model inside it. The batch size stays global: each of the
    R replicas takes batch_size / R examples of a step and the gradients are averaged, so
    a step equals one on a single device, up to float rounding and dropout masks.

    Args:
        distribution: "none"; "mirrored": one replica per GPU of this machine, or per
            logical CPU device where there is none (TensorFlow:
            `tf.distribute.MirroredStrategy`; JAX: `keras.distribution.DataParallel`); or
            "multi_worker": one replica per device of every worker process (JAX only).
            Every worker runs the same training with its own run directory; the
            environment variables of `WORKER_VARIABLES` give the coordinator's address
            first, the number of workers and this one's index (0, 1, ...).

    Yields:
        int, the number of replicas.

    Raises:
        ConfigError: the backend has no such data parallelism in Keras, or a worker
            variable is missing or wrong.
        DeviceError: the workers could not connect.
    """
    if distribution == "none":
        yield 1
        return
    backend = keras.backend.backend()
    if backend == "tensorflow" and distribution == "mirrored":
        import tensorflow as tf

        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        strategy = tf.distribute.MirroredStrategy([device.name for device in devices])
        with strategy.scope():
            yield strategy.num_replicas_in_sync
    elif backend == "jax":
        if distribution == "multi_worker":
            _join_workers()
        # Workers feed their own share of every batch (`worker_shard`), so Keras must not
        # split the input again.
        parallel = keras.distribution.DataParallel(auto_shard_dataset=not _joined)
        with parallel.scope():
            yield parallel.num_model_replicas
    elif backend == "tensorflow":
        raise ConfigError(
            "training.distribution: got 'multi_worker', which needs the jax backend: Keras "
            "3's fit fails under TensorFlow's MultiWorkerMirroredStrategy "
            "(keras-team/keras#20585); set training.backend: jax", key="training.distribution")
    else:
        needed = "jax" if distribution == "multi_worker" else "tensorflow or jax"
        raise ConfigError(f"training.distribution: got {distribution!r}, which needs the "
                          f"{needed} backend; this process runs {backend}",
                          key="training.distribution")


def _join_workers():
    """Connect this process to the other workers (once per process); JAX allows it only
    before its first computation."""
    global _joined
    if _joined:
        return
    _check_worker_variables()
    import jax

    # Collectives between CPU processes need an implementation; GPUs bring their own.
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    try:
        # Keras' first exchange (its seeds) connects the workers, and Gloo says so on
        # stdout: not in the output of a command.
        with silenced(1):
            keras.distribution.initialize()
    except ValueError as error:
        raise ConfigError(f"training.distribution: {' '.join(str(error).split())}",
                          key="training.distribution") from None
    except RuntimeError as error:
        raise DeviceError("training.distribution: could not join the other workers at "
                          f"{os.environ['KERAS_DISTRIBUTION_JOB_ADDRESSES']}: "
                          f"{str(error).splitlines()[0]}") from None
    _joined = True


def _check_worker_variables():
    """One clear line for each way the worker variables can be wrong (JAX would fail on
    them with a traceback, or wait for workers that never come)."""
    addresses, count, index = (os.environ.get(name, "") for name in WORKER_VARIABLES)
    missing = [name for name in WORKER_VARIABLES if not os.environ.get(name)]
    if missing:
        raise ConfigError(
            f"training.distribution: got 'multi_worker', but {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not set; expected "
            "KERAS_DISTRIBUTION_JOB_ADDRESSES=host:port,... (the coordinator, worker 0, "
            "first), KERAS_DISTRIBUTION_NUM_PROCESSES=N and KERAS_DISTRIBUTION_PROCESS_ID "
            "from 0 to N-1", key="training.distribution")
    for address in addresses.split(","):
        host, _, port = address.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"KERAS_DISTRIBUTION_JOB_ADDRESSES: got {address!r}; expected "
                              "host:port, one per worker", key="training.distribution")
    if not count.isdigit() or int(count) < 1:
        raise ConfigError(f"KERAS_DISTRIBUTION_NUM_PROCESSES: got {count!r}; expected the "
                          "number of workers, an integer >= 1", key="training.distribution")
    if not index.isdigit() or int(index) >= int(count):
        raise ConfigError(f"KERAS_DISTRIBUTION_PROCESS_ID: got {index!r}; expected this "
                          f"worker's index, an integer from 0 to {int(count) - 1}",
                          key="training.distribution")


def worker_shard():
    """This process's place among the workers of a multi-worker run.

    Returns:
        (index, count): ints; (0, 1) outside a multi-worker run.
    """
    if not _joined:
        return 0, 1
    import jax

    return jax.process_index(), jax.process_count()


def agreed_signal(signum):
    """The stop request of any worker, so that every worker stops after the same step.

    Every worker must call it at the same point of training: it waits for the others.

    Args:
        signum: int or None, this worker's pending stop signal.

    Returns:
        int or None: the highest signal number any worker holds (`signum` outside a
        multi-worker run).
    """
    if not _joined:  # called after every call into the backend: nothing to exchange
        return signum
    return int(np.max(_every_workers(signum or 0))) or None


def same_on_every_worker(values):
    """Whether every worker of a multi-worker run holds the same integers.

    Every worker must call it at the same point: it waits for the others.

    Args:
        values: list of int.

    Returns:
        bool; True outside a multi-worker run.
    """
    if not _joined:
        return True
    gathered = _every_workers(values)
    return bool(np.all(gathered == gathered[0]))


def _every_workers(values):
    """`values` (int32) of every worker of a multi-worker run, stacked on a new first
    axis."""
    from jax.experimental import multihost_utils

    with workers_connected():
        return np.asarray(multihost_utils.process_allgather(np.asarray(values, np.int32)))


@contextlib.contextmanager
def workers_connected():
    """A context manager that reports a failed exchange with the other workers of a
    multi-worker run (one stopped or died) as one `DeviceError`, not as JAX's traceback.

    Raises:
        DeviceError: an exchange with another worker failed inside it.
    """
    if not _joined:
        yield
        return
    import jax

    try:
        yield
    except SNNError:  # ours, some of them ValueErrors: already one clear line
        raise
    except (ValueError, jax.errors.JaxRuntimeError) as error:
        # XLA repeats "Error dispatching computation: " once per nested call.
        parts = str(error).splitlines()[0].split(": ")
        cause = ": ".join(part for i, part in enumerate(parts) if not i or part != parts[i - 1])
        raise DeviceError(
            f"training.distribution: lost the other workers ({cause}); a worker stopped or "
            "died: resume every worker with snn train --resume") from error


@contextlib.contextmanager
def local_model(model):
    """A context manager giving a copy of `model` on this process's devices alone, with its
    weights and optimizer state, and no data parallelism while it is open: the arrays of a
    multi-worker run span processes and cannot be read whole, so each worker evaluates
    and saves such a copy. Outside a multi-worker run, or for a scikit-learn model, it
    gives `model` itself.

    Args:
        model: a compiled keras.Model, or a scikit-learn estimator.

    Yields:
        keras.Model compiled like `model`, or the estimator.
    """
    if not _joined or not isinstance(model, keras.Model):
        yield model
        return
    parallel = keras.distribution.distribution()
    keras.distribution.set_distribution(None)
    try:
        copy = keras.models.clone_model(model)
        copy.compile_from_config(model.get_compile_config())
        copy.optimizer.build(copy.trainable_variables)
        for target, source in zip([*copy.variables, *copy.optimizer.variables],
                                  [*model.variables, *model.optimizer.variables]):
            target.assign(np.asarray(source.value))  # replicated: each worker holds it all
        yield copy
    finally:
        keras.distribution.set_distribution(parallel)


def batch_multiple():
    """What every batch size must be a multiple of: under JAX data parallelism the number
    of replicas (JAX shards a batch only into equal parts), else 1.

    Returns:
        int >= 1.
    """
    distribution = keras.distribution.distribution() if keras.backend.backend() == "jax" \
        else None
    return distribution.num_model_replicas if distribution is not None else 1
