"""Peak memory of reading a table, as a multiple of the file's size.

    python benchmarks/table_memory.py [--rows 100000] [--out benchmarks/results]

Writes a CSV of `--rows` rows and 20 columns (16 numeric with a few missing cells, 3
categorical of 5 to 50 categories, one label) and reads it in fresh processes: with the
`csv` source (`snn.data.tables.load_csv`), and with pandas' `read_csv` as a point of
comparison. Each process first reads the file's first 100 lines (loading the reader's
code), then records its peak resident memory before and after the full read
(`ru_maxrss`); the growth, divided by the file's size, is the table's figure. The issue's
target: at most about 3x. Output: a table on stdout and `table_memory.json`.
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
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        write_table(path, args.rows)
        size = path.stat().st_size
        results = {"rows": args.rows, "columns": 20, "file_bytes": size, "readers": {}}
        for reader in ("snn_csv", "pandas_read_csv"):
            growth = in_fresh_process(peak_growth, reader, str(path))
            results["readers"][reader] = {"peak_growth_bytes": growth,
                                          "times_file_size": round(growth / size, 2)}
    print(f"{args.rows:,} rows x 20 columns, {size / 2 ** 20:.1f} MiB of CSV")
    print("| reader | peak memory growth | x file size |\n|---|---:|---:|")
    for reader, result in results["readers"].items():
        print(f"| {reader} | {result['peak_growth_bytes'] / 2 ** 20:.1f} MiB | "
              f"{result['times_file_size']} |")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "table_memory.json").write_text(json.dumps(results, indent=2) + "\n")


def write_table(path, rows):
    """A CSV as users have them: numbers, some missing, text categories, a label."""
    import pandas as pd

    rng = np.random.default_rng(0)
    columns = {f"x{i}": np.round(rng.normal(size=rows), 6) for i in range(16)}
    for i in range(4):  # about 1% missing cells in four columns
        columns[f"x{i}"][rng.random(rows) < 0.01] = np.nan
    for name, count in (("city", 50), ("color", 5), ("grade", 12)):
        columns[name] = np.array([f"{name}_{k}" for k in range(count)])[
            rng.integers(count, size=rows)]
    columns["label"] = rng.integers(2, size=rows)
    pd.DataFrame(columns).to_csv(path, index=False)


def peak_growth(reader, path):
    """Bytes the peak resident memory of this process grows by while reading `path`."""
    import pandas as pd

    from snn.data.tables import load_csv

    def read(source):
        return load_csv(Path(source), label="label") if reader == "snn_csv" else \
            pd.read_csv(source)

    # A first small read loads the reader's code, so that only the data's memory counts.
    warm_up = Path(path).with_name("warm_up.csv")
    with open(path) as full, open(warm_up, "w") as small:
        small.writelines(line for _, line in zip(range(100), full))
    read(warm_up)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    table = read(path)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    del table
    return (after - before) * 1024  # ru_maxrss is in KiB on Linux


if __name__ == "__main__":
    main()
