import signal

import pytest

from snn.errors import RunInterrupted
from snn.util.interrupts import StopRequests, sigterm_as_interrupt


def test_the_first_signal_is_recorded_not_raised_and_handlers_come_back(capsys):
    before = signal.getsignal(signal.SIGTERM)
    with StopRequests() as stop:
        signal.raise_signal(signal.SIGTERM)
        assert stop.signum == signal.SIGTERM
        signal.raise_signal(signal.SIGTERM)  # already stopping: nothing more happens
    assert signal.getsignal(signal.SIGTERM) is before
    assert "snn: SIGTERM: stopping after this step\n" in capsys.readouterr().err


def test_a_second_ctrl_c_stops_at_once(capsys):
    with StopRequests() as stop:
        signal.raise_signal(signal.SIGINT)
        assert "(Ctrl-C again to stop at once)" in capsys.readouterr().err
        assert stop.signum == signal.SIGINT
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)


def test_an_ignored_sigint_stays_ignored(capsys):
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as in a sweep worker
    try:
        with StopRequests() as stop:
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            signal.raise_signal(signal.SIGINT)
            assert stop.signum is None
            signal.raise_signal(signal.SIGTERM)
            assert stop.signum == signal.SIGTERM
    finally:
        signal.signal(signal.SIGINT, previous)
    assert "(Ctrl-C again" not in capsys.readouterr().err


def test_sigterm_as_interrupt_raises_run_interrupted_with_the_signal():
    with pytest.raises(RunInterrupted, match="sweep stopped") as caught:
        with sigterm_as_interrupt("sweep stopped"):
            signal.raise_signal(signal.SIGTERM)
    assert caught.value.signum == signal.SIGTERM
    assert isinstance(caught.value, KeyboardInterrupt)
