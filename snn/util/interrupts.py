"""Stop a run cleanly on Ctrl-C (SIGINT) or SIGTERM: after the current step, checkpointed."""

import contextlib
import signal
import sys
import threading

from snn.errors import RunInterrupted

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequests:
    """While active, SIGINT and SIGTERM ask training to stop instead of killing it.

    The first signal sets `signum`; training checks it after every step (see
    `snn.training.checkpoints.Checkpointing`), writes a checkpoint and stops. A second Ctrl-C stops
    at once (KeyboardInterrupt), for when even one step is too long to wait for.

    Handlers can only be set in the main thread; elsewhere (and for a signal the process
    ignores, as sweep workers ignore SIGINT so their parent handles it) the process keeps
    its handling. On exit the previous handlers come back.

    Example:
    >>> with StopRequests() as stop:
    ...     stop.signum is None
    True
    """

    def __init__(self):
        self.signum = None
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for number in _SIGNALS:
                if signal.getsignal(number) is not signal.SIG_IGN:
                    self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exception):
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous = {}

    def _handle(self, signum, frame):
        if self.signum is None:
            self.signum = signum
            again = " (Ctrl-C again to stop at once)" if signum == signal.SIGINT else ""
            print(f"\nsnn: {signal.Signals(signum).name}: stopping after this step{again}",
                  file=sys.stderr, flush=True)
        elif signum == signal.SIGINT:
            raise KeyboardInterrupt


@contextlib.contextmanager
def sigterm_as_interrupt(message):
    """While active, SIGTERM raises `RunInterrupted` in the main thread, as Ctrl-C raises
    KeyboardInterrupt, so a process that manages others (a sweep) can stop them cleanly.

    Args:
        message: str, the `RunInterrupted` message.
    """
    def interrupt(signum, frame):
        raise RunInterrupted(message, signum)

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
