"""Does `training.precision: bfloat16` train as well as float32? Test metrics over seeds.

    SNN_DATA_DIR=../shared/data python benchmarks/bfloat16_accuracy.py [--seeds 5]
        [--backend tensorflow] [--out benchmarks/results]

For each case (configs/digits_snn.yaml as it is; configs/htru2_snn.yaml with a holdout
split, one tenth of its 10-fold run) and each seed, trains float32 and bfloat16 runs that
differ only in `training.precision` (same seed, so the same initial weights, splits and
batches), with `training.activation_statistics` on. It reports each precision's test
metrics (mean, standard deviation, range over seeds), whether bfloat16's mean lies within
float32's range over seeds (the issue's "within the spread of float32 runs"), Welch's t-test
between the two, and the hidden layers' activation mean and variance after the last epoch
(on up to 512 validation rows, the run's own probe), to see whether they stay near the
fixed point (0, 1). Output: a table on stdout and `bfloat16_accuracy.json`.
"""

import argparse
import csv
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (name, config, overrides, the metrics compared)
CASES = [
    ("digits", "configs/digits_snn.yaml", [], ["accuracy", "loss"]),
    ("htru2 (holdout)", "configs/htru2_snn.yaml",
     ["evaluation.protocol=holdout", "evaluation.folds=null"], ["auc", "accuracy", "loss"]),
]
PRECISIONS = ("float32", "bfloat16")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--backend", default="tensorflow",
                        choices=["tensorflow", "jax", "torch"])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()

    from snn.cli import prepare_console
    from snn.distributed import bfloat16_in_hardware
    from snn.util.console import import_keras_quietly

    prepare_console()
    import_keras_quietly()
    results = {"backend": args.backend, "seeds": args.seeds,
               "bfloat16_in_hardware": bfloat16_in_hardware(), "cases": {}}
    for name, config, overrides, metrics in CASES:
        runs = {precision: [] for precision in PRECISIONS}
        for seed in range(args.seeds):
            for precision in PRECISIONS:
                run = train_run(config, [*overrides, f"seed={seed}",
                                         f"training.precision={precision}",
                                         f"training.backend={args.backend}"])
                runs[precision].append(run)
                scores = ", ".join(f"{k} {run['test'][k]:.4f}" for k in metrics)
                print(f"{name}, seed {seed}, {precision}: {scores}, "
                      f"{run['epochs_run']} epochs", flush=True)
        results["cases"][name] = summary(runs, metrics)
        args.out.mkdir(parents=True, exist_ok=True)  # each case kept as soon as it is done
        (args.out / "bfloat16_accuracy.json").write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)


def train_run(config, overrides):
    """One run in a temporary directory: its test metrics, epochs and final activations."""
    from snn.config import load_config
    from snn.training import train

    with tempfile.TemporaryDirectory() as directory:
        run_dir = Path(directory) / "run"
        metrics = train(load_config(ROOT / config,
                                    [*overrides, "training.activation_statistics=true"]),
                        run_dir, verbose=0)
        return {"test": metrics["test"], "epochs_run": metrics["epochs_run"],
                "activations": last_epoch_statistics(run_dir / "activation_stats.csv")}


def last_epoch_statistics(path):
    """{"mean": [...], "variance": [...]}: each hidden layer's after the last epoch."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    last = max(int(row["label"]) for row in rows)
    rows = [row for row in rows if int(row["label"]) == last]
    return {key: [float(row[key]) for row in rows] for key in ("mean", "variance")}


def summary(runs, metrics):
    """Per precision: each metric's values and spread, the activation ranges; per metric:
    whether bfloat16's mean lies in float32's range, and Welch's t-test."""
    from scipy.stats import ttest_ind

    case = {}
    for precision, results in runs.items():
        case[precision] = {
            metric: {"values": (values := [run["test"][metric] for run in results]),
                     "mean": statistics.mean(values), "std": statistics.stdev(values),
                     "min": min(values), "max": max(values)}
            for metric in metrics}
        means = [m for run in results for m in run["activations"]["mean"]]
        variances = [v for run in results for v in run["activations"]["variance"]]
        case[precision]["activations"] = {"mean": [min(means), max(means)],
                                          "variance": [min(variances), max(variances)]}
    for metric in metrics:
        single, half = case["float32"][metric], case["bfloat16"][metric]
        test = ttest_ind(half["values"], single["values"], equal_var=False)
        case[metric] = {"bfloat16_mean_within_float32_range":
                        single["min"] <= half["mean"] <= single["max"],
                        "welch_p_value": float(test.pvalue)}
    return case


def print_table(results):
    print(f"\nbackend {results['backend']}, {results['seeds']} seeds; bfloat16 instructions "
          f"in this CPU: {results['bfloat16_in_hardware']}")
    print("| case | metric | float32 mean +/- std (range) | bfloat16 mean +/- std (range) | "
          "bfloat16 mean in float32 range | Welch p |\n|---|---|---|---|---|---|")
    for name, case in results["cases"].items():
        for metric in (key for key in case if key not in PRECISIONS):
            cells = [f"{s['mean']:.4f} +/- {s['std']:.4f} ({s['min']:.4f}-{s['max']:.4f})"
                     for s in (case[p][metric] for p in PRECISIONS)]
            print(f"| {name} | {metric} | {cells[0]} | {cells[1]} | "
                  f"{case[metric]['bfloat16_mean_within_float32_range']} | "
                  f"{case[metric]['welch_p_value']:.2f} |")
    print("\n| case | precision | hidden activation means | variances |\n|---|---|---|---|")
    for name, case in results["cases"].items():
        for precision in PRECISIONS:
            low_high = case[precision]["activations"]
            print(f"| {name} | {precision} | {low_high['mean'][0]:.2f} to "
                  f"{low_high['mean'][1]:.2f} | {low_high['variance'][0]:.2f} to "
                  f"{low_high['variance'][1]:.2f} |")


if __name__ == "__main__":
    main()
