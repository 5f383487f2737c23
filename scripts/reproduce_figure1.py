"""Reproduce Figure 1 of the SNN paper: training loss of SNNs and BatchNorm networks.

    SNN_DATA_DIR=../shared/data python scripts/reproduce_figure1.py --quick
    SNN_DATA_DIR=../shared/data python scripts/reproduce_figure1.py [--data mnist|cifar10]

Trains the networks of configs/paper/figure1.yaml as the authors' figure1/run.py does:
SELU networks (SNN) and ReLU networks with batch normalization after the activation, 8,
16 and 32 hidden layers as wide as the input, plain SGD at learning rate 1e-5 on batches
of 128 (the partial last batch left out), inputs standardized per feature, 2000 epochs;
and plots the loss of the whole training set after each epoch (train_set_loss, computed
as in a training step). Running the same command again resumes.

Data: --data mnist-test (default) the 10,000 MNIST test images of $SNN_DATA_DIR/mnist,
split 8,000 / 1,000 / 1,000, since the 60,000 training images are not in the local data;
--data mnist the 60,000 training images from the Keras cache (~/.keras/datasets/
mnist.npz) or, failing that, TensorFlow Datasets; --data cifar10 CIFAR-10's training set
from TensorFlow Datasets (3,072 units per layer). Nothing is downloaded.

--quick: 20 epochs at learning rate 1e-3 instead of 2000 at 1e-5: the same sum of step
sizes over training (0.02 per example), in 100 times larger steps and 100 times fewer
epochs.
"""

import sys
from pathlib import Path

from snn.cli import reproduction_parser, run_script

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "paper" / "figure1.yaml"
# A checkpoint every 5 epochs, so that an interrupted quick run resumes close to where it
# stopped (the config checkpoints every 50 of its 2000).
QUICK = ["training.epochs=20", "training.learning_rate=1e-3", "training.checkpoint_interval=5"]
KERAS_MNIST = Path.home() / ".keras" / "datasets" / "mnist.npz"
SPLITS = "validation_fraction: 0.1, test_fraction: 0.1, standardize: per_feature"


def data_overrides(data):
    """The `--set` overrides that point the figure's config at `data`."""
    if data == "mnist-test":
        return []
    if data == "mnist" and KERAS_MNIST.is_file():
        return [f"data={{source: npz, path: {KERAS_MNIST}, x_key: x_train, "
                f"y_key: y_train, {SPLITS}}}"]
    name, width = {"mnist": ("mnist", 784), "cifar10": ("cifar10", 3072)}[data]
    return [f"data={{source: tfds, name: {name}, split: train, {SPLITS}}}",
            f"model.units={width}"]


def reproduce(args):
    from snn.config import load_config
    from snn.paper.figure1 import reproduce_figure1, write_curves

    out_dir = args.out_dir / args.data / ("quick" if args.quick else "")
    overrides = data_overrides(args.data) + (QUICK if args.quick else []) + args.overrides
    if args.quick:
        print("--quick: 20 epochs of SGD at learning rate 1e-3 (the authors: 2000 at 1e-5); "
              "the rest as their figure1/run.py")
    curves = reproduce_figure1(CONFIG, overrides, out_dir, args.workers,
                               executor=args.executor, address=args.address)
    training = load_config(CONFIG, overrides).training
    summary = write_curves(curves, out_dir, f"{args.data}: SGD at learning rate "
                           f"{training.learning_rate:g}, batch {training.batch_size}, "
                           f"{training.epochs} epochs; SNN solid, BatchNorm dashed")
    print(f"\n{summary}\n\nFigure: {out_dir / 'figure1.png'}")
    return 0


if __name__ == "__main__":
    parser = reproduction_parser(__doc__, Path("runs") / "figure1")
    parser.add_argument("--quick", action="store_true",
                        help="20 epochs at learning rate 1e-3 (in OUT_DIR/DATA/quick)")
    parser.add_argument("--data", choices=("mnist-test", "mnist", "cifar10"),
                        default="mnist-test", help="the training data (default: the local "
                        "10,000 MNIST test images)")
    sys.exit(run_script(reproduce, parser.parse_args()))
