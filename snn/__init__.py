"""snn: build, train and study self-normalizing neural networks on Keras 3.

Reference: Klambauer, Unterthiner, Mayr, Hochreiter, "Self-Normalizing Neural Networks",
NeurIPS 2017, arXiv:1706.02515.
"""

__version__ = "0.1.0"
