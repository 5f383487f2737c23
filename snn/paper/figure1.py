"""Figure 1 of the SNN paper: training loss per update step, SNN against BatchNorm networks.

The paper trains feed-forward networks of 8, 16 and 32 hidden layers, each as wide as the
input, with plain SGD (learning rate 1e-5, batch 128, 2000 epochs in the authors'
scripts) on MNIST and CIFAR-10, and plots the training loss of every update step: the SNN
curves fall smoothly while the curves of ReLU networks with batch normalization are
noisier, with spikes. Here each network is trained with `train_on_batch`, which returns
the loss of exactly that step.

Reference: Klambauer et al. 2017, Figure 1; the training setup of the authors' figure1
scripts (bioinf-jku/SNNs).
"""

import csv
import dataclasses
import io
from pathlib import Path

import keras
import numpy as np

from snn.models import build_model
from snn.paper.results import METHOD_NAMES
from snn.util.plotting import pyplot, save_figure
from snn.util.files import write_atomic

METHODS = ("snn_mlp", "batchnorm_mlp")
DEPTHS = (8, 16, 32)


@dataclasses.dataclass(frozen=True)
class Curve:
    """The training loss of one network, one value per update step.

    Attributes:
        method: builder name ("snn_mlp" or "batchnorm_mlp").
        depth: number of hidden layers.
        losses: float array (steps,).
    """

    method: str
    depth: int
    losses: np.ndarray

    @property
    def final_loss(self):
        """Mean loss over the last tenth of the steps."""
        return float(np.mean(self.losses[-max(1, len(self.losses) // 10):]))


def training_curves(x, y, num_classes, depths=DEPTHS, methods=METHODS, epochs=5,
                    learning_rate=1e-5, batch_size=128, seed=0, progress=print):
    """Train each method at each depth with plain SGD and record every step's loss.

    Args:
        x: float32 array (n, features), standardized inputs.
        y: int array (n,), class indices.
        num_classes: int.
        depths: hidden-layer counts.
        methods: builder names; every hidden layer has `features` units.
        epochs: passes over the data.
        learning_rate: SGD step size.
        batch_size: examples per step.
        seed: fixes initialization and the order of examples (the same for all networks).
        progress: called with one line per finished network, or None.

    Returns:
        list of `Curve`, methods outer, depths inner.
    """
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(len(x)) for _ in range(epochs)]
    curves = []
    for method in methods:
        for depth in depths:
            keras.utils.set_random_seed(seed)
            model = build_model(method, input_shape=x.shape[1:], num_outputs=num_classes,
                                depth=depth, units=x.shape[1], dropout_rate=0.0, seed=seed)
            model.compile(optimizer=keras.optimizers.SGD(learning_rate),
                          loss="sparse_categorical_crossentropy")
            losses = [model.train_on_batch(x[order[i:i + batch_size]],
                                           y[order[i:i + batch_size]])
                      for order in orders for i in range(0, len(x), batch_size)]
            curve = Curve(method, depth, np.asarray(losses, dtype=float))
            curves.append(curve)
            keras.backend.clear_session()
            if progress:
                progress(f"{METHOD_NAMES[method]} depth {depth}: final loss "
                         f"{curve.final_loss:.4f}")
    return curves


def plot_curves(panels, path, title):
    """The figure: one panel per data set, training loss (log scale) against step.

    Args:
        panels: {data set name: list of `Curve`}.
        path: the PNG file.
        title: str, the figure title.
    """
    plt = pyplot()
    figure, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.5),
                                squeeze=False, constrained_layout=True)
    colors = dict(zip(DEPTHS, plt.get_cmap("tab10")(np.arange(len(DEPTHS)))))
    for axis, (name, curves) in zip(axes[0], panels.items()):
        for curve in curves:
            axis.plot(np.arange(1, len(curve.losses) + 1), curve.losses, linewidth=0.8,
                      color=colors.get(curve.depth), linestyle="-" if curve.method ==
                      "snn_mlp" else "--",
                      label=f"{METHOD_NAMES[curve.method]} depth {curve.depth}")
        axis.set_yscale("log")
        axis.set_xlabel("update step")
        axis.set_ylabel("training loss")
        axis.set_title(name)
        axis.legend(fontsize="small", ncol=2)
    figure.suptitle(title)
    save_figure(figure, path)


def write_curves_csv(panels, path):
    """Every step's loss: columns dataset, method, depth, step, loss."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["dataset", "method", "depth", "step", "loss"])
    for name, curves in panels.items():
        for curve in curves:
            writer.writerows([name, curve.method, curve.depth, step, f"{loss:.6g}"]
                             for step, loss in enumerate(curve.losses, start=1))
    write_atomic(path, lambda tmp: Path(tmp).write_text(text.getvalue()))


def format_summary(panels):
    """A Markdown table: the final training loss per data set, method and depth."""
    lines = ["| data set | method | depth | final loss |", "|---|---|---:|---:|"]
    for name, curves in panels.items():
        for curve in curves:
            lines.append(f"| {name} | {METHOD_NAMES[curve.method]} | {curve.depth} | "
                         f"{curve.final_loss:.4f} |")
    lines.append("\nfinal loss: the mean training loss over the last tenth of the steps.")
    return "\n".join(lines)
