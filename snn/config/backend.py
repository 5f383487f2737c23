"""Choosing the Keras backend (TensorFlow, JAX or PyTorch) that runs an experiment.

Keras fixes its backend when it is first imported, from the KERAS_BACKEND environment
variable (default: tensorflow). A config's `training.backend` can only take effect in a
process that has not imported Keras yet: the `snn` command reads it before anything imports
Keras, and `snn.training.train` checks that the running backend is the one asked for.

No Keras here: it reads the config with `snn.config.reader`, as the full validation does.
"""

import importlib.util
import os
import sys

from snn.config.reader import apply_overrides, read_config
from snn.errors import ConfigError

# Each is also the name of the package it needs; jax and torch are extras of `snn`.
BACKENDS = ("tensorflow", "jax", "torch")


def configured_backend(path, overrides=()):
    """The backend an experiment file asks for in `training.backend`, before Keras loads.

    The file and the overrides are read as `snn.config.load_config` reads them; a file or
    override that cannot be read gives "auto", and the full config parse reports the
    problem afterwards.

    Args:
        path: str or Path of an experiment file (YAML).
        overrides: "KEY=VALUE" strings as `--set` takes them, e.g. "training.backend=jax"
            or "training={backend: jax}".

    Returns:
        str: "auto", or the value given (validated later with the rest of the config).
    """
    try:
        raw = read_config(path)
        apply_overrides(raw, overrides)
    except ConfigError:
        return "auto"
    training = raw.get("training")
    backend = training.get("backend") if isinstance(training, dict) else None
    return backend if isinstance(backend, str) else "auto"


def use_backend(backend, source="training.backend"):
    """Make Keras run on `backend` in this process, or check that it already does.

    Before Keras is imported this sets KERAS_BACKEND; afterwards the backend can no longer
    change, so a different one is an error.

    Args:
        backend: "auto" (keep KERAS_BACKEND, or Keras' default, tensorflow), "tensorflow",
            "jax" or "torch".
        source: where the value came from, for messages (e.g. the config file's path).

    Raises:
        ConfigError: the backend is unknown or not installed, or Keras already runs on
            another backend in this process.
    """
    if backend == "auto":
        return
    if backend not in BACKENDS:
        raise ConfigError(f"{source}: training.backend: got {backend!r}; expected one of "
                          f"auto, {', '.join(BACKENDS)}", key="training.backend")
    if "keras" in sys.modules:
        running = sys.modules["keras"].backend.backend()
        if running != backend:
            raise ConfigError(
                f"{source}: training.backend: got {backend!r}, but Keras already runs on "
                f"{running!r} in this process; set KERAS_BACKEND={backend} before importing "
                "keras (the `snn` command does this itself)", key="training.backend")
        return
    if importlib.util.find_spec(backend) is None:
        raise ConfigError(f"{source}: training.backend: {backend!r} is not installed; "
                          f"pip install -e '.[{backend}]'", key="training.backend")
    os.environ["KERAS_BACKEND"] = backend
