"""Where the time of a small-data training goes: how much of it is arithmetic.

    python benchmarks/overhead.py [--repeats 3] [--out benchmarks/results]

The case is a training of the UCI reproduction's quick preset on its smallest kind of data:
iris (scikit-learn's copy, 150 rows: 75 training, 37 validation, 38 test rows), an SNN of
depth 4 with 256 units, alpha dropout 0.05, batch 16 (5 steps an epoch), 30 epochs without
early stopping. Each round trains it in a fresh process and times, by wrapping the
trainer's own functions:
- `start`: the process's imports of snn and the backend (a sweep worker's hand-off);
- `prepare`: data, split, preprocessing and the model's build (`trainer.prepare`);
- `compile` and `audit`;
- `fit`: Keras' `fit`, of which `checkpoints` (the per-epoch checkpoint callback) and
  `validation` (Keras' per-epoch `evaluate`) are parts; the rest of `fit` is the training
  steps, the first epoch's tracing included;
- `evaluate_and_save`: the final evaluation of the splits and the saved model and files;
and the whole run's wall time. `arithmetic` is the training's floating-point work (6
FLOPs per weight per training example per epoch, forward and backward, plus 2 per weight
per validated example) at the machine's float32 matrix-multiply rate: what the run would
take if nothing but arithmetic cost time. Output: medians per part on stdout and in
`overhead.json`.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DEPTH, UNITS, EPOCHS, BATCH = 4, 256, 30, 16


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    from fresh import in_fresh_process
    from throughput import matmul_rates

    rounds = [in_fresh_process(timed_training, time.time()) for _ in range(args.repeats)]
    parts = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    ceiling = matmul_rates()["float32"]
    parts["arithmetic"] = training_flops() / (ceiling * 1e9)
    total = parts["total"]
    for key, seconds in parts.items():
        print(f"{key:>18}: {seconds:8.3f} s  {seconds / total:6.1%} of the run")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "overhead.json").write_text(json.dumps(
        {"seconds": parts, "rounds": rounds, "ceiling_gflops": ceiling}, indent=2) + "\n")


def training_flops(train_rows=75, validation_rows=37, inputs=4, classes=3):
    """FLOPs of the case's training: 6 per weight per training example and epoch, 2 per
    weight per validated example and epoch."""
    widths = [inputs] + [UNITS] * DEPTH + [classes]
    weights = sum(a * b for a, b in zip(widths, widths[1:]))
    return EPOCHS * weights * (6 * train_rows + 2 * validation_rows)


def timed_training(spawned_at):
    """Train the case in this (fresh) process; seconds per part."""
    import tempfile

    import keras

    from snn.config import parse_config
    from snn.training import checkpoints, trainer

    seconds = {}
    timed = [(trainer, "prepare"), (trainer, "compile_model"), (trainer, "audit_model"),
             (keras.Model, "fit"), (keras.Model, "evaluate"),
             (checkpoints.Checkpointing, "on_epoch_end"), (trainer, "finish_fold")]
    for owner, name in timed:
        setattr(owner, name, _timer(getattr(owner, name), name, seconds))
    config = parse_config({
        "name": "overhead", "seed": 0,
        "data": {"source": "sklearn", "name": "iris", "validation_fraction": 0.25,
                 "test_fraction": 0.25},
        "model": {"name": "snn_mlp", "depth": DEPTH, "units": UNITS, "dropout_rate": 0.05},
        "training": {"optimizer": "sgd", "learning_rate": 0.01, "batch_size": BATCH,
                     "epochs": EPOCHS, "early_stopping": None}})
    with tempfile.TemporaryDirectory() as directory:
        began = time.time()
        trainer.train(config, Path(directory) / "run", verbose=0)
        seconds["train"] = time.time() - began
    seconds["total"] = time.time() - spawned_at
    return {"start": began - spawned_at,
            "prepare": seconds.get("prepare", 0.0),
            "compile": seconds.get("compile_model", 0.0),
            "audit": seconds.get("audit_model", 0.0), "fit": seconds.get("fit", 0.0),
            "checkpoints": seconds.get("on_epoch_end", 0.0),
            "validation": seconds.get("evaluate", 0.0),
            "evaluate_and_save": seconds.get("finish_fold", 0.0),
            "total": seconds["total"]}


def _timer(function, name, seconds):
    """`function`, adding its wall time to seconds[name] (outermost calls only; for
    `evaluate`, only calls inside `fit`: the per-epoch validation)."""
    depth = [0]

    def timed(*args, **kwargs):
        depth[0] += 1
        started = time.time()
        try:
            return function(*args, **kwargs)
        finally:
            depth[0] -= 1
            counted = name != "evaluate" or seconds.get("fit running")
            if not depth[0] and counted:
                seconds[name] = seconds.get(name, 0.0) + time.time() - started

    if name != "fit":
        return timed

    def fit(*args, **kwargs):
        seconds["fit running"] = True
        try:
            return timed(*args, **kwargs)
        finally:
            seconds["fit running"] = False

    return fit


if __name__ == "__main__":
    main()
