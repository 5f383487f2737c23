"""How one run of a sweep ended: the typed record the sweep selects and reports from."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class RunOutcome:
    """How a sweep's run ended.

    Attributes:
        status: "completed" or "failed".
        metrics: dict, `snn.training.train`'s result (the run's `metrics.json`), or None.
        reason: str, why the run failed, or None.
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
