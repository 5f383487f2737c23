"""SNN layers: the recipe every builder uses, SELU / alpha dropout for any fixed point, the
weight-normalized Dense layer of a baseline, and the input standardization an exported
model carries. Importing this package registers them with Keras, for
`keras.saving.load_model`."""

from snn.layers.alpha_dropout import FixedPointAlphaDropout
from snn.layers.recipe import SeedStream, SNNRecipe, kernel_initializer
from snn.layers.selu import SELU
from snn.layers.standardize import Standardize
from snn.layers.weight_norm import WeightNormDense

__all__ = ["FixedPointAlphaDropout", "SELU", "SNNRecipe", "SeedStream", "Standardize",
           "WeightNormDense", "kernel_initializer"]
