"""SNN layers: the recipe every builder uses, and SELU / alpha dropout for any fixed point."""

from snn.layers.alpha_dropout import FixedPointAlphaDropout
from snn.layers.recipe import KernelInitializer, SeedStream, SNNRecipe, kernel_initializer
from snn.layers.selu import SELU

__all__ = ["FixedPointAlphaDropout", "KernelInitializer", "SELU", "SNNRecipe", "SeedStream",
           "kernel_initializer"]
