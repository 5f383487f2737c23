"""Training throughput of the `snn` trainer against the same model written directly in Keras
(and in PyTorch, when it is installed), with the machine's matrix-multiply rate as ceiling.

    python benchmarks/throughput.py [--quick] [--repeats N] [--out benchmarks/results]

Every candidate trains the same network on the same synthetic data (N(0, 1) inputs, random
labels) for the same epochs, validating on 1,024 held-out rows after every epoch as the
trainer does. The candidates run interleaved (A B C A B C ...) after one warm-up run each,
so drifts in the machine's speed hit them alike; the report gives each one's median
samples/s, the achieved GFLOP/s (6 x multiply-accumulates per sample: forward, and the
backward pass's two products) and the ratio of the trainer to each reference. The trainer
runs with its defaults ("snn") and with each hot-path setting of `VARIANTS` (XLA; one step
per call instead of up to 16). Output: a table on stdout and `throughput.json`.

A rate is steady-state: each round trains a fresh model for E epochs and another for one,
and the rate is (E - 1) x rows / (t_E - t_1), which leaves out graph tracing and XLA
compilation (the same in both). The trainer's times are its own `train_seconds` (inside
`fit`, with its per-epoch checkpoints and validation); the references' are timed around
their loops.
"""

import argparse
import concurrent.futures
import functools
import importlib.util
import json
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

VALIDATION_ROWS = 1024
CLASSES = 10


def main():
    args = _parser().parse_args()
    from snn.util.console import import_keras_quietly, quiet_backend_logs

    import_keras_quietly()
    quiet_backend_logs()
    import keras

    cases = _cases(args.quick)
    ceiling = matmul_rates()
    print(f"matrix multiply, 2048 x 2048: float32 {ceiling['float32']:.0f} GFLOP/s"
          + (f", bfloat16 {ceiling['bfloat16']:.0f} GFLOP/s" if ceiling.get("bfloat16") else ""))
    results = []
    for case in cases:
        candidates = _candidates()
        rates = {name: [] for name in candidates}
        for repeat in range(args.repeats + 1):  # the first round warms up and is dropped
            for name, run in candidates.items():
                seconds = {}
                for epochs in (case["epochs"], 1):
                    seconds[epochs] = run(case, epochs=epochs)
                    keras.backend.clear_session()
                if repeat:
                    rates[name].append((case["epochs"] - 1) * case["rows"] /
                                       (seconds[case["epochs"]] - seconds[1]))
        flops = training_flops(case)
        medians = {name: statistics.median(values) for name, values in rates.items()}
        row = {**{k: v for k, v in case.items() if k != "epochs"}, "epochs": case["epochs"],
               "flops_per_sample": flops,
               "samples_per_second": medians,
               "gflops": {name: rate * flops / 1e9 for name, rate in medians.items()},
               "runs": rates,
               "ratio": {f"{ours}/{name}": medians[ours] / rate
                         for ours in VARIANTS for name, rate in medians.items()
                         if name not in VARIANTS}}
        results.append(row)
        print(_format_row(row))
    report = {"machine": _machine(), "ceiling_gflops": ceiling, "cases": results}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "throughput.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nWritten to {args.out / 'throughput.json'}")


def _parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="the 8 x 512 MLP at batch 256 only, fewer rows")
    parser.add_argument("--repeats", type=int, default=3,
                        help="measured rounds per case, after a warm-up round (default 3)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results",
                        help="directory of throughput.json")
    return parser


