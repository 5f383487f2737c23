"""Reproduce Table 1 of the SNN paper: seven FNNs ranked over the UCI-121 data sets.

    SNN_DATA_DIR=../shared/data python scripts/reproduce_uci.py --quick --datasets 20
    SNN_DATA_DIR=../shared/data python scripts/reproduce_uci.py          # the paper's grids

Each method's config in configs/paper/uci/ is a sweep: its grid is trained on every data
set's model-selection split, the best settings by validation accuracy are trained on the
4 fixed folds, and the methods are ranked by that test accuracy. Prints the rank table
with the paper's numbers beside ours and writes it, with every run, to --out-dir; running
the same command again resumes an interrupted reproduction.

--quick uses a 4-point grid (depth 2 or 4, learning rate 0.01 or 0.1), at most 30 epochs
(patience 5) and sets of at most 5,000 rows; --datasets N takes N complete sets evenly
spaced by size (or a comma-separated list of names).
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("snn", "msra", "batchnorm", "layernorm", "weightnorm", "highway", "resnet")
QUICK = ["sweep.grid={model.depth: [2, 4], training.learning_rate: [0.01, 0.1]}",
         "training.epochs=30", "training.early_stopping.patience=5"]
QUICK_MAX_ROWS = 5000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a 4-point grid per method and sets of at most 5,000 rows")
    parser.add_argument("--datasets", help="N (that many sets, evenly spaced by size) or "
                        "a comma-separated list of set names (default: all complete sets)")
    parser.add_argument("--methods", default=",".join(METHODS),
                        help=f"comma-separated configs of configs/paper/uci/ "
                        f"(default: {','.join(METHODS)})")
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="default: runs/uci-quick or runs/uci")
    parser.add_argument("--workers", type=int, default=None,
                        help="parallel worker processes (default: one per CPU core)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override applied to every sweep")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    args = parser.parse_args()

    from snn.cli import prepare_console, run_reporting_errors

    prepare_console()
    return run_reporting_errors(lambda: _reproduce(args), args.debug)


def _reproduce(args):
    from snn.errors import ConfigError
    from snn.paper.uci import default_root, format_rank_table, reproduce_uci, select_datasets

    configs = [ROOT / "configs" / "paper" / "uci" / f"{name}.yaml"
               for name in args.methods.split(",")]
    for path in configs:
        if not path.is_file():
            raise ConfigError(f"--methods: no config {path}; expected names from "
                              f"{', '.join(METHODS)}")
    count, names = None, None
    if args.datasets and args.datasets.isdigit():
        count = int(args.datasets)
    elif args.datasets:
        names = args.datasets.split(",")
    datasets = select_datasets(default_root(), names, count,
                               QUICK_MAX_ROWS if args.quick else None)
    out_dir = args.out_dir or Path("runs") / ("uci-quick" if args.quick else "uci")
    print(f"{len(datasets)} data sets x {len(configs)} methods into {out_dir}: "
          f"{', '.join(datasets)}", flush=True)
    overrides = (QUICK if args.quick else []) + args.overrides
    result = reproduce_uci(configs, datasets, out_dir, overrides, args.workers)
    for dataset, reason in result["skipped"].items():
        print(f"skipped {dataset}: {reason}")
    print()
    print(format_rank_table(result["comparison"], len(result["datasets"])))
    print(f"\nPer data set results in {out_dir / 'results.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
