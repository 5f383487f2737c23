"""The benchmarks' own arithmetic (their timings are not tests: see benchmarks/RESULTS.md)."""

import importlib.util
import json
import subprocess
import sys

import pytest

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("throughput",
                                               ROOT / "benchmarks" / "throughput.py")
throughput = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(throughput)
_spec = importlib.util.spec_from_file_location("table_memory",
                                               ROOT / "benchmarks" / "table_memory.py")
table_memory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(table_memory)
_spec = importlib.util.spec_from_file_location("bfloat16_accuracy",
                                               ROOT / "benchmarks" / "bfloat16_accuracy.py")
bfloat16_accuracy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bfloat16_accuracy)


def test_training_flops_count_six_per_weight_per_example():
    mlp = {"model": "snn_mlp", "depth": 8, "units": 512}
    weights = 784 * 512 + 7 * 512 * 512 + 512 * 10
    assert throughput.training_flops(mlp) == 6 * weights


def test_training_flops_of_a_cnn_count_every_output_position():
    cnn = {"model": "snn_cnn", "filters": [32, 64], "dense_units": [256]}
    convolutions = 9 * 1 * 32 * 28 * 28 + 9 * 32 * 64 * 14 * 14  # 'same' padding, 2x2 pools
    dense = 7 * 7 * 64 * 256 + 256 * 10
    assert throughput.training_flops(cnn) == 6 * (convolutions + dense)


def test_the_memory_benchmarks_table_is_what_it_says_and_the_csv_source_reads_it(tmp_path):
    import pandas as pd

    from snn.data.tables import load_csv

    table_memory.write_table(tmp_path / "t.csv", 2000)
    x, y = load_csv(tmp_path / "t.csv", label="label")
    assert x.shape == (2000, 19) and set(y) == {0, 1}
    text = [name for name in x.columns if not pd.api.types.is_numeric_dtype(x[name])]
    assert text == ["city", "color", "grade"]
    missing = x[["x0", "x1", "x2", "x3"]].isna().mean().to_numpy()
    assert (missing > 0).all() and (missing < 0.03).all()  # about 1% each, of 2,000 rows


def test_the_gpu_check_runs_every_step_on_a_cpu_without_tensorflow(tmp_path):
    # The script a GPU machine runs (JAX and PyTorch there, no TensorFlow), in its quick
    # form; TensorFlow is made unimportable in its process as it is there.
    script = ("import runpy, sys; sys.modules['tensorflow'] = None; "
              "sys.modules['tensorflow_datasets'] = None; "
              f"sys.argv = ['gpu.py', '--quick', '--out', {str(tmp_path)!r}]; "
              f"runpy.run_path({str(ROOT / 'benchmarks' / 'gpu.py')!r}, run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=600)
    report = json.loads((tmp_path / "gpu.json").read_text())
    assert done.returncode == 0, report
    assert report["devices"]["jax"] == ["cpu: cpu"]
    case = report["throughput"]["cases"][0]
    assert set(case["samples_per_second"]) == {"snn[jax]", "pytorch"}
    assert report["digits"]["epochs_run"] == 2 and report["digits"]["test"]["accuracy"] > 0.5
    assert report["grid"]["runs"] == 2
    for way in ("alone", "stacked"):
        assert report["grid"][way]["statuses"] == ["completed"]
    # Stacked runs reach the test metrics they reach alone (JAX: to the last bit).
    assert report["grid"]["largest_test_accuracy_difference"] <= 1e-6


def test_bfloat16_accuracy_compares_the_means_with_the_float32_range_and_welchs_test():
    import math

    def runs(values, means):
        return [{"test": {"accuracy": v}, "activations": {"mean": means, "variance": [1.0]}}
                for v in values]

    case = bfloat16_accuracy.summary({"float32": runs([0.90, 0.92, 0.94], [0.1]),
                                      "bfloat16": runs([0.91, 0.93, 0.95], [-0.2])},
                                     ["accuracy"])
    assert case["accuracy"]["bfloat16_mean_within_float32_range"]  # 0.93 in [0.90, 0.94]
    # Welch's t with equal variances and sizes: t = 0.01 / sqrt(2 * 0.0004 / 3), 4 degrees
    # of freedom, whose distribution function has a closed form.
    t = 0.01 / math.sqrt(2 * 0.0004 / 3)
    u = t / math.sqrt(1 + t * t / 4)
    cdf = 0.5 + 3 / 8 * u * (1 - t * t / (12 * (1 + t * t / 4)))
    assert math.isclose(case["accuracy"]["welch_p_value"], 2 * (1 - cdf), rel_tol=1e-9)
    assert case["bfloat16"]["activations"]["mean"] == [-0.2, -0.2]
    assert case["float32"]["accuracy"]["std"] == pytest.approx(0.02)
    apart = bfloat16_accuracy.summary({"float32": runs([0.90, 0.92, 0.94], [0.1]),
                                       "bfloat16": runs([0.95, 0.96, 0.97], [0.1])},
                                      ["accuracy"])
    assert not apart["accuracy"]["bfloat16_mean_within_float32_range"]  # 0.96 > 0.94
