"""Training speed of snn's alpha dropout against Keras' own, in float32 and bfloat16.

    [KERAS_BACKEND=jax] python benchmarks/alpha_dropout.py [--repeats 3] [--out DIR]

Both layers compute the same values (tests/test_layers.py checks it): Keras'
`AlphaDropout` multiplies the mask out, a * (x * kept + alpha' * (1 - kept)) + b, six
element-wise passes over the activations; `snn.layers.FixedPointAlphaDropout` selects,
where(kept, a * x + b, a * alpha' + b). The network is the throughput benchmark's 8 x 512
SELU MLP (784 inputs, batch 256, 16,384 random rows, 16 steps per call); each round trains
a fresh model of each kind for 2 epochs after a 2,048-row warm-up fit that traces its
graph, interleaved. Output: samples/s per layer and precision (median over rounds) on
stdout and in `alpha_dropout.json`.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    import keras

    from snn.layers import FixedPointAlphaDropout

    layers = {"keras.layers.AlphaDropout": keras.layers.AlphaDropout,
              "snn FixedPointAlphaDropout": FixedPointAlphaDropout}
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16384, 784), dtype=np.float32)
    y = rng.integers(0, 10, len(x))
    rates = {f"{name}, {policy}": [] for policy in ("float32", "mixed_bfloat16")
             for name in layers}
    for _ in range(args.repeats):
        for policy in ("float32", "mixed_bfloat16"):
            for name, layer in layers.items():
                rates[f"{name}, {policy}"].append(_rate(keras, layer, policy, x, y))
    medians = {key: statistics.median(values) for key, values in rates.items()}
    for key, rate in medians.items():
        print(f"{key}: {rate:,.0f} samples/s (rounds: "
              f"{', '.join(f'{value:,.0f}' for value in rates[key])})")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "alpha_dropout.json").write_text(json.dumps(
        {"backend": keras.backend.backend(), "keras": keras.__version__,
         "samples_per_second": medians, "rounds": rates}, indent=2) + "\n")


def _rate(keras, layer, policy, x, y):
    """Samples/s of 2 epochs of the 8 x 512 network with `layer` after each SELU layer."""
    keras.config.set_dtype_policy(policy)
    inputs = keras.Input((x.shape[1],))
    h = inputs
    for _ in range(8):
        h = layer(0.05)(keras.layers.Dense(512, activation="selu",
                                           kernel_initializer="lecun_normal")(h))
    outputs = keras.layers.Dense(10, activation="softmax", dtype="float32")(h)
    model = keras.Model(inputs, outputs)
    keras.config.set_dtype_policy("float32")
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy",
                  steps_per_execution=16)
    model.fit(x[:2048], y[:2048], batch_size=256, verbose=0)
    started = time.perf_counter()
    model.fit(x, y, batch_size=256, epochs=2, verbose=0)
    return 2 * len(x) / (time.perf_counter() - started)


if __name__ == "__main__":
    main()
