"""The benchmarks' own arithmetic (their timings are not tests: see benchmarks/RESULTS.md)."""

import importlib.util

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("throughput",
                                               ROOT / "benchmarks" / "throughput.py")
throughput = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(throughput)
_spec = importlib.util.spec_from_file_location("table_memory",
                                               ROOT / "benchmarks" / "table_memory.py")
table_memory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(table_memory)


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
