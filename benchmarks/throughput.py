"""Training throughput of the `snn` trainer against the same model written directly in Keras
and in PyTorch, on each Keras backend and precision, with the machine's matrix-multiply
rate as ceiling.

    python benchmarks/throughput.py [--quick] [--repeats N] [--out benchmarks/results]
        [--cases NAME ...] [--backends tensorflow jax] [--precisions float32 bfloat16]
        [--variants]

Every candidate trains the same network on the same synthetic data (N(0, 1) inputs, random
labels) for the same epochs, validating on 1,024 held-out rows after every epoch as the
trainer does. Candidates: the trainer (`snn`) and plain Keras (`keras`) on each of
`--backends` in each of `--precisions`, and a hand-written PyTorch loop (float32, and
bfloat16 autocast when bfloat16 is asked for); with `--variants`, the trainer's hot-path
settings of `VARIANTS` too. Each run happens in a fresh process with its backend set, so
that no backend's threads slow another's (PyTorch's idle OpenMP threads cut TensorFlow's
rate by a third when both ran in one process). The candidates run interleaved (A B C A B
C ...) after one warm-up round, so drifts in the machine's speed hit them alike.

Two rates per candidate, medians over the rounds:
- steady state: each round trains a fresh model for E epochs and another for one, and the
  rate is (E - 1) x rows / (t_E - t_1), which leaves out model building, graph tracing and
  XLA compilation (the same in both). The trainer's times are its own `train_seconds`
  (inside `fit`, with its per-epoch checkpoints and validation); the others' are timed
  around their loops.
- end to end, as a user sees it: E x rows over the E-epoch run's time, first epoch's
  tracing included (the trainer's `samples_per_second` in `metrics.json`).
Also reported: the achieved GFLOP/s (6 x multiply-accumulates per sample: forward, and the
backward pass's two products), its share of the float32 matrix-multiply ceiling, and each
candidate's ratio to PyTorch float32. Output: a table on stdout and `throughput.json`.
"""

import argparse
import importlib.util
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from fresh import in_fresh_process  # noqa: E402

VALIDATION_ROWS = 1024
CLASSES = 10
REFERENCE = "pytorch"  # ratios are taken to PyTorch in float32

# The trainer's settings of the hot path, measured against its defaults with --variants.
VARIANTS = {"xla": {"jit_compile": True}, "spe1": {"steps_per_execution": 1}}


def main():
    args = _parser().parse_args()
    cases = _cases(args.cases)
    candidates = _candidates(args.backends, args.precisions, args.variants)
    ceiling = matmul_rates()
    print(f"matrix multiply, 2048 x 2048: float32 {ceiling['float32']:.0f} GFLOP/s"
          + (f", bfloat16 {ceiling['bfloat16']:.0f} GFLOP/s" if ceiling.get("bfloat16") else ""))
    results = [_measure(case, candidates, args.repeats, ceiling) for case in cases]
    report = {"machine": _machine(), "ceiling_gflops": ceiling, "cases": results}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "throughput.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nWritten to {args.out / 'throughput.json'}")


def _parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_const", dest="cases",
                        const=["mlp-8x512-batch256"], help="the 8 x 512 MLP at batch 256 only")
    parser.add_argument("--cases", nargs="+", choices=[
        "mlp-8x512-batch256", "mlp-8x512-batch1024", "mlp-8x1024-batch256",
        "mlp-8x1024-batch1024", "cnn-32-64"], help="the cases to run (default: all)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="measured rounds per case, after a warm-up round (default 3)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results",
                        help="directory of throughput.json")
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax"],
                        help="Keras backends of the trainer and plain Keras (installed ones "
                             "only are run; default: tensorflow jax)")
    parser.add_argument("--precisions", nargs="+", default=["float32"],
                        choices=["float32", "bfloat16"], help="default: float32")
    parser.add_argument("--variants", action="store_true",
                        help="also the trainer's hot-path settings (XLA, one step per call)")
    return parser


def _cases(names):
    """The cases named, or all: {name: case}."""
    cases = {f"mlp-8x{units}-batch{batch}": {
        "model": "snn_mlp", "depth": 8, "units": units, "batch_size": batch, "rows": 16384,
        "epochs": 4} for units, batch in ((512, 256), (512, 1024), (1024, 256), (1024, 1024))}
    cases["cnn-32-64"] = {"model": "snn_cnn", "filters": [32, 64], "dense_units": [256],
                          "batch_size": 256, "rows": 8192, "epochs": 2}
    return [cases[name] for name in names] if names else list(cases.values())


