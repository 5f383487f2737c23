"""The SNN paper's published results, to print beside a reproduction's own.

Numbers are from arXiv:1706.02515v5 (Klambauer et al. 2017). Methods are keyed by the
names of this package's model builders.
"""

# The paper's names for the methods, by builder name.
METHOD_NAMES = {
    "snn_mlp": "SNN",
    "msra_mlp": "MSRAinit",
    "batchnorm_mlp": "BatchNorm",
    "layernorm_mlp": "LayerNorm",
    "weightnorm_mlp": "WeightNorm",
    "highway_mlp": "Highway",
    "resnet_mlp": "ResNet",
    "svm": "SVM",
    "random_forest": "RandomForest",
    "gradient_boosting": "GradientBoosting",
}

# Table 3: HTRU2, ROC AUC over 10 cross-validation folds, (mean, standard deviation).
HTRU2_AUC = {
    "snn_mlp": (0.9803, 0.010),
    "msra_mlp": (0.9791, 0.010),
    "weightnorm_mlp": (0.9786, 0.010),
    "highway_mlp": (0.9766, 0.009),
    "layernorm_mlp": (0.9762, 0.011),
    "batchnorm_mlp": (0.9760, 0.013),
    "resnet_mlp": (0.9753, 0.010),
}

# Table 1, left: the seven FNNs on the 121 UCI sets, (average rank difference to rank 4,
# p-value of the paired Wilcoxon test against the best method, SNN).
UCI_RANK_DIFFERENCE = {
    "snn_mlp": (-0.756, None),
    "msra_mlp": (-0.240, 2.7e-02),
    "layernorm_mlp": (-0.198, 1.5e-02),
    "highway_mlp": (0.021, 1.9e-03),
    "resnet_mlp": (0.273, 5.4e-04),
    "weightnorm_mlp": (0.397, 7.8e-07),
    "batchnorm_mlp": (0.504, 3.5e-06),
}

# Table 2: Tox21, mean test AUC over the 12 tasks (x 100) by number of hidden layers.
TOX21_DEPTHS = (2, 3, 4, 6, 8, 16, 32)
TOX21_AUC = {
    "snn_mlp": (83.7, 84.4, 84.2, 83.9, 84.5, 83.5, 82.5),
    "batchnorm_mlp": (80.0, 79.8, 77.2, 77.0, 75.0, 73.7, 76.0),
    "weightnorm_mlp": (83.7, 82.9, 82.2, 82.5, 81.9, 78.1, 56.6),
    "layernorm_mlp": (84.3, 84.3, 84.0, 82.5, 80.9, 78.7, 78.8),
    "highway_mlp": (83.3, 83.0, 82.6, 82.4, 80.3, 80.3, 79.6),
    "msra_mlp": (82.7, 81.6, 81.1, 80.6, 80.9, 80.2, 80.4),
    "resnet_mlp": (82.2, 80.0, 80.5, 81.2, 81.8, 81.2, None),
}
