"""Reproduce Table 2 of the SNN paper: Tox21 mean AUC by method and number of layers.

    SNN_DATA_DIR=../shared/data python scripts/reproduce_tox21.py --quick [--split scaffold]
    SNN_DATA_DIR=../shared/data python scripts/reproduce_tox21.py          # the paper's grids

Each method's config in configs/paper/tox21/ is a sweep over the paper's grid for it
(Tables A14-A20: widths, depths, learning rates, L2, layer form and the method's own
dropout set) with 3 seeds per setting, on one holdout split of ECFP4 fingerprints. Each
setting trains 100 epochs and keeps the epoch with the best 10-epoch moving average of
validation loss; per number of layers, the setting with the best validation AUC (mean
over the 12 assays and the seeds; ties: a lower learning rate, then a higher dropout
rate) is reported with its test AUC, mean +/- standard deviation over the seeds, beside
Table 2's. --split scaffold puts whole Bemis-Murcko scaffolds into each split instead of
random molecules. Running the same command again resumes. Needs RDKit
(pip install -e '.[chem]').

--quick cuts each grid to depths 2 and 8, 1024 units, learning rate 0.05, L2 1e-5,
rectangular layers (ResNet: rectangular blocks) and 20 epochs, and keeps each method's
own dropout values and the 3 seeds: 72 trainings. Without it: 2,718 settings, 8,154
trainings. --stack N trains up to N runs of a method's grid that differ only in network
settings, learning rate or seed as one stacked model: each reaches the result it reaches
alone (tests/test_training_stacked.py, missing labels included).
"""

import sys
from pathlib import Path

from snn.cli import reproduction_parser, run_script

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "configs" / "paper" / "tox21"
METHODS = ("snn", "msra", "batchnorm", "weightnorm", "layernorm", "highway", "resnet")
_QUICK = "model.depth: [2, 8], training.learning_rate: [0.05], model.l2: [0.00001], " \
    "seed: [0, 1, 2]"
QUICK_GRID = {
    "snn": f"{{{_QUICK}, model.dropout_rate: [0.05, 0.10]}}",
    "msra": f"{{{_QUICK}, model.dropout_rate: [0.5, 0.0]}}",
    "weightnorm": f"{{{_QUICK}, model.dropout_rate: [0.0, 0.5]}}",
    "layernorm": f"{{{_QUICK}, model.dropout_rate: [0.0, 0.5]}}",
    "highway": f"{{{_QUICK}, model.dropout_rate: [0.0, 0.5]}}",
    "resnet": f"{{{_QUICK}, model.block_form: [rectangular]}}",
    "*": f"{{{_QUICK}}}",
}
QUICK_EPOCHS = 20


def reproduce(args):
    from snn.paper.presets import method_configs, network_overrides
    from snn.paper.tox21 import format_table, reproduce_tox21

    configs = method_configs(FOLDER, args.methods)
    out_dir = args.out_dir / args.split / ("quick" if args.quick else "")
    if args.quick:
        print("--quick: each method's grid cut to depths 2 and 8, 1024 units, learning rate "
              "0.05, L2 1e-5, rectangular layers, 20 epochs; its dropout values and 3 seeds "
              "kept")
    split = [f"evaluation.split={args.split}"]
    methods = [(path, (network_overrides(path, QUICK_GRID, QUICK_EPOCHS, units=1024)
                       if args.quick else []) + split + args.overrides) for path in configs]
    comparison = reproduce_tox21(methods, out_dir, args.workers, executor=args.executor,
                                 address=args.address, stack=args.stack)
    print("\nTable 2 (Tox21), ours beside the paper's:\n")
    print("\n".join(format_table(comparison)))
    print(f"\nEach cell's chosen setting in {out_dir / 'results.csv'}")
    return 0


if __name__ == "__main__":
    parser = reproduction_parser(__doc__, Path("runs") / "tox21-table2", stacking=True)
    parser.add_argument("--quick", action="store_true",
                        help="depths 2 and 8, one learning rate and L2, 20 epochs, each "
                        "method's dropout values, 3 seeds (in OUT_DIR/SPLIT/quick)")
    parser.add_argument("--split", choices=("random", "scaffold"), default="random",
                        help="random molecules (default) or whole Bemis-Murcko scaffolds "
                        "per split")
    parser.add_argument("--methods", default=",".join(METHODS),
                        help=f"comma-separated configs of configs/paper/tox21/ (default: "
                        f"{','.join(METHODS)})")
    sys.exit(run_script(reproduce, parser.parse_args()))
