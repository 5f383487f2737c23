"""Figure 1 of the SNN paper: the training loss of SNNs and BatchNorm networks, per epoch.

The networks are the runs of one sweep (`configs/paper/figure1.yaml`: method x depth,
trained as the authors' figure1/run.py trains them); each run logs `train_set_loss`, the
loss of the whole training set once per epoch (`training.train_set_loss`), which is the
quantity the authors plot. This module runs the sweep, reads those curves back from the
run directories and draws, tabulates and writes them.

Layout of the output directory: `runs/` (the sweep directory, one run per network),
`figure1.png`, `figure1_curves.csv` (one row per network and epoch) and `report.md`.

Reference: Klambauer et al. 2017, arXiv:1706.02515v5, Figure 1; bioinf-jku/SNNs,
figure1/run.py.
"""

import csv
import dataclasses
import textwrap
from pathlib import Path

import numpy as np

from snn import runs
from snn.errors import ConfigError
from snn.paper.results import METHOD_NAMES
from snn.sweeps import plan_sweep, require_a_completed_run, run_sweeps
from snn.util.files import write_atomic, write_csv
from snn.util.plotting import pyplot, save_figure

QUANTITY = "train_set_loss"
CURVES_CSV = "figure1_curves.csv"
FIGURE = "figure1.png"
REPORT = "report.md"


@dataclasses.dataclass(frozen=True)
class Curve:
    """The training-set loss of one network, one value per epoch.

    Attributes:
        method: builder name, e.g. "snn_mlp" or "batchnorm_mlp".
        depth: number of hidden layers.
        losses: float array (epochs,); `losses[k]` is the loss after epoch k + 1.
        run_dir: Path of the run that logged it.
    """

    method: str
    depth: int
    losses: np.ndarray
    run_dir: Path

    @property
    def final_loss(self):
        """The loss after the last epoch."""
        return float(self.losses[-1])


def reproduce_figure1(config, overrides, out_dir, workers=None, verbose=1,
                      executor="local", address=None):
    """Train the figure's networks (resuming finished or interrupted runs) and read their
    per-epoch training-set losses.

    Args:
        config: str or Path of the figure's sweep config (`configs/paper/figure1.yaml`).
        overrides: list of "key=value" strings applied to every run (a budget, a data set).
        out_dir: str or Path; the runs go to `out_dir/runs`.
        workers, verbose, executor, address: as for `snn.sweeps.run_sweeps`.

    Returns:
        list of `Curve`, one per completed run, in grid order.

    Raises:
        ConfigError: the config or an override is invalid, or a run does not log
            `train_set_loss`.
        TrainingError: no run completed.
    """
    sweep = plan_sweep(config, overrides)
    if any(run.config and run.config.training.train_set_loss == "off" for run in sweep.runs):
        raise ConfigError(f"{config}: training.train_set_loss: got 'off'; Figure 1 plots "
                          "the training-set loss per epoch: expected 'training' or "
                          "'inference'", key="training.train_set_loss")
    [result] = run_sweeps([(sweep, Path(out_dir) / "runs")], workers, verbose, executor,
                          address)
    require_a_completed_run([result])
    return [read_curve(result.sweep_dir / run.name, run.config) for run in sweep.runs
            if result.outcomes.get(run.name) and
            result.outcomes[run.name].status == "completed"]


def read_curve(run_dir, config):
    """One run's `train_set_loss` per epoch, from its `history.csv`.

    Args:
        run_dir: Path of a completed holdout run.
        config: its `ExperimentConfig`.

    Returns:
        `Curve`.
    """
    with open(Path(run_dir) / runs.HISTORY, newline="") as handle:
        losses = [float(row[QUANTITY]) for row in csv.DictReader(handle)]
    return Curve(config.model.name, config.model.arguments["depth"],
                 np.asarray(losses), Path(run_dir))


def plot_curves(curves, path, title):
    """The figure: training-set loss (log scale) against epoch, colour by depth, solid
    for the SNN and dashed for the others.

    Args:
        curves: list of `Curve`.
        path: the PNG file.
        title: str.
    """
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(7, 4.5), constrained_layout=True)
    depths = sorted({curve.depth for curve in curves})
    colors = dict(zip(depths, plt.get_cmap("tab10")(np.arange(len(depths)))))
    for curve in curves:
        axis.plot(np.arange(1, len(curve.losses) + 1), curve.losses, linewidth=1.0,
                  color=colors[curve.depth],
                  linestyle="-" if curve.method == "snn_mlp" else "--",
                  label=f"{METHOD_NAMES[curve.method]} depth {curve.depth}")
    axis.set_yscale("log")
    axis.set_xlabel("epoch")
    axis.set_ylabel("training-set loss (cross-entropy)")
    axis.xaxis.set_major_locator(plt.MaxNLocator(integer=True))  # whole epochs
    axis.legend(fontsize="small", ncol=2)
    axis.set_title(textwrap.fill(title, 80), fontsize="medium")
    save_figure(figure, path)


def write_curves(curves, out_dir, title):
    """Write the figure, `figure1_curves.csv` and `report.md` to `out_dir`.

    Args:
        curves: list of `Curve`.
        out_dir: Path, an existing directory.
        title: str, the figure's title.

    Returns:
        str, the summary table (Markdown).
    """
    out_dir = Path(out_dir)
    plot_curves(curves, out_dir / FIGURE, title)
    write_csv(out_dir / CURVES_CSV, [
        {"method": curve.method, "depth": curve.depth, "epoch": epoch, QUANTITY: loss}
        for curve in curves for epoch, loss in enumerate(curve.losses, start=1)])
    summary = format_summary(curves)
    write_atomic(out_dir / REPORT, lambda tmp: Path(tmp).write_text(
        f"# Figure 1 of the SNN paper\n\n{title}\n\n![training-set loss]({FIGURE})\n\n"
        f"{summary}\n"))
    return summary


def format_summary(curves):
    """A Markdown table per network: the loss after the first and the last epoch, and how
    often the loss went up from one epoch to the next (what Figure 1 shows as noise)."""
    lines = ["| method | depth | epochs | loss after epoch 1 | final loss | epochs with a "
             "higher loss than the one before |", "|---|---:|---:|---:|---:|---:|"]
    for curve in curves:
        rises = int(np.sum(np.diff(curve.losses) > 0))
        lines.append(f"| {METHOD_NAMES[curve.method]} | {curve.depth} | "
                     f"{len(curve.losses)} | {curve.losses[0]:.4f} | "
                     f"{curve.final_loss:.4f} | {rises} |")
    lines.append(f"\nloss: `{QUANTITY}`, the cross-entropy of the whole training set "
                 "after each epoch (`training.train_set_loss`).")
    return "\n".join(lines)
