"""Reproduce Table 1 of the SNN paper: seven FNNs ranked over the UCI-121 data sets.

    SNN_DATA_DIR=../shared/data python scripts/reproduce_uci.py --quick --datasets 20
    SNN_DATA_DIR=../shared/data python scripts/reproduce_uci.py          # the paper's grids

Each method's config in configs/paper/uci/ is a nested sweep over the paper's grid
(Tables A4-A10): in each fixed fold, every setting trains 100 epochs on 85% of the fold's
training rows, keeps the epoch with the best 10-epoch moving average of validation
accuracy on the other 15%, and the best setting by that accuracy (ties: more layers, then
a lower learning rate, then a higher dropout rate) is scored on the fold's test rows. No
test row informs any choice. The methods are ranked by that test accuracy; the rank table
with the paper's numbers beside ours is printed and written, with every run, to
--out-dir. Running the same command again resumes an interrupted reproduction.

Table A11 reports one fold per set; so do the configs (evaluation.folds: 1). `--set
evaluation.folds=4` scores all four. The model-selection split of Fernandez-Delgado et al.
is reachable only by naming it (`--set evaluation.protocol=uci121_leaky_selection`): its
validation half holds about half of every fold's test rows.

--quick is a smoke test of the pipeline, not the paper's comparison: each network gets a
4-point grid (depth 2 or 8, learning rate 0.01 or 0.1; the SNN with alpha dropout 0.05) and
30 epochs, on sets of at most 5,000 rows (svm and random_forest keep their small grids).
Without it every method runs the paper's full grid (927 network settings per set).
--datasets N takes N complete sets evenly spaced by size, or a comma-separated list of
names; --methods must include snn, the reference of the Wilcoxon tests.
"""

import sys
from pathlib import Path

from snn.cli import reproduction_parser, run_script

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("snn", "msra", "batchnorm", "layernorm", "weightnorm", "highway", "resnet")
QUICK = ["sweep.grid={model.depth: [2, 8], training.learning_rate: [0.01, 0.1]}",
         "training.epochs=30"]
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
    if args.quick:
        print("--quick: a smoke test of the pipeline (4 settings per network, 30 epochs), "
              "not the paper's comparison")
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
    parser.add_argument("--quick", action="store_true", help="a smoke test: a 4-point "
                        "grid per network, 30 epochs, sets of at most 5,000 rows (in "
                        "OUT_DIR/quick)")
    parser.add_argument("--datasets", help="N (that many sets, evenly spaced by size) or "
                        "a comma-separated list of set names (default: all complete sets)")
    parser.add_argument("--methods", default=",".join(METHODS),
                        help=f"comma-separated configs of configs/paper/uci/ "
                        f"(default: {','.join(METHODS)})")
    sys.exit(run_script(reproduce, parser.parse_args()))
