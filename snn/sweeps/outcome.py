"""How one run of a sweep ended: the typed record the sweep selects and reports from."""

import dataclasses
from pathlib import Path

from snn import runs
from snn.util.files import read_json


@dataclasses.dataclass(frozen=True)
class RunOutcome:
    """How a sweep's run ended.

    Attributes:
        status: "completed", "failed" or "pruned" (a search stopped it early).
        metrics: dict, `snn.training.train`'s result (the run's `metrics.json`), or None.
        reason: str, why the run failed or was pruned, or None.
        seconds: float, wall time of the call that trained it (0 for a run found done).
    """

    status: str
    metrics: dict | None = None
    reason: str | None = None
    seconds: float = 0.0

    @classmethod
    def failed(cls, reason, seconds=0.0):
        """A failed outcome saying why."""
        return cls("failed", reason=reason, seconds=seconds)

    def to_dict(self):
        """Plain data, for a worker process or Ray task to return without pickling classes."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data):
        """The outcome `to_dict` gave."""
        return cls(**data)


def recorded_outcome(run_dir, raw_config):
    """How a run directory's run of this very config ended, as its files record it.

    Args:
        run_dir: str or Path of the run directory.
        raw_config: dict, the run's config as `snn.config.to_dict` writes it.

    Returns:
        `RunOutcome`: "completed" with its metrics, or "pruned" with the reason; None for a
        run that is absent, unfinished, failed (a rerun tries it again) or of another
        config.
    """
    status = runs.read_status(run_dir)
    if status is None or not runs.trained_with(run_dir, raw_config):
        return None
    if status["status"] == "completed":
        return RunOutcome("completed", read_json(Path(run_dir) / runs.METRICS))
    if status["status"] == "pruned":
        return RunOutcome("pruned", reason=status.get("reason"))
    return None
