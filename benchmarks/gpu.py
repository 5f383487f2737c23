"""The GPU check, ready for a machine with an NVIDIA GPU and JAX but no TensorFlow and no
network: one command that writes one JSON.

    python benchmarks/gpu.py [--wheels DIR] [--quick] [--out DIR]

Steps, each recorded in `gpu.json` as it finishes (a step that fails is recorded with its
error and the next one still runs):
1. `install`: the wheels in `--wheels` (what the machine lacks: keras and the packages snn
   needs that are not there) installed with `pip install --no-index --no-deps --target`,
   then put on the path of this process and of the processes it starts.
2. `devices`: what JAX and PyTorch see.
3. `throughput`: benchmarks/throughput.py's cases `mlp-8x512-batch256` and
   `mlp-8x1024-batch1024` in float32 and bfloat16: the trainer and plain Keras on JAX, and
   PyTorch (CUDA where available), interleaved, steady state and end to end.
4. `digits`: configs/digits_snn.yaml trained on JAX: test accuracy, time, samples/s.
5. `grid`: configs/digits_sweep.yaml's grid (8 runs) on JAX, one worker, every run alone
   and then the 8 stacked into one model (`snn sweep --stack 8`): times and their ratio.

`--quick` shrinks every step (a small network, the trainer and PyTorch in float32, one
round, 2 epochs, two grid points) so that the test suite runs the whole script on a CPU
(tests/test_benchmarks.py).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]


def main():
    args = _parser().parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ["KERAS_BACKEND"] = "jax"  # before anything imports Keras
    report = {"quick": args.quick, "python": platform.python_version()}
    steps = {"install": lambda: install(args.wheels, args.out / "site"),
             "devices": devices,
             "throughput": lambda: throughput(args.quick),
             "digits": lambda: digits(args.quick, args.out),
             "grid": lambda: grid(args.quick, args.out)}
    for name, step in steps.items():
        started = time.perf_counter()
        try:
            report[name] = {"ok": True, **step()}
        except Exception as error:  # noqa: BLE001 - the report says which step failed, how
            report[name] = {"ok": False, "error": f"{type(error).__name__}: {error}",
                            "traceback": traceback.format_exc()}
        report[name]["seconds"] = round(time.perf_counter() - started, 1)
        print(f"{name}: {'ok' if report[name]['ok'] else report[name]['error']} "
              f"({report[name]['seconds']} s)", flush=True)
        (args.out / "gpu.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0 if all(report[name]["ok"] for name in steps) else 1


def _parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, default=None,
                        help="folder of wheels to install first (none: install nothing)")
    parser.add_argument("--quick", action="store_true",
                        help="every step small: the CPU test of this script")
    parser.add_argument("--out", type=Path, default=Path("gpu-check"),
                        help="folder of gpu.json, the runs and the installed wheels")
    return parser


def install(wheels, site):
    """Install the wheels of a folder into `site` and put it first on the path (also of the
    processes started later, through PYTHONPATH)."""
    found = sorted(wheels.glob("*.whl")) if wheels else []
    if found:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index",
                        "--no-deps", "--no-compile", "--upgrade", "--target", str(site),
                        *map(str, found)], check=True)
        sys.path.insert(0, str(site))
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [str(site), *filter(None, [os.environ.get("PYTHONPATH")])])
    return {"wheels": [path.name for path in found]}


def devices():
    import jax

    found = {"jax": [f"{device.platform}: {device.device_kind}" for device in jax.devices()]}
    try:
        import torch
    except ImportError:
        return {**found, "torch": None}
    return {**found, "torch": [torch.cuda.get_device_name(i)
                               for i in range(torch.cuda.device_count())] or ["cpu"]}


def throughput(quick):
    import throughput as benchmark

    if quick:
        cases = [{"model": "snn_mlp", "depth": 2, "units": 32, "batch_size": 64, "rows": 512,
                  "epochs": 2}]
    else:  # 8x the CPU benchmark's rows, so that the extra epochs outlast timing noise
        cases = [{**case, "rows": 8 * case["rows"]} for case in
                 benchmark._cases(["mlp-8x512-batch256", "mlp-8x1024-batch1024"])]
    precisions = ["float32"] if quick else ["float32", "bfloat16"]
    candidates = benchmark._candidates(["jax"], precisions, variants=False)
    if quick:  # every candidate costs two fresh processes: the trainer and PyTorch only
        candidates = {name: candidates[name] for name in ("snn[jax]", "pytorch")}
    ceiling = benchmark.matmul_rates(size=256) if quick else _jax_matmul_rates(8192)
    return {"ceiling_gflops": ceiling,
            "cases": [benchmark._measure(case, candidates, 1 if quick else 3, ceiling,
                                         warm_up=not quick) for case in cases]}


def _jax_matmul_rates(size, repeats=5):
    """The device's matrix-multiply rates through JAX, in GFLOP/s: float32 at full
    precision (JAX's default on NVIDIA GPUs rounds float32 products through TF32) and
    bfloat16. Keras on JAX keeps that default, so the trainer can exceed the float32
    figure."""
    import jax
    import jax.numpy as jnp

    a = jax.random.normal(jax.random.key(0), (size, size), jnp.float32)
    rates = {}
    for name, dtype, precision in (("float32", jnp.float32, "highest"),
                                   ("bfloat16", jnp.bfloat16, None)):
        product = jax.jit(lambda x, p=precision: jnp.matmul(x, x, precision=p))
        x = a.astype(dtype)
        product(x).block_until_ready()
        best = float("inf")
        for _ in range(repeats):
            started = time.perf_counter()
            product(x).block_until_ready()
            best = min(best, time.perf_counter() - started)
        rates[name] = 2 * size ** 3 / best / 1e9
    return rates


def digits(quick, out):
    from snn.config import load_config
    from snn.training import train

    overrides = ["training.backend=jax", *(["training.epochs=2"] if quick else [])]
    config = load_config(ROOT / "configs" / "digits_snn.yaml", overrides)
    started = time.perf_counter()
    metrics = train(config, out / "digits", verbose=0, overwrite=True)
    return {"wall_seconds": round(time.perf_counter() - started, 1),
            "test": metrics["test"], "train_seconds": metrics["train_seconds"],
            "samples_per_second": metrics["samples_per_second"],
            "epochs_run": metrics["epochs_run"]}


def grid(quick, out):
    """The digits grid, every run alone and then all stacked into one model (`--stack`):
    wall times, their ratio, and how far the two give each run other test metrics."""
    from snn.sweeps import plan_sweep, run_sweep

    overrides = ["training.backend=jax"]
    if quick:
        overrides += ["training.epochs=2",
                      "sweep.grid={model.depth: [2], training.learning_rate: [0.1, 0.01]}"]
    sweep = plan_sweep(ROOT / "configs" / "digits_sweep.yaml", overrides)
    report, results = {}, {}
    for name, stack in (("alone", 1), ("stacked", len(sweep.runs))):
        started = time.perf_counter()
        results[name] = run_sweep(sweep, out / "grid" / name, workers=1, verbose=0,
                                  stack=stack)
        seconds = time.perf_counter() - started
        report[name] = {"wall_seconds": round(seconds, 1),
                        "seconds_per_run": round(seconds / len(sweep.runs), 2),
                        "statuses": sorted({outcome.status for outcome
                                            in results[name].outcomes.values()}),
                        "selected": results[name].selected, "value": results[name].value}
    metric = sweep.config.sweep.selection[0]
    differences = [abs(results["alone"].outcomes[run].metrics["test"][metric]
                       - results["stacked"].outcomes[run].metrics["test"][metric])
                   for run in results["alone"].outcomes]
    return {"runs": len(sweep.runs), **report,
            "speed_up": round(report["alone"]["wall_seconds"]
                              / report["stacked"]["wall_seconds"], 2),
            f"largest_test_{metric}_difference": max(differences)}


if __name__ == "__main__":
    sys.exit(main())