def _cases(quick):
    rows = 8192 if quick else 16384
    mlp = [{"model": "snn_mlp", "depth": 8, "units": units, "batch_size": batch,
            "rows": rows, "epochs": 3}
           for units, batch in ([(512, 256)] if quick else
                                [(512, 256), (512, 1024), (1024, 256), (1024, 1024)])]
    cnn = [{"model": "snn_cnn", "filters": [32, 64], "dense_units": [256], "batch_size": 256,
            "rows": rows // 2, "epochs": 2}]
    return mlp if quick else mlp + cnn


def _data(case):
    rng = np.random.default_rng(0)
    shape = (784,) if case["model"] == "snn_mlp" else (28, 28, 1)
    rows = case["rows"] + VALIDATION_ROWS
    x = rng.standard_normal((rows, *shape), dtype=np.float32)
    return x, rng.integers(0, CLASSES, rows)


# The trainer's settings of the hot path that are measured against its defaults.
VARIANTS = {"snn": {}, "snn+xla": {"jit_compile": True}, "snn-spe1": {"steps_per_execution": 1}}


def _candidates():
    candidates = {name: functools.partial(_snn_trainer, training=training)
                  for name, training in VARIANTS.items()}
    candidates["keras"] = _plain_keras
    if importlib.util.find_spec("torch") is None:
        return candidates
    return {**candidates, "pytorch": _pytorch}


def _snn_trainer(case, epochs, training):
    """The `snn` trainer end to end on the case's data, from an `.npz` file, with the
    `training` settings on top of the defaults."""
    from snn.config import parse_config
    from snn.training import train

    x, y = _data(case)
    fraction = VALIDATION_ROWS / len(x)
    model = {key: case[key] for key in ("depth", "units", "filters", "dense_units")
             if key in case}
    with tempfile.TemporaryDirectory() as directory:
        np.savez(Path(directory) / "data.npz", x=x, y=y)
        config = parse_config({
            "name": "throughput", "seed": 0,
            "data": {"source": "npz", "path": str(Path(directory) / "data.npz"),
                     "validation_fraction": fraction, "test_fraction": CLASSES / len(x),
                     "standardize": "none"},
            "model": {"name": case["model"], "dropout_rate": 0.05, **model},
            "training": {"optimizer": "sgd", "learning_rate": 0.01,
                         "batch_size": case["batch_size"], "epochs": epochs,
                         "early_stopping": None, "audit": "off", **training},
        })
        metrics = train(config, Path(directory) / "run", verbose=0)
    return metrics["train_seconds"]


def _plain_keras(case, epochs):
    """The same network as `snn_mlp` / `snn_cnn`, written with Keras layers only."""
    import keras

    x, y = _data(case)
    inputs = keras.Input(x.shape[1:])
    h = inputs
    dense = dict(activation="selu", kernel_initializer="lecun_uniform")
    if case["model"] == "snn_mlp":
        for _ in range(case["depth"]):
            h = keras.layers.AlphaDropout(0.05)(keras.layers.Dense(case["units"], **dense)(h))
    else:
        for channels in case["filters"]:
            h = keras.layers.Conv2D(channels, 3, padding="same", **dense)(h)
            h = keras.layers.MaxPooling2D(2, padding="same")(keras.layers.AlphaDropout(0.05)(h))
        h = keras.layers.Flatten()(h)
        for width in case["dense_units"]:
            h = keras.layers.AlphaDropout(0.05)(keras.layers.Dense(width, **dense)(h))
    model = keras.Model(inputs, keras.layers.Dense(CLASSES, activation="softmax")(h))
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    train, validation = slice(VALIDATION_ROWS, None), slice(None, VALIDATION_ROWS)
    started = time.perf_counter()
    model.fit(x[train], y[train], batch_size=case["batch_size"], epochs=epochs,
              validation_data=(x[validation], y[validation]), verbose=0)
    return time.perf_counter() - started


def _pytorch(case, epochs):
    """The same MLP in PyTorch (CNNs: skipped, returns NaN), with per-epoch validation, in
    a fresh process: PyTorch's OpenMP threads keep spinning after its steps and slowed the
    TensorFlow candidates by a third when both ran in one process."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(_pytorch_here, case, epochs).result()


def _pytorch_here(case, epochs):
    import torch

    if case["model"] != "snn_mlp":
        return float("nan")
    x, y = (torch.from_numpy(a) for a in _data(case))
    layers, width = [], x.shape[1]
    for _ in range(case["depth"]):
        linear = torch.nn.Linear(width, case["units"])
        torch.nn.init.kaiming_uniform_(linear.weight, nonlinearity="linear")  # LeCun uniform
        torch.nn.init.zeros_(linear.bias)
        layers += [linear, torch.nn.SELU(), torch.nn.AlphaDropout(0.05)]
        width = case["units"]
    model = torch.nn.Sequential(*layers, torch.nn.Linear(width, CLASSES))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_function = torch.nn.CrossEntropyLoss()
    x_train, y_train = x[VALIDATION_ROWS:], y[VALIDATION_ROWS:]
    started = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for rows in torch.randperm(len(x_train)).split(case["batch_size"]):
            optimizer.zero_grad()
            loss_function(model(x_train[rows]), y_train[rows]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            loss_function(model(x[:VALIDATION_ROWS]), y[:VALIDATION_ROWS])
    return time.perf_counter() - started


def training_flops(case):
    """FLOPs of one training example: 6 per weight of a dense layer (2 forward, 4 backward)
    and, for a convolution, 6 per weight and output position."""
    if case["model"] == "snn_mlp":
        widths = [784] + [case["units"]] * case["depth"] + [CLASSES]
        return 6 * sum(a * b for a, b in zip(widths, widths[1:]))
    flops, side, channels = 0, 28, 1
    for out_channels in case["filters"]:
        flops += 6 * 9 * channels * out_channels * side * side
        side, channels = -(-side // 2), out_channels
    widths = [side * side * channels] + case["dense_units"] + [CLASSES]
    return flops + 6 * sum(a * b for a, b in zip(widths, widths[1:]))


def matmul_rates(size=2048, repeats=5):
    """The best rate of a size x size matrix product, in GFLOP/s: NumPy in float32, and
    TensorFlow in bfloat16 where it is installed.

    Returns:
        {"float32": float, "bfloat16": float or None}.
    """
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((size, size), dtype=np.float32) for _ in range(2))
    rates = {"float32": _best_rate(lambda: a @ b, size, repeats), "bfloat16": None}
    try:
        import tensorflow as tf
    except ImportError:
        return rates
    a16, b16 = tf.cast(a, tf.bfloat16), tf.cast(b, tf.bfloat16)
    rates["bfloat16"] = _best_rate(lambda: tf.linalg.matmul(a16, b16).numpy(), size, repeats)
    return rates


def _best_rate(product, size, repeats):
    product()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        product()
        best = min(best, time.perf_counter() - started)
    return 2 * size ** 3 / best / 1e9


def _machine():
    import keras

    backend = keras.backend.backend()
    return {"platform": platform.platform(), "processor": platform.processor(),
            "cpu_count": os.cpu_count(), "python": platform.python_version(),
            "keras": keras.__version__, "backend": backend,
            "backend_version": getattr(sys.modules.get(backend), "__version__", None),
            "numpy": np.__version__}


def _format_row(row):
    name = (f"{row['model']} {row.get('depth', '')}x{row.get('units', '')}"
            if row["model"] == "snn_mlp" else f"{row['model']} {row['filters']}")
    rates = row["samples_per_second"]
    cells = ", ".join(f"{candidate} {rate:,.0f}/s ({row['gflops'][candidate]:.0f} GFLOP/s)"
                      for candidate, rate in rates.items())
    ratios = ", ".join(f"{pair} {ratio:.3f}" for pair, ratio in row["ratio"].items())
    return f"{name} batch {row['batch_size']}: {cells}; {ratios}"


if __name__ == "__main__":
    main()
