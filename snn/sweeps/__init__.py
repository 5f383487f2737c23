"""Sweeps (L5): grids of runs planned from a config, trained by executors (local worker
processes or Ray), one run per worker call (`worker`), and the best one selected.

Example:
>>> from snn.sweeps import plan_sweep, run_sweep
>>> result = run_sweep(plan_sweep("configs/digits_sweep.yaml"), "runs/digits-sweep")
"""

from snn.sweeps.sweep import FINAL, SELECTED, SWEEP_CONFIG, SWEEP_CSV, SWEEP_JSON, Sweep
from snn.sweeps.sweep import SweepResult, SweepRun, plan_sweep, require_a_completed_run
from snn.sweeps.sweep import run_sweep, run_sweeps

__all__ = ["FINAL", "SELECTED", "SWEEP_CONFIG", "SWEEP_CSV", "SWEEP_JSON", "Sweep",
           "SweepResult", "SweepRun", "plan_sweep", "require_a_completed_run", "run_sweep",
           "run_sweeps"]
