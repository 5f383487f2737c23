"""Data parallelism: the replicas of this machine, or those of several worker processes.

`distribution_scope` sets Keras' distribution up and yields the run's `Topology`: how many
replicas share a batch, which worker this process is, and how workers agree. A
single-process run gets a `Topology`, whose agreements are answered at once; a multi-worker
run a `WorkerTopology`, whose agreements exchange values with the other workers.
"""

import contextlib
import dataclasses
import os

import keras
import numpy as np

from snn.errors import ConfigError, DeviceError, SNNError
from snn.util.console import silenced

# Keras' variables naming the processes of a multi-worker run; read by
# `keras.distribution.initialize`.
WORKER_VARIABLES = ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES",
                    "KERAS_DISTRIBUTION_PROCESS_ID")


@dataclasses.dataclass(frozen=True)
class Topology:
    """Where one process trains: on `replicas` model replicas of this machine.

    Attributes:
        replicas: int, model replicas sharing every batch (1 without data parallelism).
        batch_multiple: int, what every batch size must be a multiple of: under JAX data
            parallelism the number of replicas (JAX shards a batch only into equal parts),
            else 1.
        worker, workers: this process's index among the workers, and their number: 0 and
            1 here.
    """

    replicas: int = 1
    batch_multiple: int = 1
    worker: int = 0
    workers: int = 1

    def agree(self, signum):
        """The stop request of any worker, so that every worker stops after the same step.

        Args:
            signum: int or None, this process's pending stop signal.

        Returns:
            int or None: `signum` itself in a single process.
        """
        return signum

    def same_on_every_worker(self, values):
        """Whether every worker holds the same integers `values`; True in one process."""
        return True

    @contextlib.contextmanager
    def connected(self):
        """A context manager for exchanges with other workers; nothing to do here."""
        yield

    @contextlib.contextmanager
    def local_model(self, model):
        """A context manager giving a model whose arrays this process can read whole (to
        evaluate and save it): `model` itself here."""
        yield model


@dataclasses.dataclass(frozen=True)
class WorkerTopology(Topology):
    """Where a worker of a multi-worker run trains (JAX): every worker calls the same
    methods at the same points of training, and each call waits for the others."""

    def agree(self, signum):
        """The highest stop signal any worker holds, or None (see `Topology.agree`)."""
        return int(np.max(self._every_workers(signum or 0))) or None

    def same_on_every_worker(self, values):
        """Whether every worker holds the same integers `values`.

        Args:
            values: list of int.

        Returns:
            bool.
        """
        gathered = self._every_workers(values)
        return bool(np.all(gathered == gathered[0]))

    def _every_workers(self, values):
        """`values` (int32) of every worker, stacked on a new first axis."""
        from jax.experimental import multihost_utils

        with self.connected():
            return np.asarray(multihost_utils.process_allgather(np.asarray(values, np.int32)))

    @contextlib.contextmanager
    def connected(self):
        """A context manager that reports a failed exchange with the other workers (one
        stopped or died) as one `DeviceError`, not as JAX's traceback.

        Raises:
            DeviceError: an exchange with another worker failed inside it.
        """
        import jax

        try:
            yield
        except SNNError:  # ours, some of them ValueErrors: already one clear line
            raise
        except (ValueError, jax.errors.JaxRuntimeError) as error:
            # XLA repeats "Error dispatching computation: " once per nested call.
            parts = str(error).splitlines()[0].split(": ")
            cause = ": ".join(part for i, part in enumerate(parts)
                              if not i or part != parts[i - 1])
            raise DeviceError(
                f"training.distribution: lost the other workers ({cause}); a worker stopped "
                "or died: resume every worker with snn train --resume") from error

    @contextlib.contextmanager
    def local_model(self, model):
        """A context manager giving a copy of `model` on this process's devices alone, with
        its weights and optimizer state, and no data parallelism while it is open: the
        arrays of a multi-worker run span processes and cannot be read whole, so each
        worker evaluates and saves such a copy. A scikit-learn model is given as it is.

        Args:
            model: a compiled keras.Model, or a scikit-learn estimator.

        Yields:
            keras.Model compiled like `model`, or the estimator.
        """
        if not isinstance(model, keras.Model):
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
                target.assign(np.asarray(source.value))  # replicated: each worker has it all
            yield copy
        finally:
            keras.distribution.set_distribution(parallel)


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
        `Topology` (`WorkerTopology` for "multi_worker").

    Raises:
        ConfigError: the backend has no such data parallelism in Keras, or a worker
            variable is missing or wrong.
        DeviceError: the workers could not connect.
    """
    if distribution == "none":
        yield Topology()
        return
    backend = keras.backend.backend()
    if backend == "tensorflow" and distribution == "mirrored":
        import tensorflow as tf

        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        strategy = tf.distribute.MirroredStrategy([device.name for device in devices])
        with strategy.scope():
            yield Topology(replicas=strategy.num_replicas_in_sync)
    elif backend == "jax":
        joined = distribution == "multi_worker"
        if joined:
            _join_workers()
        # Workers feed their own share of every batch (`Topology.worker`), so Keras must
        # not split the input again.
        parallel = keras.distribution.DataParallel(auto_shard_dataset=not joined)
        replicas = parallel.num_model_replicas
        with parallel.scope():
            yield _jax_topology(joined, replicas)
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


def _jax_topology(joined, replicas):
    if not joined:
        return Topology(replicas=replicas, batch_multiple=replicas)
    import jax

    return WorkerTopology(replicas=replicas, batch_multiple=replicas,
                          worker=jax.process_index(), workers=jax.process_count())


def _join_workers():
    """Connect this process to the other workers; JAX allows it once per process, before
    its first computation."""
    import jax

    if jax.distributed.is_initialized():
        return
    _check_worker_variables()
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
