"""Where a bfloat16 training step's time goes, against float32: an ablation by layer kind.

    python benchmarks/bfloat16_profile.py [--backends tensorflow jax] [--repeats 3]
        [--out benchmarks/results]

The case is throughput.py's: the 8 x 512 SELU MLP, 784 inputs, 10 classes, batch 256,
16,384 random rows, SGD, `steps_per_execution` 16 as the trainer sets it. For each backend
and precision (float32, or Keras' mixed_bfloat16 policy, which `training.precision:
bfloat16` sets), in a fresh process, Keras' `fit` trains three networks that differ in one
part each:
- "linear": 8 Dense layers without activation (the matrix products, the casts of weights
  and gradients mixed precision adds, the loss and the SGD update);
- "SELU": the same with the SNN's SELU after every Dense layer;
- "SELU + alpha dropout": the SNN as `snn_mlp` builds it (alpha dropout 0.05).
Their steady-state step times (the difference of a 7-epoch and a 1-epoch fit, over 384
steps) attribute a step to matrix products and the rest, SELU, and alpha dropout. Beside
them, "matmul kernels": the step's matrix products alone (each layer's forward product
and weight gradient, and every layer's input gradient but the first's) in the precision's
compute dtype, compiled by the backend (`jax.jit`, `tf.function`): the floor the
backend's matrix kernels set. Medians over
--repeats rounds. Output: a table on stdout and `bfloat16_profile.json`.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from fresh import in_fresh_process  # noqa: E402

ROWS, BATCH, INPUTS, UNITS, DEPTH, CLASSES = 16_384, 256, 784, 512, 8, 10
STEADY_EPOCHS = 6  # 384 steps: on 2 shared vCPUs, fewer left the parts' order to chance
PARTS = ("linear", "SELU", "SELU + alpha dropout", "matmul kernels")
PRECISIONS = ("float32", "bfloat16")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax"],
                        choices=["tensorflow", "jax"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    rounds = {(backend, precision): [] for backend in args.backends for precision in PRECISIONS}
    for round_ in range(args.repeats):  # interleaved, so that drifts in speed hit all alike
        for backend, precision in rounds:
            rounds[backend, precision].append(
                in_fresh_process(step_milliseconds, precision,
                                 initializer=_use_backend, initargs=(backend,)))
            print(f"round {round_ + 1}, {backend}, {precision}: "
                  f"{rounds[backend, precision][-1]}", flush=True)
    results = {"case": {"rows": ROWS, "batch": BATCH, "inputs": INPUTS, "units": UNITS,
                        "depth": DEPTH}, "repeats": args.repeats,
               "milliseconds_per_step": {
                   f"{backend} {precision}": {
                       part: statistics.median(r[part] for r in measured) for part in PARTS}
                   for (backend, precision), measured in rounds.items()},
               "rounds": {f"{b} {p}": measured for (b, p), measured in rounds.items()}}
    print_table(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bfloat16_profile.json").write_text(json.dumps(results, indent=2) + "\n")


def _use_backend(backend):
    os.environ["KERAS_BACKEND"] = backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def step_milliseconds(precision):
    """{part: milliseconds per training step} in this process's backend."""
    import keras
    import numpy as np

    from snn.config import STEPS_PER_EXECUTION, TrainingConfig
    from snn.layers import SELU
    from snn.models import build_model

    keras.config.set_dtype_policy("mixed_bfloat16" if precision == "bfloat16" else "float32")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((ROWS, INPUTS)).astype(np.float32)
    y = rng.integers(CLASSES, size=ROWS)

    def network(activation):
        layers = [keras.Input((INPUTS,))]
        for _ in range(DEPTH):
            layers += [keras.layers.Dense(UNITS, kernel_initializer="lecun_normal"),
                       *([SELU()] if activation else [])]
        return keras.Sequential([*layers, keras.layers.Dense(CLASSES, activation="softmax")])

    models = {"linear": network(False), "SELU": network(True),
              "SELU + alpha dropout": build_model(
                  "snn_mlp", input_shape=(INPUTS,), num_outputs=CLASSES, depth=DEPTH,
                  units=UNITS, dropout_rate=0.05, kernel_initializer="lecun_normal", seed=0)}
    result = {}
    for part, model in models.items():
        model.compile(optimizer=keras.optimizers.SGD(0.01),
                      loss="sparse_categorical_crossentropy",
                      steps_per_execution=STEPS_PER_EXECUTION,
                      jit_compile=TrainingConfig().jit_compile)  # as the trainer compiles
        seconds = []
        for epochs in (1, 1 + STEADY_EPOCHS):  # the first fit traces; the difference is
            started = time.perf_counter()     # steady state
            model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0)
            seconds.append(time.perf_counter() - started)
        result[part] = 1000 * (seconds[1] - seconds[0]) / (STEADY_EPOCHS * ROWS // BATCH)
    keras.config.set_dtype_policy("float32")
    result["matmul kernels"] = _matmul_milliseconds(
        "bfloat16" if precision == "bfloat16" else "float32")
    return result


def _matmul_milliseconds(dtype, steps=256):
    """Milliseconds for one training step's matrix products: every layer's forward product
    and weight gradient, and the input gradient of every layer but the first."""
    import keras
    import numpy as np
    from keras import ops

    rng = np.random.default_rng(0)
    widths = [INPUTS, *[UNITS] * DEPTH, CLASSES]
    weights = [ops.cast(rng.standard_normal((n, m)) / np.sqrt(n), dtype)
               for n, m in zip(widths[:-1], widths[1:])]
    gradients = [ops.cast(rng.standard_normal((BATCH, m)), dtype) for m in widths[1:]]
    x = ops.cast(rng.standard_normal((BATCH, INPUTS)), dtype)

    def products(x, weights, gradients):
        out = []  # every product is returned, as a training step keeps them
        for i, (w, g) in enumerate(zip(weights, gradients)):
            out.append(ops.matmul(ops.transpose(x), g))
            if i > 0:
                out.append(ops.matmul(g, ops.transpose(w)))
            x = ops.matmul(x, w)
        return [*out, x]

    if keras.backend.backend() == "jax":
        import jax

        compiled, wait = jax.jit(products), jax.block_until_ready
    else:
        import tensorflow as tf

        compiled, wait = tf.function(products), lambda out: out  # eager on CPU: done
    wait(compiled(x, weights, gradients))  # compile
    started = time.perf_counter()
    for _ in range(steps):
        out = compiled(x, weights, gradients)
    wait(out)
    return 1000 * (time.perf_counter() - started) / steps


def print_table(results):
    steps = results["milliseconds_per_step"]
    print(f"\nms per training step, medians of {results['repeats']} rounds")
    print("| backend, precision | " + " | ".join(PARTS) + " |\n|---|" + "---:|" * len(PARTS))
    for name, parts in steps.items():
        print(f"| {name} | " + " | ".join(f"{parts[p]:.1f}" for p in PARTS) + " |")


if __name__ == "__main__":
    main()
