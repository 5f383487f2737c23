"""Reproduce Table 3 of the SNN paper: HTRU2 pulsar detection, SNN against six FNNs.

    SNN_DATA_DIR=../shared/data python scripts/reproduce_htru2.py [--out-dir DIR] [--workers N]

Runs the sweep of configs/paper/htru2.yaml (one run per method, 10-fold cross-validated
ROC AUC) with `snn sweep`'s machinery, then prints our AUC beside the paper's and writes
report.md into the sweep directory. Running it again resumes an interrupted reproduction.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "paper" / "htru2.yaml"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=Path("runs") / "htru2-table3")
    parser.add_argument("--workers", type=int, default=None,
                        help="parallel worker processes (default: one per CPU core)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override applied to every method's run")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    args = parser.parse_args()

    from snn.cli import prepare_console, run_reporting_errors

    prepare_console()
    return run_reporting_errors(lambda: _reproduce(args), args.debug)


def _reproduce(args):
    from snn import runs
    from snn.paper.results import HTRU2_AUC
    from snn.report import PAPER, paper_numbers, paper_table, write_report
    from snn.sweep import plan_sweep, run_sweep

    sweep = plan_sweep(CONFIG, args.overrides)
    result = run_sweep(sweep, args.out_dir, args.workers)
    runs.write_json(result.sweep_dir / PAPER, paper_numbers("Table 3 (HTRU2)", "auc",
                                                             HTRU2_AUC))
    report = write_report(result.sweep_dir)
    print("\n" + "\n".join(paper_table(result.sweep_dir)))
    print(f"\nReport: {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
