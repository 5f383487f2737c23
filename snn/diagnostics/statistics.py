"""Per-layer activation statistics: are the hidden activations near their fixed point?"""

import csv
import dataclasses

import keras
import numpy as np

from snn.layers import SELU
from snn.util.plotting import pyplot, save_figure
from snn.util.files import write_atomic
from snn.theory import ALPHA, SCALE

@dataclasses.dataclass(frozen=True)
class LayerStatistics:
    """Statistics of one hidden layer's activations, pooled over examples and units.

    Attributes:
        layer: the layer's name.
        mean: float, mean activation.
        variance: float, variance of the activations.
        saturation: float in [0, 1], the fraction of activations within 5% of the
            activation function's bound (SELU: its negative saturation -scale * alpha;
            ReLU: 0; tanh: -1 or 1; sigmoid: 0 or 1); NaN for other activations.
    """

    layer: str
    mean: float
    variance: float
    saturation: float


def activation_name(layer):
    """The name of the activation function a layer applies, or None if it applies none.

    Args:
        layer: keras.layers.Layer.

    Returns:
        str such as "selu", "relu", "tanh" (a `snn.layers.SELU` is "selu"), or None for
        layers without an activation and for linear ones.
    """
    if isinstance(layer, SELU):
        return "selu"
    if isinstance(layer, (keras.layers.ReLU, keras.layers.LeakyReLU, keras.layers.PReLU,
                          keras.layers.ELU, keras.layers.Softmax)):
        return type(layer).__name__.lower()
    activation = getattr(layer, "activation", None)
    if activation is None:
        return None
    name = getattr(activation, "__name__", type(activation).__name__).lower()
    return None if name == "linear" else name


def hidden_activation_layers(model):
    """The layers whose outputs are hidden activations, in order; the output layer excluded.

    Args:
        model: a functional or sequential keras.Model.

    Returns:
        list of keras.layers.Layer.
    """
    outputs = {id(tensor) for tensor in keras.tree.flatten(model.outputs)}
    return [layer for layer in model.layers
            if activation_name(layer) is not None and id(layer.output) not in outputs]


def layer_statistics(model, x, batch_size=256):
    """Mean, variance and saturation of every hidden layer's activations on inputs `x`.

    The model runs in inference mode, so dropout is off.

    Args:
        model: keras.Model.
        x: float array (n, *input_shape), e.g. standardized data or N(0, 1) samples.
        batch_size: int, examples per forward pass.

    Returns:
        list of `LayerStatistics`, one per hidden activation layer, input to output.

    Example:
    >>> model = snn.models.build_model("snn_mlp", input_shape=(20,), num_outputs=2, depth=16)
    >>> stats = layer_statistics(model, np.random.standard_normal((1000, 20)))
    >>> all(abs(s.mean) < 0.1 for s in stats)
    True
    """
    layers = hidden_activation_layers(model)
    if not layers:
        return []
    (inputs,) = model.inputs  # one input tensor: the models this package builds
    probe = keras.Model(inputs, [layer.output for layer in layers])
    # Direct calls rather than predict(): a new probe model per call (every epoch, every
    # compared variant) would make predict() retrace and warn each time.
    batches = [keras.tree.flatten(probe(x[start:start + batch_size], training=False))
               for start in range(0, len(x), batch_size)]
    # In float64: sums of squares of bfloat16 or float16 activations lose the variance.
    values = [np.concatenate([keras.ops.convert_to_numpy(batch[i]) for batch in batches])
              .astype(np.float64) for i in range(len(layers))]
    return [LayerStatistics(layer.name, float(v.mean()), float(v.var()),
                            _saturation(layer, v))
            for layer, v in zip(layers, values)]


def _saturation(layer, values):
    name = activation_name(layer)
    if name == "selu":
        alpha, scale = (layer.alpha, layer.scale) if isinstance(layer, SELU) else (ALPHA, SCALE)
        return float(np.mean(values <= -0.95 * scale * alpha))
    if name == "relu":
        return float(np.mean(values <= 0))
    if name == "tanh":
        return float(np.mean(np.abs(values) >= 0.95))
    if name == "sigmoid":
        return float(np.mean((values <= 0.05) | (values >= 0.95)))
    return float("nan")


