"""snn: build, train and study self-normalizing neural networks on Keras 3.

`snn.load_run(run_dir)` opens a trained run for predictions (`snn.inference`); the rest of
the API lives in the subpackages (`snn.models`, `snn.config`, `snn.training`, ...).

Reference: Klambauer, Unterthiner, Mayr, Hochreiter, "Self-Normalizing Neural Networks",
NeurIPS 2017, arXiv:1706.02515.
"""

from snn.version import __version__

__all__ = ["__version__", "load_run"]


def __getattr__(name):
    # Imported on first use: `snn.inference` loads Keras and its backend (seconds), which
    # `import snn.config` or `snn --help` must not pay for.
    if name == "load_run":
        from snn.inference import load_run

        return load_run
    raise AttributeError(f"module 'snn' has no attribute {name!r}")
