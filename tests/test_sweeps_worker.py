"""A sweep's unit of work: one run trained in a worker process, and how it ended."""

from snn.config import parse_config, to_dict
from snn.errors import ConfigError
from snn.sweeps.outcome import RunOutcome
from snn.sweeps.worker import train_run

RAW = to_dict(parse_config({"name": "p", "data": {"source": "sklearn", "name": "iris"},
                            "model": {"depth": 1, "units": 4}, "training": {"epochs": 1}}))


def test_an_unexpected_error_keeps_its_traceback_in_the_runs_error_log(tmp_path, monkeypatch):
    def broken_train(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr("snn.training.train", broken_train)
    outcome = RunOutcome.from_dict(train_run(RAW, str(tmp_path / "run")))  # plain data
    log = tmp_path / "run" / "error.log"
    assert outcome.status == "failed" and outcome.metrics is None
    assert outcome.reason == f"RuntimeError: boom; traceback in {log}"
    text = log.read_text()
    assert text.startswith("Traceback (most recent call last):")
    assert "in broken_train" in text and text.endswith("RuntimeError: boom\nsecond line\n")


def test_a_users_error_is_its_one_line_and_no_error_log(tmp_path, monkeypatch):
    def refusing_train(*args, **kwargs):
        raise ConfigError("training.epochs: got 0")

    monkeypatch.setattr("snn.training.train", refusing_train)
    outcome = RunOutcome.from_dict(train_run(RAW, str(tmp_path / "run")))  # plain data
    assert outcome.reason == "training.epochs: got 0"
    assert not (tmp_path / "run" / "error.log").exists()
