"""Choosing the Keras backend (TensorFlow, JAX or PyTorch) that runs an experiment.

Keras fixes its backend when it is first imported, from the KERAS_BACKEND environment
variable (default: tensorflow). A config's `training.backend` can only take effect in a
process that has not imported Keras yet: the `snn` command reads it before anything imports
Keras, and `snn.training.train` checks that the running backend is the one asked for.

This module imports only the standard library and PyYAML at the top, so it can run first.
"""

import importlib.util
import os
import sys
from pathlib import Path

import yaml

from snn.errors import ConfigError

# Each is also the name of the package it needs; jax and torch are extras of `snn`.
BACKENDS = ("tensorflow", "jax", "torch")


def configured_backend(path, overrides=()):
    """The backend an experiment file asks for in `training.backend`, before Keras loads.

    Only reads the key; a file that cannot be read or parsed gives "auto", and the full
    config parse reports the problem afterwards.

    Args:
        path: str or Path of an experiment file (YAML).
        overrides: "KEY=VALUE" strings as `--set` takes them; the last one setting
            `training.backend` wins over the file.

    Returns:
        str: "auto", or the value given (validated later with the rest of the config).
    """
    backend = "auto"
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        training = raw.get("training") if isinstance(raw, dict) else None
        if isinstance(training, dict) and isinstance(training.get("backend"), str):
            backend = training["backend"]
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        pass
    for override in overrides:
        key, _, value = override.partition("=")
        if key.strip() == "training.backend":
            backend = value.strip()
    return backend


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
