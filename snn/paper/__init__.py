"""Reproductions of the SNN paper's experiments: its published numbers, the tables that are
one sweep over methods (HTRU2, Tox21), the UCI benchmark pipeline (Table 1) and the training
curves of Figure 1. The scripts in `scripts/` call these.

Reference: Klambauer, Unterthiner, Mayr, Hochreiter, "Self-Normalizing Neural Networks",
NeurIPS 2017, arXiv:1706.02515 (numbers as in arXiv v5).
"""
