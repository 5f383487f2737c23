"""The files a table reproduction writes into its output directory: `results.csv` (one
row per choice), `comparison.json` (what `snn report` reads) and `comparison.md`."""

from pathlib import Path

from snn.util.files import write_atomic, write_csv, write_json

RESULTS = "results.csv"
COMPARISON_JSON = "comparison.json"
COMPARISON_MD = "comparison.md"


def write_comparison(out_dir, rows, comparison, lines):
    """Write a reproduction's three result files, each whole or not at all.

    Args:
        out_dir: Path of an existing directory.
        rows: list of dicts, the rows of `results.csv`.
        comparison: JSON-able dict, the content of `comparison.json`.
        lines: list of str, the Markdown lines of `comparison.md`.
    """
    out_dir = Path(out_dir)
    write_csv(out_dir / RESULTS, rows)
    write_json(out_dir / COMPARISON_JSON, comparison)
    write_atomic(out_dir / COMPARISON_MD, lambda tmp: Path(tmp).write_text(
        "\n".join(lines) + "\n"))
