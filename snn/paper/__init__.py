"""Reproductions of the SNN paper's experiments: its published numbers, the pipelines of
per-method nested sweeps for the UCI benchmark (Table 1) and HTRU2 (Table 3), Tox21's
per-method sweeps over seeds with one choice per depth (Table 2), and the training-set
loss curves of Figure 1. The scripts in `scripts/` call these.

Reference: Klambauer, Unterthiner, Mayr, Hochreiter, "Self-Normalizing Neural Networks",
NeurIPS 2017, arXiv:1706.02515 (numbers as in arXiv v5).
"""
