"""Paper tables that are one sweep over methods (Tox21's Table 2)."""

from snn.report import PAPER, paper_table, write_report
from snn.sweeps import plan_sweep, run_sweep
from snn.util.files import write_json


def reproduce_table(config, out_dir, paper, overrides=(), workers=None, executor="local",
                    address=None):
    """Run a paper table's sweep and put the paper's numbers beside ours.

    Args:
        config: path of a sweep over `model.name` (e.g. `configs/paper/tox21.yaml`).
        out_dir: the sweep directory; an existing one is resumed.
        paper: `snn.report.paper_numbers(...)` of the table.
        overrides: "key=value" strings applied to every run.
        workers: parallel worker processes (default: one per CPU core).
        executor, address: where the runs train, as for `snn.sweeps.run_sweep`.

    Returns:
        (Path of report.md, list of str: the comparison table's lines).

    Raises:
        ConfigError: the config or an override is invalid.
        TrainingError: no run completed.
    """
    result = run_sweep(plan_sweep(config, overrides), out_dir, workers, executor=executor,
                       address=address)
    write_json(result.sweep_dir / PAPER, paper)
    return write_report(result.sweep_dir), paper_table(result.sweep_dir)
