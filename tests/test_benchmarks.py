"""The benchmarks' own arithmetic (their timings are not tests: see benchmarks/RESULTS.md)."""

import importlib.util

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("throughput",
                                               ROOT / "benchmarks" / "throughput.py")
throughput = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(throughput)


def test_training_flops_count_six_per_weight_per_example():
    mlp = {"model": "snn_mlp", "depth": 8, "units": 512}
    weights = 784 * 512 + 7 * 512 * 512 + 512 * 10
    assert throughput.training_flops(mlp) == 6 * weights


def test_training_flops_of_a_cnn_count_every_output_position():
    cnn = {"model": "snn_cnn", "filters": [32, 64], "dense_units": [256]}
    convolutions = 9 * 1 * 32 * 28 * 28 + 9 * 32 * 64 * 14 * 14  # 'same' padding, 2x2 pools
    dense = 7 * 7 * 64 * 256 + 256 * 10
    assert throughput.training_flops(cnn) == 6 * (convolutions + dense)
