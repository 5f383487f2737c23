"""Networks per hour on the UCI medium preset: every run alone against stacked runs.

    SNN_DATA_DIR=../shared/data python benchmarks/stacking.py [--stack 12] [--workers 2]
        [--datasets 4] [--methods snn] [--rounds 1] [--out benchmarks/results]

The case is what `scripts/reproduce_uci.py --medium` trains for each network: the paper's
protocol (100 epochs, validation every epoch, smoothed epoch choice) with the medium grid
(every depth, learning rates 0.01 and 0.1, 256 units, rectangular layers: 12 settings per
network, 10 for ResNet) on the preset's data sets (by default its 4 sets of at most 1,000
rows). Each round runs the same sweeps twice, into fresh directories, through
`snn.sweeps.run_sweeps` with the same worker processes: once with every run alone
(`stack=1`, what the preset does by default) and once with up to `--stack` runs per
stacked model; the order alternates between rounds. It reports the wall time of each,
networks per hour and their ratio, and checks that both give every run the same test
accuracy. Output: a table on stdout and `stacking.json`.
"""

import argparse
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", type=int, default=12,
                        help="the most runs per stacked model (default: 12, a network's "
                        "whole medium grid on one set)")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--datasets", type=int, default=4, help="the preset's sets")
    parser.add_argument("--methods", default="snn",
                        help="comma-separated networks of configs/paper/uci (default: snn)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()

    from snn.cli import prepare_console
    from snn.util.console import import_keras_quietly

    prepare_console()
    import_keras_quietly()
    sweeps = planned_sweeps(args.methods, args.datasets)
    runs = sum(len(sweep.runs) for sweep, _ in sweeps)
    print(f"{runs} runs: {args.methods} on {', '.join(sorted({d for _, d in sweeps}))}; "
          f"{args.workers} workers", flush=True)
    seconds = {1: [], args.stack: []}
    accuracy = {}
    for round_ in range(args.rounds):
        for stack in ([1, args.stack] if round_ % 2 == 0 else [args.stack, 1]):
            took, accuracy[stack] = timed_sweeps(sweeps, stack, args.workers)
            seconds[stack].append(took)
            print(f"round {round_ + 1}, stack {stack}: {took:.0f} s, "
                  f"{runs / took * 3600:.0f} networks/hour", flush=True)
    alone, stacked = (statistics.median(seconds[k]) for k in (1, args.stack))
    differences = [abs(accuracy[1][key] - accuracy[args.stack][key]) for key in accuracy[1]]
    differing = {"/".join(key): [accuracy[1][key], accuracy[args.stack][key]]
                 for key in sorted(accuracy[1]) if accuracy[1][key] != accuracy[args.stack][key]}
    result = {"runs": runs, "methods": args.methods, "datasets": args.datasets,
              "workers": args.workers, "stack": args.stack,
              "seconds": {str(k): v for k, v in seconds.items()},
              "networks_per_hour": {"alone": runs / alone * 3600,
                                    "stacked": runs / stacked * 3600},
              "speed_up": alone / stacked,
              "largest_test_accuracy_difference": max(differences),
              # The last round's runs whose test accuracy differs: [alone, stacked].
              "differing_test_accuracies": differing,
              "backend": _backend()}
    print(f"alone {alone:.0f} s, stacked {stacked:.0f} s: {alone / stacked:.2f}x the "
          f"networks per hour; test accuracies differ in {len(differing)} of {runs} runs, "
          f"by at most {max(differences):.2g}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "stacking.json").write_text(json.dumps(result, indent=2) + "\n")


def _backend():
    import keras

    return keras.backend.backend()


def planned_sweeps(methods, count):
    """The medium preset's sweeps: [(Sweep, data set name)]."""
    from snn.paper.presets import method_configs, network_overrides
    from snn.paper.uci import default_root, select_datasets
    from snn.sweeps import plan_sweep

    preset = _reproduce_uci().PRESETS["medium"]
    configs = method_configs(ROOT / "configs" / "paper" / "uci", methods)
    datasets = select_datasets(default_root(), None, count, preset.max_rows)
    return [(plan_sweep(path, [*network_overrides(path, preset.grid, preset.epochs),
                               f"data.name={dataset}"]), dataset)
            for dataset in datasets for path in configs]


def _reproduce_uci():
    """scripts/reproduce_uci.py, whose presets this measures (scripts are not a package)."""
    spec = importlib.util.spec_from_file_location("reproduce_uci",
                                                  ROOT / "scripts" / "reproduce_uci.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed_sweeps(sweeps, stack, workers):
    """Run the sweeps into a fresh directory; (seconds, {(set, run): test accuracy})."""
    from snn.sweeps import run_sweeps

    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        results = run_sweeps([(sweep, Path(directory) / dataset / sweep.config.model.name)
                              for sweep, dataset in sweeps], workers, verbose=0, stack=stack)
        took = time.perf_counter() - started
    accuracy = {(str(result.sweep_dir.parent.name), name): outcome.metrics["test"]["accuracy"]
                for result in results for name, outcome in result.outcomes.items()
                if outcome.status == "completed"}
    return took, accuracy


if __name__ == "__main__":
    main()
