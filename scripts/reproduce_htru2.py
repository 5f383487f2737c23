"""Reproduce Table 3 of the SNN paper: HTRU2 pulsar detection, SNN against six FNNs.

    SNN_DATA_DIR=../shared/data python scripts/reproduce_htru2.py [--out-dir DIR] [--workers N]

Runs the sweep of configs/paper/htru2.yaml (one run per method, 10-fold cross-validated
ROC AUC) with `snn sweep`'s machinery, then prints our AUC beside the paper's and writes
report.md into the sweep directory. Running it again resumes an interrupted reproduction.
"""

import sys
from pathlib import Path

from snn.cli import reproduction_parser, run_script

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "paper" / "htru2.yaml"


def reproduce(args):
    from snn.paper.tables import reproduce_table
    from snn.paper.results import HTRU2_AUC
    from snn.report import paper_numbers

    report, table = reproduce_table(CONFIG, args.out_dir, paper_numbers(
        "Table 3 (HTRU2)", "auc", HTRU2_AUC), args.overrides, args.workers, args.executor,
        args.address)
    print("\n" + "\n".join(table) + f"\n\nReport: {report}")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(reproduce, reproduction_parser(
        __doc__, Path("runs") / "htru2-table3").parse_args()))