def _candidates(backends, precisions, variants):
    """{name: (program, backend, precision, trainer settings)} of the installed packages."""
    candidates = {}
    for backend in [name for name in backends if importlib.util.find_spec(name)]:
        for precision in precisions:
            suffix = f"[{backend}{', bfloat16' if precision == 'bfloat16' else ''}]"
            candidates[f"snn{suffix}"] = ("snn", backend, precision, {})
            if variants:
                for variant, training in VARIANTS.items():
                    candidates[f"snn+{variant}{suffix}"] = ("snn", backend, precision, training)
            candidates[f"keras{suffix}"] = ("keras", backend, precision, {})
    if importlib.util.find_spec("torch"):
        for precision in precisions:
            name = REFERENCE if precision == "float32" else f"{REFERENCE}[bfloat16]"
            candidates[name] = ("pytorch", "torch", precision, {})
    return candidates


def _measure(case, candidates, repeats, ceiling, warm_up=True):
    """Interleaved rounds of every candidate on one case: the report's row.

    Args:
        case: dict, one of `_cases`.
        candidates: dict from `_candidates`.
        repeats: int >= 1, measured rounds.
        ceiling: `matmul_rates()`.
        warm_up: whether a first round runs and is dropped (off only where the numbers
            do not matter: the GPU check's CPU test).
    """
    steady = {name: [] for name in candidates}
    end_to_end = {name: [] for name in candidates}
    for repeat in range(1 - warm_up, repeats + 1):
        for name, candidate in candidates.items():
            long_run = run_candidate(candidate, case, case["epochs"])
            short_run = run_candidate(candidate, case, 1)
            if repeat:
                extra = long_run["fit_seconds"] - short_run["fit_seconds"]
                # Timing noise can exceed the extra epochs' time on tiny cases.
                steady[name].append((case["epochs"] - 1) * case["rows"] / extra
                                    if extra > 0 else float("nan"))
                end_to_end[name].append(case["epochs"] * case["rows"] /
                                        long_run["total_seconds"])
    flops = training_flops(case)
    medians = {name: statistics.median(values) for name, values in steady.items()}
    row = {**case, "flops_per_sample": flops,
           "samples_per_second": medians,
           "end_to_end_samples_per_second": {name: statistics.median(values)
                                             for name, values in end_to_end.items()},
           "gflops": {name: rate * flops / 1e9 for name, rate in medians.items()},
           "share_of_float32_ceiling": {name: rate * flops / 1e9 / ceiling["float32"]
                                        for name, rate in medians.items()},
           "runs": steady, "end_to_end_runs": end_to_end}
    if REFERENCE in medians:
        row["ratio_to_pytorch"] = {name: rate / medians[REFERENCE]
                                   for name, rate in medians.items()}
        reference = row["end_to_end_samples_per_second"][REFERENCE]
        row["end_to_end_ratio_to_pytorch"] = {
            name: rate / reference for name, rate in row["end_to_end_samples_per_second"].items()}
    print(_format_row(row))
    return row


def run_candidate(candidate, case, epochs):
    """One training run in a fresh process with the candidate's backend.

    Returns:
        {"fit_seconds": the training loop's time, "total_seconds": the time a user's rate
        is taken over: for the trainer its `train_seconds` (Keras' `fit`, the first
        epoch's tracing included, as `samples_per_second` in metrics.json), for plain
        Keras and PyTorch the model's building and compiling too}.
    """
    program, backend, precision, training = candidate
    return in_fresh_process(PROGRAMS[program], case, epochs, precision, training,
                            initializer=_use_backend, initargs=(backend,))


def _use_backend(backend):
    if backend != "torch":
        os.environ["KERAS_BACKEND"] = backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _data(case):
    rng = np.random.default_rng(0)
    shape = (784,) if case["model"] == "snn_mlp" else (28, 28, 1)
    rows = case["rows"] + VALIDATION_ROWS
    x = rng.standard_normal((rows, *shape), dtype=np.float32)
    return x, rng.integers(0, CLASSES, rows)


def _snn_trainer(case, epochs, precision, training):
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
                         "early_stopping": None, "audit": "off", "precision": precision,
                         **training},
        })
        metrics = train(config, Path(directory) / "run", verbose=0)
    rows = len(x) - VALIDATION_ROWS - CLASSES
    return {"fit_seconds": metrics["train_seconds"],
            "total_seconds": epochs * rows / metrics["samples_per_second"]}


def _plain_keras(case, epochs, precision, training):
    """The case's network in Keras layers only (`keras_layers_model`), trained by `fit`."""
    import keras

    x, y = _data(case)
    started = time.perf_counter()
    if precision == "bfloat16":
        keras.config.set_dtype_policy("mixed_bfloat16")
    model = keras_layers_model(case, x.shape[1:])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], steps_per_execution=16)
    train, validation = slice(VALIDATION_ROWS, None), slice(None, VALIDATION_ROWS)
    fit_started = time.perf_counter()
    model.fit(x[train], y[train], batch_size=case["batch_size"], epochs=epochs,
              validation_data=(x[validation], y[validation]), verbose=0)
    finished = time.perf_counter()
    return {"fit_seconds": finished - fit_started, "total_seconds": finished - started}


