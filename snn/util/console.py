"""Console processes: import Keras without TensorFlow's start-up noise, and print the
library's warnings as one line each.

Imports only the standard library, so that it can run before anything imports Keras.
"""

import contextlib
import importlib.util
import logging
import os
import sys


def import_keras_quietly():
    """Import Keras without TensorFlow's C++ start-up messages (oneDNN, CUDA probing).

    They are written to file descriptor 2 before TensorFlow's logging is configured, so
    only a redirect silences them. A user who sets TF_CPP_MIN_LOG_LEVEL sees everything.
    """
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        import keras  # noqa: F401
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # honoured by messages after start-up
    with silenced(2):
        import keras

        # On JAX and PyTorch, Keras still imports TensorFlow later where it is installed
        # (saving, tf.data), with the same start-up messages: take them now.
        if keras.backend.backend() != "tensorflow" and importlib.util.find_spec("tensorflow"):
            import tensorflow  # noqa: F401


@contextlib.contextmanager
def silenced(number):
    """A context manager that sends what is written to a file descriptor, by Python or by
    C++ libraries, to /dev/null.

    Args:
        number: int, the file descriptor: 1 (standard output) or 2 (standard error).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved, devnull = os.dup(number), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, number)
    try:
        yield
    finally:
        os.dup2(saved, number)
        os.close(saved)
        os.close(devnull)


def quiet_backend_logs():
    """Hide TensorFlow's Python-side warnings (e.g. about retracing when a sweep or k-fold
    run builds many models in one process); they are about Keras internals, not the run."""
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def log_warnings_to_stderr():
    """Show the library's warnings (the "snn" logger, e.g. audit findings) as one
    "snn: warning: ..." line each on the current stderr; calling it again (the CLI run
    twice in one process) points the same handler at the current stderr."""
    logger = logging.getLogger("snn")
    for handler in logger.handlers:
        if handler.get_name() == "snn-stderr":
            handler.stream = sys.stderr  # setStream would flush the old one, maybe closed
            return
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name("snn-stderr")
    handler.setFormatter(logging.Formatter("snn: warning: %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False


def format_duration(seconds):
    """A duration as people say it: "45 s", "3.2 min" or "1.5 h".

    Args:
        seconds: float, seconds.

    Returns:
        str.
    """
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def remaining(done, total, seconds):
    """How many of `total` items remain and, from the mean time of those done so far, the
    estimated time left: "8 to go, about 1.6 min left" ("" when none remain).

    Args:
        done: int, items finished in `seconds` (at least 1).
        total: int, all the items.
        seconds: float, time spent on the `done` items.

    Returns:
        str.
    """
    left = total - done
    return f"{left} to go, about {format_duration(seconds / done * left)} left" if left else ""
