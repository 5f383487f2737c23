"""Train the example configs and print their results as a Markdown table.

    python scripts/run_examples.py [CONFIG ...] [--runs DIR] [--set KEY=VALUE ...]

Without CONFIG, every file in configs/ is run. Configs that read ../shared/data need
SNN_DATA_DIR set; a config that fails with a user error is reported in the table and the
others still run. The README's results table is this script's output.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="*", type=Path,
                        default=sorted((ROOT / "configs").glob("*.yaml")))
    parser.add_argument("--runs", type=Path, default=Path("runs/examples"),
                        help="parent directory of the run directories")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override applied to every config")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from snn.config import load_config
    from snn.errors import SNNError
    from snn.training import train

    print("| config | test metrics | epochs | seconds |")
    print("|---|---|---|---|")
    for path in args.configs:
        started = time.perf_counter()
        try:
            config = load_config(path, args.overrides)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            metrics = train(config, args.runs / f"{config.name}-{stamp}", verbose=0)
        except SNNError as error:
            print(f"| {path.name} | failed: {error} | | |")
            continue
        test = ", ".join(f"{name} {value:.4f}" for name, value in metrics["test"].items())
        print(f"| {path.name} | {test} | {metrics['epochs_run']} | "
              f"{time.perf_counter() - started:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
