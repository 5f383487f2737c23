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
    "naive_bayes": "NB",
    "decision_tree": "C4.5",
}

# Table 3: HTRU2, ROC AUC over 10 cross-validation folds, (mean, the table's +/-, which
# its caption leaves undefined: presumably the standard deviation over the folds).
HTRU2_AUC = {
    "snn_mlp": (0.9803, 0.010),
    "msra_mlp": (0.9791, 0.010),
    "weightnorm_mlp": (0.9786, 0.010),
    "highway_mlp": (0.9766, 0.009),
    "layernorm_mlp": (0.9762, 0.011),
    "batchnorm_mlp": (0.9760, 0.013),
    "resnet_mlp": (0.9753, 0.010),
}

# Table 3: p-value of the paired Wilcoxon test of each network's 10 fold AUCs against the
# SNN's; the table stars WeightNorm, Highway, LayerNorm and ResNet as significantly worse.
HTRU2_P_VALUE = {
    "msra_mlp": 3.5e-01,
    "weightnorm_mlp": 2.4e-02,
    "highway_mlp": 9.8e-03,
    "layernorm_mlp": 1.4e-02,
    "batchnorm_mlp": 6.5e-02,
    "resnet_mlp": 6.8e-03,
}

# Table 3, reference methods NB, C4.5 and SVM, by the builder that stands in for each:
# 10-fold AUCs from the literature (the paper's ref. [27]), without +/- or p-value. The
# running text gives C4.5 0.949, the table 0.946 (kept here).
HTRU2_REFERENCE_AUC = {"naive_bayes": 0.976, "decision_tree": 0.946, "svm": 0.929}

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

# Table 2: Tox21, mean test AUC over the 12 tasks (x 100) by number of hidden layers
# (ResNet: residual blocks; 32 blocks were not run), as (mean, error bar over 5 repetitions
# of the whole procedure).
TOX21_DEPTHS = (2, 3, 4, 6, 8, 16, 32)
TOX21_AUC = {
    "snn_mlp": ((83.7, 0.3), (84.4, 0.5), (84.2, 0.4), (83.9, 0.5), (84.5, 0.2), (83.5, 0.5),
                (82.5, 0.7)),
    "batchnorm_mlp": ((80.0, 0.5), (79.8, 1.6), (77.2, 1.1), (77.0, 1.7), (75.0, 0.9),
                      (73.7, 2.0), (76.0, 1.1)),
    "weightnorm_mlp": ((83.7, 0.8), (82.9, 0.8), (82.2, 0.9), (82.5, 0.6), (81.9, 1.2),
                       (78.1, 1.3), (56.6, 2.6)),
    "layernorm_mlp": ((84.3, 0.3), (84.3, 0.5), (84.0, 0.2), (82.5, 0.8), (80.9, 1.8),
                      (78.7, 2.3), (78.8, 0.8)),
    "highway_mlp": ((83.3, 0.9), (83.0, 0.5), (82.6, 0.9), (82.4, 0.8), (80.3, 1.4),
                    (80.3, 2.4), (79.6, 0.8)),
    "msra_mlp": ((82.7, 0.4), (81.6, 0.9), (81.1, 1.7), (80.6, 0.6), (80.9, 1.1), (80.2, 1.1),
                 (80.4, 1.9)),
    "resnet_mlp": ((82.2, 1.1), (80.0, 2.0), (80.5, 1.2), (81.2, 0.7), (81.8, 0.6), (81.2, 0.6),
                   None),
}

# Section 4 (Tox21): a single SNN reached a test AUC of 0.845 +/- 0.003 (Table 2's best
# cell prints 84.5 +/- 0.2), against 0.846 for DeepTox, the challenge-winning ensemble.
TOX21_SINGLE_SNN_AUC = (0.845, 0.003)
TOX21_DEEPTOX_AUC = 0.846
