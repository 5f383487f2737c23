"""Reproductions of the SNN paper's experiments: its published numbers, Tox21's table (one
sweep over methods), the pipelines of per-method nested sweeps for the UCI benchmark
(Table 1) and HTRU2 (Table 3), and the training curves of Figure 1. The scripts in
`scripts/` call these.

Reference: Klambauer, Unterthiner, Mayr, Hochreiter, "Self-Normalizing Neural Networks",
NeurIPS 2017, arXiv:1706.02515 (numbers as in arXiv v5).
"""
