"""Reproduce Table 3 of the SNN paper: HTRU2 pulsar detection, SNN against FNNs and others.

    SNN_DATA_DIR=../shared/data python scripts/reproduce_htru2.py --quick
    SNN_DATA_DIR=../shared/data python scripts/reproduce_htru2.py          # the paper's grids

Each method's config in configs/paper/htru2/ is a nested sweep over the paper's grid
(Tables A21-A27) on 10 folds: when fold M tests, fold M-1 validates (fold 10 for M = 1) and
the other eight train; every setting trains 100 epochs and keeps the epoch with the best
10-epoch moving average of validation AUC, and the best setting by that AUC (ties: more
layers, then a lower learning rate, then a higher dropout rate) is scored on fold M. Each
method's mean and standard deviation of the 10 test AUCs, and a paired Wilcoxon test
against the SNN over the folds, are printed beside Table 3's and written, with every run,
to --out-dir. Naive Bayes, an entropy decision tree (C4.5's criterion) and an SVM, whose
AUCs Table 3 quotes from the literature, run through the same folds with small grids of
our own. Running the same command again resumes an interrupted reproduction.

--quick cuts each network's grid to depth 2 or 8 at learning rate 0.1, with 256 units,
rectangular layers, no dropout and 30 epochs (the protocol otherwise unchanged). Without
it, every network runs the paper's full grid: 795 settings, 7,950 trainings.
"""

import sys
from pathlib import Path

from snn.cli import reproduction_parser, run_script

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "configs" / "paper" / "htru2"
METHODS = ("snn", "msra", "batchnorm", "layernorm", "weightnorm", "highway", "resnet",
           "naive_bayes", "decision_tree", "svm")
QUICK_GRID = {"*": "{model.depth: [2, 8], training.learning_rate: [0.1]}"}
QUICK_EPOCHS = 30


def reproduce(args):
    from snn.paper.htru2 import format_comparison, reproduce_htru2
    from snn.paper.presets import method_configs, network_overrides
    from snn.report import write_report

    configs = method_configs(FOLDER, args.methods)
    out_dir = args.out_dir / "quick" if args.quick else args.out_dir
    if args.quick:
        print("--quick: the paper's protocol (nested 10-fold cross-validation, smoothed "
              "epoch choice, tie rules) with a reduced grid per network: depth 2 or 8, "
              "learning rate 0.1, 256 units, rectangular layers, no dropout, 30 epochs")
    methods = [(path, (network_overrides(path, QUICK_GRID, QUICK_EPOCHS) if args.quick
                       else []) + args.overrides) for path in configs]
    comparison = reproduce_htru2(methods, out_dir, args.workers, executor=args.executor,
                                 address=args.address)
    print("\nTable 3 (HTRU2), ours beside the paper's:\n")
    print("\n".join(format_comparison(comparison)))
    print(f"\nEach fold's choice in {out_dir / 'results.csv'}; report: "
          f"{write_report(out_dir)}")
    return 0


if __name__ == "__main__":
    parser = reproduction_parser(__doc__, Path("runs") / "htru2-table3")
    parser.add_argument("--quick", action="store_true",
                        help="depth 2 or 8 at learning rate 0.1, 256 units, 30 epochs per "
                        "network (in OUT_DIR/quick)")
    parser.add_argument("--methods", default=",".join(METHODS),
                        help=f"comma-separated configs of configs/paper/htru2/ (default: "
                        f"{','.join(METHODS)}); must include snn")
    sys.exit(run_script(reproduce, parser.parse_args()))
