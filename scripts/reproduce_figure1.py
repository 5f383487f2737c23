"""Reproduce Figure 1 of the SNN paper: training loss of SNNs and BatchNorm networks.

    SNN_DATA_DIR=../shared/data python scripts/reproduce_figure1.py --quick
    SNN_DATA_DIR=../shared/data python scripts/reproduce_figure1.py [--cifar10] [--paper-budget]

Trains SELU networks (SNN) and ReLU networks with batch normalization at depths 8, 16 and
32, each hidden layer as wide as the input (784 for MNIST), with plain SGD at batch size
128, and plots every update step's training loss. MNIST is read from the local IDX files
($SNN_DATA_DIR/mnist/t10k-*: the 10,000 test images, since the 60,000 training images
are not available offline); --cifar10 adds CIFAR-10 when tensorflow-datasets has it
prepared.

Budgets: --quick 3 epochs at learning rate 0.01 (about 1.5 min on 2 CPU cores); the
default 30 epochs at 0.01 (about 15 min); --paper-budget the authors' 2000 epochs at 1e-5
(days on a CPU); --epochs and --learning-rate override either. With the paper's 1e-5, a
few epochs barely move the loss, so the shorter budgets take a larger step.
"""

import argparse
import sys
from pathlib import Path

from snn.cli import run_script

DATA = {
    "MNIST": {"source": "mnist_idx", "images": "mnist/t10k-images-idx3-ubyte.gz",
              "labels": "mnist/t10k-labels-idx1-ubyte.gz", "standardize": "global"},
    "CIFAR-10": {"source": "tfds", "name": "cifar10", "standardize": "global"},
}
BUDGETS = {"quick": (3, 1e-2), "default": (30, 1e-2), "paper": (2000, 1e-5)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--quick", action="store_true", help="3 epochs at learning rate 0.01")
    budget.add_argument("--paper-budget", action="store_true",
                        help="the authors' 2000 epochs at learning rate 1e-5")
    parser.add_argument("--epochs", type=int, help="override the budget's number of epochs")
    parser.add_argument("--learning-rate", type=float,
                        help="override the budget's learning rate")
    parser.add_argument("--cifar10", action="store_true",
                        help="add a CIFAR-10 panel (needs it prepared in tensorflow-datasets)")
    parser.add_argument("--out-dir", type=Path, default=Path("runs") / "figure1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    return run_script(reproduce, parser.parse_args())


def reproduce(args):
    from snn.config import parse_config
    from snn.data import Standardization, load_dataset
    from snn.errors import RunDirError
    from snn.paper.figure1 import format_summary, plot_curves, training_curves
    from snn.paper.figure1 import write_curves_csv
    from snn.util.files import write_atomic

    epochs, learning_rate = BUDGETS["quick" if args.quick else
                                    "paper" if args.paper_budget else "default"]
    epochs = args.epochs or epochs
    learning_rate = args.learning_rate or learning_rate
    panels = {}
    for name, data in DATA.items():
        if name == "CIFAR-10" and not args.cifar10:
            continue
        dataset = load_dataset(parse_config({"name": "figure1", "data": data}).data,
                               "softmax")
        x = dataset.x.reshape(len(dataset.x), -1)
        x = Standardization.fit(x, "global").apply(x)
        print(f"{name}: {len(x):,} examples, {x.shape[1]} inputs; {epochs} epochs of SGD "
              f"at learning rate {learning_rate:g}, batch 128", flush=True)
        panels[name] = training_curves(x, dataset.y, dataset.num_outputs, epochs=epochs,
                                       learning_rate=learning_rate, seed=args.seed,
                                       progress=lambda line: print(line, flush=True))
    try:
        args.out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunDirError(f"{args.out_dir}: cannot create the output directory "
                          f"({error.strerror})") from None
    png = args.out_dir / "figure1.png"
    plot_curves(panels, png, f"SGD, learning rate {learning_rate:g}, {epochs} epochs: "
                "SNN solid, BatchNorm dashed")
    write_curves_csv(panels, args.out_dir / "figure1_curves.csv")
    summary = format_summary(panels)
    write_atomic(args.out_dir / "report.md", lambda tmp: Path(tmp).write_text(
        f"# Figure 1 of the SNN paper\n\n![training curves](figure1.png)\n\n{summary}\n"))
    print(f"\n{summary}\n\nFigure written to {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
