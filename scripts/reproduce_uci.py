"""Reproduce Table 1 of the SNN paper: seven FNNs ranked over the UCI-121 data sets.

    SNN_DATA_DIR=../shared/data python scripts/reproduce_uci.py --quick
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
30 epochs, on 4 sets of at most 5,000 rows. --medium keeps the paper's protocol and every
depth of its grids but cuts the rest (learning rate 0.01 or 0.1, 256 units, rectangular
layers, dropout fixed per network: 12 settings per network, 10 for ResNet) and takes 4
sets of at most 1,000 rows. The reference methods keep their small grids under both.
Without either, every method runs the paper's full grid (927 network settings per set).
--datasets N takes N complete sets evenly spaced by size, or a comma-separated list of
names. By default the paper's seven networks are ranked, and apart from them the SNN
against SVM, random forest and gradient boosting (our small grids, configs/paper/uci/);
--methods chooses among them and must include snn, the reference of the Wilcoxon tests.
--datasets replaces a preset's list of sets. --stack N trains up to N runs of a set that
differ only in network settings or learning rate as one stacked model: every run reaches
the result it reaches alone, sooner (benchmarks/RESULTS.md).
"""

import dataclasses
import sys
from pathlib import Path

from snn.cli import reproduction_parser, run_script

ROOT = Path(__file__).resolve().parents[1]
NETWORKS = ("snn", "msra", "batchnorm", "layernorm", "weightnorm", "highway", "resnet")
REFERENCES = ("svm", "random_forest", "gradient_boosting")  # ranked apart from the networks
METHODS = NETWORKS + REFERENCES
DEPTHS = "[2, 3, 4, 8, 16, 32]"
RESNET_BLOCKS = "[2, 3, 4, 8, 16]"  # Table A10


@dataclasses.dataclass(frozen=True)
class Preset:
    """A reduced run: what it cuts from the paper's protocol, and where it writes."""

    banner: str
    grid: dict  # config stem -> sweep.grid override ("*": every other network)
    epochs: int | None  # None keeps the paper's 100
    datasets: int | None  # sets evenly spread by size, unless --datasets says otherwise
    max_rows: int | None


PRESETS = {
    "quick": Preset(
        "--quick: a smoke test of the pipeline (4 sets, 4 settings per network, 30 "
        "epochs), not the paper's comparison",
        {"*": "{model.depth: [2, 8], training.learning_rate: [0.01, 0.1]}"},
        epochs=30, datasets=4, max_rows=5000),
    "medium": Preset(
        "--medium: the paper's protocol (nested selection, 100 epochs, smoothed epoch "
        "choice, tie rules) on 4 sets of at most 1,000 rows, with a reduced grid: every "
        "depth, learning rates 0.01 and 0.1, 256 units, rectangular layers, each "
        "network's dropout fixed (SNN: alpha dropout 0.05; the others none)",
        {"*": f"{{model.depth: {DEPTHS}, training.learning_rate: [0.01, 0.1]}}",
         "resnet": f"{{model.depth: {RESNET_BLOCKS}, training.learning_rate: [0.01, 0.1]}}"},
        epochs=None, datasets=4, max_rows=1000),
}


def reproduce(args):
    from snn.errors import ConfigError
    from snn.paper.presets import method_configs, network_overrides
    from snn.paper.uci import default_root, format_comparison, reproduce_uci, select_datasets
    from snn.report import write_report

    configs = method_configs(ROOT / "configs" / "paper" / "uci", args.methods)
    count, names = None, None
    if args.datasets and args.datasets.isdigit():
        count = int(args.datasets)
        if count < 1:
            raise ConfigError(f"--datasets: got {count}; expected a number of sets >= 1 or "
                              "comma-separated set names")
    elif args.datasets:
        names = args.datasets.split(",")
    preset = PRESETS.get(args.preset)
    if preset and count is None and names is None:
        count = preset.datasets
    datasets = select_datasets(default_root(), names, count, preset and preset.max_rows)
    out_dir = args.out_dir / args.preset if preset else args.out_dir
    if preset:
        print(preset.banner)
    print(f"{len(datasets)} data sets x {len(configs)} methods into {out_dir}: "
          f"{', '.join(datasets)}", flush=True)
    methods = [(path, (network_overrides(path, preset.grid, preset.epochs) if preset else [])
                + args.overrides) for path in configs]
    result = reproduce_uci(methods, datasets, out_dir, args.workers,
                           executor=args.executor, address=args.address, stack=args.stack)
    for dataset, reason in result["skipped"].items():
        print(f"skipped {dataset}: {reason}")
    print()
    print("\n".join(format_comparison(result["tables"], per_set=False)))
    print(f"\nEvery set beside Table A11 in {out_dir / 'comparison.md'}; each method's "
          f"choices in {out_dir / 'results.csv'}; report: {write_report(out_dir)}")
    return 0


if __name__ == "__main__":
    parser = reproduction_parser(__doc__, Path("runs") / "uci-table1", stacking=True)
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", dest="preset", action="store_const", const="quick",
                       help="a smoke test: a 4-point grid per network, 30 epochs, 4 sets "
                       "of at most 5,000 rows (in OUT_DIR/quick)")
    sizes.add_argument("--medium", dest="preset", action="store_const", const="medium",
                       help="the paper's protocol with a reduced grid (every depth, two "
                       "learning rates) on 4 sets of at most 1,000 rows (in "
                       "OUT_DIR/medium)")
    parser.add_argument("--datasets", help="N (that many sets, evenly spaced by size) or "
                        "a comma-separated list of set names (default: all complete sets)")
    parser.add_argument("--methods", default=",".join(METHODS),
                        help=f"comma-separated configs of configs/paper/uci/ "
                        f"(default: {','.join(METHODS)}); must include snn")
    sys.exit(run_script(reproduce, parser.parse_args()))