def write_statistics_csv(rows, path):
    """Write statistics as CSV with a leading label column (epoch or model variant).

    Args:
        rows: list of (label, LayerStatistics) pairs.
        path: the CSV file to write (atomically, via `snn.util.files.write_atomic`).
    """
    def write(temporary):
        with open(temporary, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["label", "depth", "layer", "mean", "variance", "saturation"])
            for label, stats in rows:
                for depth, record in enumerate(stats, start=1):
                    writer.writerow([label, depth, record.layer, f"{record.mean:.6g}",
                                     f"{record.variance:.6g}", f"{record.saturation:.6g}"])

    write_atomic(path, write)


def plot_statistics(series, path, title, fixed_point=(0.0, 1.0), sequential=False):
    """Plot mean and variance against depth, one line per series, as a PNG.

    Args:
        series: dict {label: list of LayerStatistics}, e.g. one entry per epoch or per
            model variant.
        path: the PNG file to write (atomically).
        title: str, the figure title.
        fixed_point: (mean, variance) drawn as dashed reference lines.
        sequential: True when the series are ordered (epochs): colours then run from dark
            to light; otherwise each series gets a distinct colour.
    """
    import matplotlib.ticker

    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    count = len(series)
    colors = (plt.get_cmap("viridis")(np.linspace(0, 0.9, max(count, 1))) if sequential
              else plt.get_cmap("tab10")(np.arange(count) % 10))
    for index, (color, (label, stats)) in enumerate(zip(colors, series.items())):
        # Many epochs: the colour runs from dark (first) to light (last); label those two.
        label = str(label) if count <= 12 or index in (0, count - 1) else "_nolegend_"
        depth = np.arange(1, len(stats) + 1)
        left.plot(depth, [s.mean for s in stats], color=color, label=label)
        right.plot(depth, [s.variance for s in stats], color=color, label=label)
    for axis, target, name in ((left, fixed_point[0], "mean"),
                               (right, fixed_point[1], "variance")):
        axis.axhline(target, color="black", linestyle="--", linewidth=0.8)
        axis.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        axis.set_xlabel("hidden layer")
        axis.set_ylabel(f"activation {name}")
    right.set_yscale("log")
    right.legend(fontsize="small")
    figure.suptitle(title)
    save_figure(figure, path)


class ActivationStatistics(keras.callbacks.Callback):
    """Record per-layer activation statistics on a fixed probe batch after every epoch.

    At the end of each `fit` call, writes `activation_stats.csv` (one row per epoch and
    layer) and `activation_stats.png` (mean and variance against depth, one line per epoch)
    to `run_dir`. Epoch 0 is the model at initialization. Its records go into checkpoints,
    so a resumed run's files cover every epoch.

    Args:
        probe: float array (n, *input_shape), the same inputs every epoch.
        run_dir: pathlib.Path of the run directory.
        fixed_point: (mean, variance) drawn as reference lines.
    """

    CSV = "activation_stats.csv"
    PNG = "activation_stats.png"
    checkpoint_name = "activation_statistics"

    def __init__(self, probe, run_dir, fixed_point=(0.0, 1.0)):
        super().__init__()
        self.probe = probe
        self.run_dir = run_dir
        self.fixed_point = fixed_point
        self.history = []

    def on_train_begin(self, logs=None):
        if not self.history:
            self.history = [(0, layer_statistics(self.model, self.probe))]

    def on_epoch_end(self, epoch, logs=None):
        self.history.append((epoch + 1, layer_statistics(self.model, self.probe)))

    def on_train_end(self, logs=None):
        write_statistics_csv(self.history, self.run_dir / self.CSV)
        plot_statistics({f"epoch {epoch}": stats for epoch, stats in self.history},
                        self.run_dir / self.PNG, "Hidden activations during training",
                        self.fixed_point, sequential=True)

    def get_state(self):
        """(JSON-able dict, no arrays) for a checkpoint."""
        return {"history": [[epoch, [dataclasses.asdict(record) for record in stats]]
                            for epoch, stats in self.history]}, []

    def set_state(self, state, arrays):
        """Restore what `get_state` returned."""
        self.history = [(epoch, [LayerStatistics(**record) for record in stats])
                        for epoch, stats in state["history"]]
