"""Where a training step's time goes, kernel by kernel, on TensorFlow's CPU backend.

    python benchmarks/step_profile.py [--repeats 3] [--out benchmarks/results]

The case is throughput.py's `mlp-8x512-batch256`: the 8 x 512 SELU MLP with alpha dropout
0.05, 784 inputs, 10 classes, batch 256, SGD, `steps_per_execution` as the trainer sets it,
on 4,096 random rows. Two builds of the same network: "Keras layers" (throughput.py's
`keras_layers_model`: Dense with `activation="selu"`, then `keras.layers.AlphaDropout`) and
"snn recipe" (`snn.models.build_model("snn_mlp")`: linear
Dense, `snn.layers.SELU`, `snn.layers.FixedPointAlphaDropout`), each in float32 and under the
mixed_bfloat16 policy that `training.precision: bfloat16` sets, each in a fresh process.
TensorFlow's profiler records every kernel of 32 steps after a warm-up epoch; a kernel's
time is summed over the 2 compute threads (CPU milliseconds per step, so a row can exceed
the step's wall time). Medians over --repeats rounds, run interleaved. Output: a table of
the largest kernels on stdout and `step_profile.json`.
"""

import argparse
import collections
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from fresh import in_fresh_process  # noqa: E402
from throughput import CLASSES, _cases, keras_layers_model  # noqa: E402

CASE_NAME = "mlp-8x512-batch256"
CASE = _cases([CASE_NAME])[0]
ROWS, INPUTS = 4096, 784
PROFILED_EPOCHS = 2  # 32 steps
BUILDS = ("Keras layers", "snn recipe")
PRECISIONS = ("float32", "bfloat16")
SHOWN = 12  # kernels in the table, by their largest time in any case


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    cases = [(build, precision) for precision in PRECISIONS for build in BUILDS]
    rounds = {case: [] for case in cases}
    for round_ in range(args.repeats):  # interleaved, so that drifts in speed hit all alike
        for case in cases:
            rounds[case].append(in_fresh_process(kernel_milliseconds, *case,
                                                 initializer=_quiet_tensorflow))
            print(f"round {round_ + 1}, {case[0]}, {case[1]}: "
                  f"{sum(rounds[case][-1].values()):.1f} CPU ms per step", flush=True)
    medians = {f"{build}, {precision}": _medians(measured)
               for (build, precision), measured in rounds.items()}
    results = {"case": {"name": CASE_NAME, "rows": ROWS, "inputs": INPUTS},
               "repeats": args.repeats, "cpu_milliseconds_per_step": medians,
               "rounds": {f"{b}, {p}": measured for (b, p), measured in rounds.items()}}
    print_table(medians)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "step_profile.json").write_text(json.dumps(results, indent=2) + "\n")


def _quiet_tensorflow():
    os.environ["KERAS_BACKEND"] = "tensorflow"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _medians(measured):
    kernels = {name for one in measured for name in one}
    return {name: statistics.median(one.get(name, 0.0) for one in measured)
            for name in sorted(kernels)}


def kernel_milliseconds(build, precision):
    """{kernel name: CPU milliseconds per training step} of one build and precision."""
    import keras
    import numpy as np
    import tensorflow as tf

    from snn.config import STEPS_PER_EXECUTION
    from snn.models import build_model

    keras.config.set_dtype_policy("mixed_bfloat16" if precision == "bfloat16" else "float32")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((ROWS, INPUTS)).astype(np.float32)
    y = rng.integers(CLASSES, size=ROWS)
    if build == "snn recipe":
        model = build_model("snn_mlp", input_shape=(INPUTS,), num_outputs=CLASSES,
                            depth=CASE["depth"], units=CASE["units"], dropout_rate=0.05,
                            seed=0)
    else:
        model = keras_layers_model(CASE, (INPUTS,))
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy",
                  steps_per_execution=STEPS_PER_EXECUTION)
    model.fit(x, y, batch_size=CASE["batch_size"], epochs=1, verbose=0)  # traces
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        model.fit(x, y, batch_size=CASE["batch_size"], epochs=PROFILED_EPOCHS, shuffle=False,
                  verbose=0)
        tf.profiler.experimental.stop()
        (trace,) = Path(logdir).rglob("*.xplane.pb")
        totals = _kernel_picoseconds(trace.read_bytes())
    steps = PROFILED_EPOCHS * ROWS // CASE["batch_size"]
    return {name: picoseconds / 1e9 / steps for name, picoseconds in totals.items()}


def _kernel_picoseconds(serialized):
    """{kernel: picoseconds} summed over the profile's compute threads."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    space.ParseFromString(serialized)
    totals = collections.Counter()
    for plane in space.planes:
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):
                continue
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                kernel = name.rsplit(":", 1)[-1]  # "scope/op:Kernel" -> "Kernel"
                # Whole-step spans and nested thread-pool spans would count kernels twice.
                if kernel not in ("Process", "ParallelFor"):
                    totals[kernel] += event.duration_ps
    return totals


def print_table(medians):
    names = list(medians)
    largest = sorted({k for one in medians.values() for k in one},
                     key=lambda k: -max(one.get(k, 0.0) for one in medians.values()))
    print("\nCPU ms per training step (summed over compute threads), medians")
    print("| kernel | " + " | ".join(names) + " |\n|---|" + "---:|" * len(names))
    for kernel in largest[:SHOWN]:
        print(f"| {kernel} | "
              + " | ".join(f"{medians[n].get(kernel, 0.0):.2f}" for n in names) + " |")
    rest = [sum(v for k, v in medians[n].items() if k not in largest[:SHOWN]) for n in names]
    print("| other | " + " | ".join(f"{v:.2f}" for v in rest) + " |")
    print("| all | " + " | ".join(f"{sum(medians[n].values()):.2f}" for n in names) + " |")


if __name__ == "__main__":
    main()
