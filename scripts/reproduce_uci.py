"""Reproduce Table 1 of the SNN paper: seven FNNs ranked over the UCI-121 data sets.

    SNN_DATA_DIR=../shared/data python scripts/reproduce_uci.py --quick --datasets 20
    SNN_DATA_DIR=../shared/data python scripts/reproduce_uci.py          # the paper's grids

Each method's config in configs/paper/uci/ is a sweep: its grid is trained on every data
set's model-selection split, the best settings by validation accuracy are trained on the
4 fixed folds, and the methods are ranked by that test accuracy. Prints the rank table
with the paper's numbers beside ours and writes it, with every run, to --out-dir; running
the same command again resumes an interrupted reproduction.

--quick gives the networks a 4-point grid (depth 2 or 4, learning rate 0.01 or 0.1) and at
most 30 epochs (patience 5), and takes sets of at most 5,000 rows (svm and random_forest
keep their small grids); without it every method runs the paper's full grid (days to
weeks). --datasets N takes N complete sets evenly spaced by size, or a comma-separated
list of names; --methods must include snn, the reference of the Wilcoxon tests.
"""

import sys
from pathlib import Path

from snn.cli import reproduction_parser, run_script

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("snn", "msra", "batchnorm", "layernorm", "weightnorm", "highway", "resnet")
QUICK = ["sweep.grid={model.depth: [2, 4], training.learning_rate: [0.01, 0.1]}",
         "training.epochs=30", "training.early_stopping.patience=5"]
QUICK_MAX_ROWS = 5000


def reproduce(args):
    from snn.errors import ConfigError
    from snn.paper.uci import default_root, format_rank_table, reproduce_uci, select_datasets

    folder = ROOT / "configs" / "paper" / "uci"
    configs = [folder / f"{name}.yaml" for name in args.methods.split(",")]
    known = sorted(path.stem for path in folder.glob("*.yaml"))
    for path in configs:
        if not path.is_file():
            raise ConfigError(f"--methods: no config {path}; expected names of {folder}: "
                              f"{', '.join(known)}")
    count, names = None, None
    if args.datasets and args.datasets.isdigit():
        count = int(args.datasets)
    elif args.datasets:
        names = args.datasets.split(",")
    datasets = select_datasets(default_root(), names, count,
                               QUICK_MAX_ROWS if args.quick else None)
    out_dir = args.out_dir / "quick" if args.quick else args.out_dir
    print(f"{len(datasets)} data sets x {len(configs)} methods into {out_dir}: "
          f"{', '.join(datasets)}", flush=True)
    methods = [(path, (QUICK if args.quick and _is_network(path) else []) + args.overrides)
               for path in configs]
    result = reproduce_uci(methods, datasets, out_dir, args.workers)
    for dataset, reason in result["skipped"].items():
        print(f"skipped {dataset}: {reason}")
    print()
    print(format_rank_table(result["comparison"], len(result["datasets"])))
    print(f"\nPer data set results in {out_dir / 'results.csv'}")
    return 0


def _is_network(path):
    """The quick grid (depth, learning rate) is for the networks, not svm/random_forest."""
    from snn.config import load_config
    from snn.models import model_kind

    return model_kind(load_config(path).model.name) != "reference"


if __name__ == "__main__":
    parser = reproduction_parser(__doc__, Path("runs") / "uci-table1")
    parser.add_argument("--quick", action="store_true", help="a 4-point grid per method, "
                        "at most 30 epochs, sets of at most 5,000 rows (in OUT_DIR/quick)")
    parser.add_argument("--datasets", help="N (that many sets, evenly spaced by size) or "
                        "a comma-separated list of set names (default: all complete sets)")
    parser.add_argument("--methods", default=",".join(METHODS),
                        help=f"comma-separated configs of configs/paper/uci/ "
                        f"(default: {','.join(METHODS)})")
    sys.exit(run_script(reproduce, parser.parse_args()))
