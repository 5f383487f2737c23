"""How the `snn` trainer's cost grows: time per epoch and peak memory against depth and rows.

    python benchmarks/scaling.py [--quick] [--out benchmarks/results]

Two sweeps of `snn_mlp` (SELU, alpha dropout 0.05, SGD) on synthetic N(0, 1) data with
random labels over 10 classes, each point trained by `snn.training.train` in a fresh
process, so that its peak resident memory is its own:
- depth 8, 16, 32, 64 at 512 units, 784 inputs, 16,384 rows, batch 256;
- rows 10^3, 10^4, 10^5, 10^6 at depth 8, 256 units, 64 inputs, batch 256.

The time per epoch is the difference between a 3-epoch and a 1-epoch run, halved, which
leaves out start-up and graph tracing. Output: a table on stdout and `scaling.json`.
"""

import argparse
import json
import resource
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from fresh import in_fresh_process  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="depth 8 and 16, rows up to 10^5")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results",
                        help="directory of scaling.json")
    args = parser.parse_args()
    depths = [8, 16] if args.quick else [8, 16, 32, 64]
    rows = [10 ** 3, 10 ** 4, 10 ** 5] if args.quick else [10 ** 3, 10 ** 4, 10 ** 5, 10 ** 6]
    points = ([{"sweep": "depth", "depth": d, "units": 512, "features": 784, "rows": 16384}
               for d in depths]
              + [{"sweep": "rows", "depth": 8, "units": 256, "features": 64, "rows": n}
                 for n in rows])
    results = []
    for point in points:
        # A fresh process per run: its own peak memory.
        one, peak_one = in_fresh_process(_train, point, 1)
        three, peak_three = in_fresh_process(_train, point, 3)
        result = {**point, "seconds_per_epoch": (three - one) / 2,
                  "peak_memory_mib": max(peak_one, peak_three) / 1024}
        results.append(result)
        print(f"{point['sweep']:>5}: depth {point['depth']:>2}, {point['rows']:>9,} rows x "
              f"{point['features']:>3}: {result['seconds_per_epoch']:8.2f} s/epoch, "
              f"peak {result['peak_memory_mib']:7.0f} MiB", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scaling.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nWritten to {args.out / 'scaling.json'}")


def _train(point, epochs):
    """Train one point; returns (seconds in `fit`, peak resident memory in KiB)."""
    from snn.util.console import import_keras_quietly, quiet_backend_logs

    import_keras_quietly()
    quiet_backend_logs()
    from snn.config import parse_config
    from snn.training import train

    rng = np.random.default_rng(0)
    x = rng.standard_normal((point["rows"], point["features"]), dtype=np.float32)
    y = rng.integers(0, 10, point["rows"])
    with tempfile.TemporaryDirectory() as directory:
        np.savez(Path(directory) / "data.npz", x=x, y=y)
        del x, y
        config = parse_config({
            "name": "scaling", "seed": 0,
            "data": {"source": "npz", "path": str(Path(directory) / "data.npz"),
                     "validation_fraction": 0.1, "test_fraction": 0.1, "standardize": "none"},
            "model": {"name": "snn_mlp", "depth": point["depth"], "units": point["units"],
                      "dropout_rate": 0.05},
            "training": {"optimizer": "sgd", "learning_rate": 0.01, "batch_size": 256,
                         "epochs": epochs, "early_stopping": None, "audit": "off"},
        })
        metrics = train(config, Path(directory) / "run", verbose=0)
    return metrics["train_seconds"], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    main()
