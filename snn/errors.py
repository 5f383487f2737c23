"""Errors a user can cause, as opposed to bugs.

The CLI turns every `SNNError` into one line on stderr and exit status 2; anything else is a
bug and keeps its traceback.
"""

import difflib


def did_you_mean(name, known):
    """The hint an error about a misspelled name gives: the closest known name, if any.

    Args:
        name: str, the name as the user wrote it.
        known: iterable of str, the names allowed there.

    Returns:
        str: "did you mean 'closest'? " (with a trailing space, to precede the rest of a
        message), or "" when no known name is close (difflib's ratio below 0.6).
    """
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def describe(error):
    """One line for an error: an `SNNError`'s message, else its type and first line."""
    if isinstance(error, SNNError):
        return str(error)
    first = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


class SNNError(Exception):
    """Base class of the errors caused by a user's config, data, paths or devices."""


class ConfigError(SNNError, ValueError):
    """An experiment config (file, `--set` override or keyword argument) is invalid.

    Args:
        message: the whole one-line message, starting with the key path.
        key: the dotted key path at fault (e.g. "training.learning_rate"), when known.
    """

    def __init__(self, message, key=None):
        super().__init__(message)
        self.key = key


class DataError(SNNError, ValueError):
    """A data source is missing, malformed or does not fit the model."""


class DeviceError(SNNError, RuntimeError):
    """The requested device is not available."""


class AuditError(SNNError, RuntimeError):
    """The SNN audit found problems and `training.audit` is "error"."""


class TrainingError(SNNError, RuntimeError):
    """Training failed in a way the config can fix, e.g. the loss diverged to NaN."""


class RunDirError(SNNError, OSError):
    """A run directory cannot be used: already holds a finished run, or is incomplete."""


class RunPruned(SNNError, RuntimeError):
    """A search's pruner stopped the run after an epoch (its trial looked unpromising);
    the run directory is marked "pruned"."""


class RunInterrupted(KeyboardInterrupt):
    """A run stopped on SIGINT or SIGTERM after a checkpoint; `snn train --resume` goes on.

    A `KeyboardInterrupt`, so code that stops on Ctrl-C stops on it too, and `except
    Exception` (e.g. a sweep recording failed runs) lets it through.

    Args:
        message: one line saying where the run stopped and how to resume it.
        signum: the signal number (`signal.SIGINT` or `signal.SIGTERM`).
    """

    def __init__(self, message, signum):
        super().__init__(message)
        self.signum = signum
