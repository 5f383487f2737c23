"""Reproduce Table 2 of the SNN paper: Tox21 mean AUC by method and number of layers.

    SNN_DATA_DIR=../shared/data python scripts/reproduce_tox21.py [--quick]

Runs the sweep of configs/paper/tox21.yaml (SNN and six FNN baselines at 2, 3, 4, 6, 8,
16 and 32 hidden layers, holdout test split) and prints our mean test AUC over the 12
tasks beside the paper's in each cell. --quick: depths 2, 8 and 32, 512 units, at most
30 epochs. Running it again resumes an interrupted reproduction. Needs RDKit
(pip install -e '.[chem]').
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "paper" / "tox21.yaml"
METHODS = ("snn_mlp, batchnorm_mlp, weightnorm_mlp, layernorm_mlp, highway_mlp, msra_mlp, "
           "resnet_mlp")
QUICK = [f"sweep.grid={{model.name: [{METHODS}], model.depth: [2, 8, 32]}}", "model.units=512",
         "training.epochs=30", "training.early_stopping.patience=5"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="depths 2, 8 and 32, 512 units, at most 30 epochs")
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="default: runs/tox21-table2 or runs/tox21-table2-quick")
    parser.add_argument("--workers", type=int, default=None,
                        help="parallel worker processes (default: one per CPU core)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override applied to every run")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    args = parser.parse_args()

    from snn.cli import prepare_console, run_reporting_errors

    prepare_console()
    return run_reporting_errors(lambda: _reproduce(args), args.debug)


def _reproduce(args):
    from snn import runs
    from snn.paper.results import TOX21_AUC, TOX21_DEPTHS
    from snn.report import PAPER, paper_numbers, paper_table, write_report
    from snn.sweep import plan_sweep, run_sweep

    out_dir = args.out_dir or Path("runs") / ("tox21-table2-quick" if args.quick
                                              else "tox21-table2")
    sweep = plan_sweep(CONFIG, (QUICK if args.quick else []) + args.overrides)
    result = run_sweep(sweep, out_dir, args.workers)
    values = {method: [None if auc is None else auc / 100 for auc in row]  # paper: x 100
              for method, row in TOX21_AUC.items()}
    runs.write_json(result.sweep_dir / PAPER, paper_numbers(
        "Table 2 (Tox21)", "auc", values, by="model.depth", columns=TOX21_DEPTHS))
    report = write_report(result.sweep_dir)
    print("\n" + "\n".join(paper_table(result.sweep_dir)))
    print(f"\nReport: {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
