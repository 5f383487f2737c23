"""Reproduce Table 2 of the SNN paper: Tox21 mean AUC by method and number of layers.

    SNN_DATA_DIR=../shared/data python scripts/reproduce_tox21.py [--quick]

Runs the sweep of configs/paper/tox21.yaml (SNN and six FNN baselines at 2, 3, 4, 6, 8,
16 and 32 hidden layers, holdout test split) and prints our mean test AUC over the 12
tasks beside the paper's in each cell. --quick: depths 2 and 8, learning rate 0.05 (the
largest of the paper's grid), at most 30 epochs. Running it again resumes an interrupted
reproduction. Needs RDKit (pip install -e '.[chem]').
"""

import sys
from pathlib import Path

from snn.cli import reproduction_parser, run_script

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "paper" / "tox21.yaml"
METHODS = ("snn_mlp, batchnorm_mlp, weightnorm_mlp, layernorm_mlp, highway_mlp, msra_mlp, "
           "resnet_mlp")
QUICK = [f"sweep.grid={{model.name: [{METHODS}], model.depth: [2, 8]}}",
         "training.learning_rate=0.05", "training.epochs=30", "training.early_stopping.patience=5"]


def reproduce(args):
    from snn.paper.tables import reproduce_table
    from snn.paper.results import TOX21_AUC, TOX21_DEPTHS
    from snn.report import paper_numbers

    values = {method: [None if cell is None else cell[0] / 100 for cell in row]  # x 100
              for method, row in TOX21_AUC.items()}
    paper = paper_numbers("Table 2 (Tox21)", "auc", values, by="model.depth",
                          columns=TOX21_DEPTHS)
    out_dir = args.out_dir / "quick" if args.quick else args.out_dir
    report, table = reproduce_table(CONFIG, out_dir, paper,
                                    (QUICK if args.quick else []) + args.overrides,
                                    args.workers, args.executor, args.address)
    print("\n" + "\n".join(table) + f"\n\nReport: {report}")
    return 0


if __name__ == "__main__":
    parser = reproduction_parser(__doc__, Path("runs") / "tox21-table2")
    parser.add_argument("--quick", action="store_true",
                        help="depths 2 and 8, learning rate 0.05, at most 30 epochs (in "
                        "OUT_DIR/quick)")
    sys.exit(run_script(reproduce, parser.parse_args()))
