"""Project the time of a full paper reproduction (UCI-121, HTRU2 or Tox21) from a random
sample of its trainings.

    SNN_DATA_DIR=../shared/data python benchmarks/projection.py uci [--samples 24] [--seed 0]
    SNN_DATA_DIR=../shared/data python benchmarks/projection.py htru2 --samples 12
    SNN_DATA_DIR=../shared/data python benchmarks/projection.py tox21 --samples 12

A full run (`scripts/reproduce_<table>.py` without a preset) trains every setting of the
seven networks' grids (configs/paper/<table>/) once per fold: on every complete UCI-121 set
(one fold each), on HTRU2's 10 folds, or on Tox21's one split (each seed a setting). It is
far too long to time whole, so this draws `--samples` trainings at random from that
population and times each with the real trainer, in this process, for 1 and for `--epochs`
epochs. The data sets are split into strata by size (UCI: four, by quartile of rows, since
the few large sets dominate the cost; HTRU2: its one set); each stratum gets an equal share
of the samples, each sample a set of its stratum uniformly, a method in proportion to its
grid's size, then one of its settings (Tox21: its one stratum and set). An HTRU2 sample
trains one holdout split with a fold's shares (80% training, 10% validation, 10% test) in
place of the 10 folds. The difference of the two times, per extra epoch, is its time per
epoch; the 1-epoch time less one epoch is its fixed cost (data, model, tracing). A sampled
training's projected time is its fixed cost plus 100 epochs (the paper's budget); each
stratum's mean times its number of trainings, summed, is the estimate, with a bootstrap 90%
interval (resampling within strata). Output: a table on
stdout and `<table>_projection.json` in --out.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
NETWORKS = ("snn", "msra", "batchnorm", "layernorm", "weightnorm", "highway", "resnet")
EPOCHS = 100  # Appendix A4.1, A4.4: learning curves of 100 epochs
HTRU2_FOLD = ["evaluation={protocol: holdout}", "data.validation_fraction=0.1",
              "data.test_fraction=0.1"]  # one fold's shares of the 10-fold protocol


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table", choices=("uci", "htru2", "tox21"),
                        help="which reproduction")
    parser.add_argument("--samples", type=int, default=24,
                        help="trainings to time (a multiple of the strata: 4 for uci)")
    parser.add_argument("--epochs", type=int, default=6,
                        help="the longer of the two timed trainings, in epochs")
    parser.add_argument("--seed", type=int, default=0, help="which trainings are drawn")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results",
                        help="directory of <table>_projection.json")
    args = parser.parse_args()

    from snn.sweeps import plan_sweep
    from snn.util.console import import_keras_quietly, quiet_backend_logs

    import_keras_quietly()
    quiet_backend_logs()

    strata, per_sample, folds = _population(args.table)
    configs = [ROOT / "configs" / "paper" / args.table / f"{name}.yaml" for name in NETWORKS]
    sizes = [len(plan_sweep(path).runs) for path in configs]
    per_set = sum(sizes) * folds  # trainings per set
    trainings = sum(len(stratum) for stratum in strata) * per_set
    rng = np.random.default_rng(args.seed)
    samples = []
    for number in range(args.samples):
        stratum = number % len(strata)
        dataset = str(rng.choice(strata[stratum]))
        method = rng.choice(len(configs), p=np.array(sizes) / sum(sizes))
        run = plan_sweep(configs[method], per_sample(dataset)).runs[rng.integers(sizes[method])]
        (one, diverged), (more, _) = (_timed(run.config, epochs) for epochs in (1, args.epochs))
        per_epoch = 0.0 if diverged else max((more - one) / (args.epochs - 1), 0.0)
        # A training whose loss diverges stops there, in the full run too.
        sample = {"stratum": stratum, "dataset": dataset, "method": NETWORKS[method],
                  "run": run.name,
                  "diverged": diverged, "fixed_seconds": round(one - per_epoch, 2),
                  "epoch_seconds": round(per_epoch, 3),
                  "projected_seconds": round(one - per_epoch + EPOCHS * per_epoch, 1)}
        samples.append(sample)
        print(f"[{number + 1}/{args.samples}] {dataset} {NETWORKS[method]} {run.name}: "
              f"{sample['fixed_seconds']} s + {EPOCHS} x {sample['epoch_seconds']} s",
              flush=True)
    projected = [np.array([s["projected_seconds"] for s in samples if s["stratum"] == k])
                 for k in range(len(strata))]
    total = sum(len(strata[k]) * per_set * projected[k].mean() for k in range(len(strata)))
    totals = sum(len(strata[k]) * per_set *
                 rng.choice(projected[k], (10_000, len(projected[k]))).mean(axis=1)
                 for k in range(len(strata)))
    low, high = np.percentile(totals, [5, 95]) / 3600
    sets = sum(len(stratum) for stratum in strata)
    summary = {"trainings": trainings, "sets": sets, "folds": folds,
               "settings_per_set": sum(sizes), "cpu_cores": os.cpu_count(),
               "strata_rows": [f"{s[0]}..{s[-1]}" for s in strata],
               "hours": round(total / 3600, 1),
               "hours_90": [round(low, 1), round(high, 1)], "samples": samples}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.table}_projection.json").write_text(json.dumps(summary, indent=2) +
                                                           "\n")
    print(f"\n{trainings:,} trainings ({sets} set(s) x {sum(sizes)} settings x "
          f"{folds} fold(s)); mean {total / trainings:.1f} s each, one at a time on "
          f"{os.cpu_count()} cores: {summary['hours']:,} hours (90% interval "
          f"{summary['hours_90'][0]:,} to {summary['hours_90'][1]:,})")


def _population(table):
    """(strata: lists of data set names, a sample's overrides for a set, folds per set)."""
    if table == "htru2":
        return [["htru2"]], lambda dataset: HTRU2_FOLD, 10
    if table == "tox21":
        return [["tox21"]], lambda dataset: [], 1
    from snn.paper.uci import default_root, select_datasets
    from snn.sweeps import plan_sweep

    datasets = select_datasets(default_root())  # smallest first
    folds = plan_sweep(ROOT / "configs" / "paper" / "uci" / "snn.yaml").config.evaluation.folds
    return (np.array_split(np.array(datasets), 4), lambda dataset: [f"data.name={dataset}"],
            folds or 4)


def _timed(config, epochs):
    """(wall seconds of `snn.training.train` on `config` cut to `epochs`, whether the
    loss diverged and stopped it)."""
    import dataclasses

    import keras

    from snn.errors import TrainingError
    from snn.training import train

    config = dataclasses.replace(config, training=dataclasses.replace(config.training,
                                                                       epochs=epochs))
    keras.backend.clear_session()
    with tempfile.TemporaryDirectory() as run_dir:
        started = time.perf_counter()
        try:
            train(config, Path(run_dir) / "run", verbose=0)
        except TrainingError:
            return time.perf_counter() - started, True
        return time.perf_counter() - started, False


if __name__ == "__main__":
    main()