def keras_layers_model(case, input_shape):
    """The same network as `snn_mlp` / `snn_cnn`, written with Keras layers only: Dense or
    Conv2D with `activation="selu"`, then `keras.layers.AlphaDropout` 0.05, in the current
    dtype policy, with a float32 softmax head.

    Args:
        case: one of `_cases`' dicts.
        input_shape: tuple of ints, one example's shape.

    Returns:
        keras.Model, not compiled.
    """
    import keras

    inputs = keras.Input(input_shape)
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
    outputs = keras.layers.Dense(CLASSES, activation="softmax", dtype="float32")(h)
    return keras.Model(inputs, outputs)


def _pytorch(case, epochs, precision, training):
    """The same MLP in PyTorch (CNNs: skipped, NaN), with per-epoch validation, on the GPU
    when CUDA is available; bfloat16 through `torch.autocast`."""
    import torch

    if case["model"] != "snn_mlp":
        return {"fit_seconds": float("nan"), "total_seconds": float("nan")}
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x, y = (torch.from_numpy(a).to(device) for a in _data(case))
    started = time.perf_counter()
    layers, width = [], x.shape[1]
    for _ in range(case["depth"]):
        linear = torch.nn.Linear(width, case["units"])
        torch.nn.init.kaiming_uniform_(linear.weight, nonlinearity="linear")  # LeCun uniform
        torch.nn.init.zeros_(linear.bias)
        layers += [linear, torch.nn.SELU(), torch.nn.AlphaDropout(0.05)]
        width = case["units"]
    model = torch.nn.Sequential(*layers, torch.nn.Linear(width, CLASSES)).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_function = torch.nn.CrossEntropyLoss()
    x_train, y_train = x[VALIDATION_ROWS:], y[VALIDATION_ROWS:]
    autocast = torch.autocast(device, dtype=torch.bfloat16, enabled=precision == "bfloat16")
    fit_started = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for rows in torch.randperm(len(x_train), device=device).split(case["batch_size"]):
            optimizer.zero_grad()
            with autocast:
                loss = loss_function(model(x_train[rows]), y_train[rows])
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad(), autocast:
            loss_function(model(x[:VALIDATION_ROWS]), y[:VALIDATION_ROWS]).item()
    finished = time.perf_counter()  # .item() waited for the GPU's queue
    return {"fit_seconds": finished - fit_started, "total_seconds": finished - started}


PROGRAMS = {"snn": _snn_trainer, "keras": _plain_keras, "pytorch": _pytorch}


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
    """The best rate of a size x size matrix product, in GFLOP/s: NumPy in float32, and in
    bfloat16 TensorFlow's, or JAX's where TensorFlow is not installed (a GPU machine).

    Returns:
        {"float32": float, "bfloat16": float or None}.
    """
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((size, size), dtype=np.float32) for _ in range(2))
    rates = {"float32": _best_rate(lambda: a @ b, size, repeats), "bfloat16": None}
    if importlib.util.find_spec("tensorflow"):
        import tensorflow as tf

        a16, b16 = tf.cast(a, tf.bfloat16), tf.cast(b, tf.bfloat16)
        rates["bfloat16"] = _best_rate(lambda: tf.linalg.matmul(a16, b16).numpy(), size,
                                       repeats)
    elif importlib.util.find_spec("jax"):
        import jax.numpy as jnp

        a16, b16 = jnp.asarray(a, jnp.bfloat16), jnp.asarray(b, jnp.bfloat16)
        rates["bfloat16"] = _best_rate(lambda: (a16 @ b16).block_until_ready(), size,
                                       repeats)
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
    from snn.distributed.devices import cpu_flags

    flags = cpu_flags() or set()
    versions = {name: _version(name) for name in ("keras", "tensorflow", "jax", "torch")}
    return {"platform": platform.platform(), "processor": _cpu_model(),
            "cpu_count": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, **versions,
            "cpu_flags": sorted(flags & {"avx2", "fma", "avx512f", "avx512_bf16",
                                         "amx_bf16", "amx_tile"})}


def _cpu_model():
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.is_file() else []
    names = [line.partition(":")[2].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.processor()


def _version(package):
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _format_row(row):
    name = (f"{row['model']} {row.get('depth', '')}x{row.get('units', '')}"
            if row["model"] == "snn_mlp" else f"{row['model']} {row['filters']}")
    lines = [f"{name} batch {row['batch_size']}:"]
    for candidate, rate in row["samples_per_second"].items():
        ratio = row.get("ratio_to_pytorch", {}).get(candidate)
        lines.append(
            f"  {candidate}: {rate:,.0f}/s steady ({row['gflops'][candidate]:.0f} GFLOP/s, "
            f"{row['share_of_float32_ceiling'][candidate]:.0%} of the float32 ceiling), "
            f"{row['end_to_end_samples_per_second'][candidate]:,.0f}/s end to end"
            + (f"; {ratio:.2f}x PyTorch float32" if ratio and math.isfinite(ratio) else ""))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
