"""See and check self-normalization: activation statistics, comparisons and the SNN audit."""

from snn.diagnostics.audit import Finding, audit
from snn.diagnostics.compare import ALTERNATIVES, compare_activations, with_activation
from snn.diagnostics.statistics import ActivationStatistics, LayerStatistics
from snn.diagnostics.statistics import hidden_activation_layers, layer_statistics
from snn.diagnostics.statistics import plot_statistics, write_statistics_csv

__all__ = ["ALTERNATIVES", "ActivationStatistics", "Finding", "LayerStatistics", "audit",
           "compare_activations", "hidden_activation_layers", "layer_statistics",
           "plot_statistics", "with_activation", "write_statistics_csv"]
