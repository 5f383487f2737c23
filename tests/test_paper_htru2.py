"""Table 3's pipeline: per-method nested cross-validation on HTRU2, Wilcoxon tests vs SNN."""

import csv

import numpy as np
import pytest
from scipy.stats import wilcoxon

from conftest import ROOT
from snn.config import load_config
from snn.errors import ConfigError, TrainingError
from snn.paper.htru2 import format_comparison, reproduce_htru2
from snn.paper.results import HTRU2_AUC
from snn.report import write_report
from snn.util.files import read_json

FOLDER = ROOT / "configs" / "paper" / "htru2"
FOLDS = 4
# A small HTRU2-shaped table keeps this fast: tiny networks, 2 epochs, 4 folds.
TINY = ["model.units=8", "training.epochs=2", f"evaluation.folds={FOLDS}",
        "data.path=htru2_head.csv"]


@pytest.fixture
def htru2_head(shared_data, tmp_path, monkeypatch):
    """The first 600 rows of HTRU2 (47 pulsars), under a data directory of their own."""
    lines = (shared_data / "htru2" / "HTRU_2.csv").read_text().splitlines()[:600]
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "htru2_head.csv").write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("SNN_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "out"


def test_each_fold_chooses_on_the_fold_before_it_and_every_method_is_tested_against_snn(
        htru2_head):
    methods = [(FOLDER / "snn.yaml", [*TINY, "sweep.grid={model.depth: [1, 2]}"]),
               (FOLDER / "msra.yaml", [*TINY, "sweep.grid={model.depth: [1]}"]),
               (FOLDER / "naive_bayes.yaml", TINY[-2:])]
    comparison = reproduce_htru2(methods, htru2_head, workers=1, verbose=0)
    tests, test_rows = {}, {}
    for method in ("snn_mlp", "msra_mlp", "naive_bayes"):
        sweep_dir = htru2_head / method
        sweep = read_json(sweep_dir / "sweep.json")
        runs = {path.name: read_json(path / "metrics.json")
                for path in sweep_dir.iterdir() if (path / "metrics.json").is_file()}
        tested = []
        for number, choice in enumerate(sweep["folds"]):
            # The fold's choice is the best validation AUC of that fold ...
            values = {name: run["folds"][number]["validation"]["auc"]
                      for name, run in runs.items()}
            assert choice["value"] == max(values.values())
            # ... whose validation rows are the previous fold's test rows (A4.4).
            fold = sweep_dir / choice["selected"] / f"fold_{number + 1}" / "splits.npz"
            before = sweep_dir / choice["selected"] / f"fold_{(number - 1) % FOLDS + 1}" / \
                "splits.npz"
            with np.load(fold) as rows, np.load(before) as previous:
                assert np.array_equal(rows["validation"], previous["test"])
                assert not set(rows["test"]) & set(np.concatenate([rows["train"],
                                                                  rows["validation"]]))
                tested.append(rows["test"])
            assert choice["test"] == runs[choice["selected"]]["folds"][number]["test"]
        tests[method] = [choice["test"]["auc"] for choice in sweep["folds"]]
        test_rows[method] = tested
    for method in ("msra_mlp", "naive_bayes"):  # every method is tested on the SNN's folds
        for mine, its in zip(test_rows[method], test_rows["snn_mlp"]):
            assert np.array_equal(mine, its)
    rows = {row["method"]: row for row in comparison["methods"]}
    for method, aucs in tests.items():
        assert comparison["folds"][method] == aucs
        assert rows[method]["auc"] == pytest.approx(np.mean(aucs))
        assert rows[method]["std"] == pytest.approx(np.std(aucs, ddof=1))
        expected = None if method == "snn_mlp" else wilcoxon(tests["snn_mlp"], aucs).pvalue
        assert rows[method]["p_value"] == pytest.approx(expected)
    assert rows["snn_mlp"]["paper_auc"] == HTRU2_AUC["snn_mlp"][0]
    assert rows["msra_mlp"]["paper_p_value"] == 3.5e-01
    assert rows["naive_bayes"]["paper_auc"] == 0.976 and rows["naive_bayes"]["paper_std"] is None
    with open(htru2_head / "results.csv") as handle:
        assert len(list(csv.DictReader(handle))) == 3 * FOLDS
    text = (htru2_head / "comparison.md").read_text()
    assert text == "\n".join(format_comparison(comparison)) + "\n"
    assert "| NB | " in text and "| 0.9760 |  |  |" in text  # the literature's NB, no std or p
    report = write_report(htru2_head).read_text()
    assert report.startswith("# HTRU2 comparison") and text.splitlines()[2] in report
    assert (htru2_head / "report_folds.png").read_bytes().startswith(b"\x89PNG")


def test_a_comparison_where_no_run_completes_names_the_first_failure(htru2_head):
    methods = [(FOLDER / "snn.yaml", [*TINY[:-1], "data.path=missing.csv",
                                      "sweep.grid={model.depth: [1]}"])]
    with pytest.raises(TrainingError, match=r"none of the 1 runs completed; the first "
                                            r"failure, .*depth=1: data.path: .*missing.csv"):
        reproduce_htru2(methods, htru2_head, workers=1, verbose=0)
    assert not (htru2_head / "comparison.json").exists()


def test_a_comparison_without_the_snn_or_with_a_plain_sweep_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="methods: none is snn_mlp"):
        reproduce_htru2([(FOLDER / "svm.yaml", [])], tmp_path, workers=1, verbose=0)
    with pytest.raises(ConfigError, match="snn.yaml: sweep.nested is false"):
        reproduce_htru2([(FOLDER / "snn.yaml", ["sweep.nested=false"])], tmp_path,
                        workers=1, verbose=0)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("config", sorted(FOLDER.glob("*.yaml")), ids=lambda path: path.stem)
def test_every_htru2_config_is_nested_10_fold_with_the_previous_fold_validating(config):
    loaded = load_config(config)
    assert (loaded.evaluation.protocol, loaded.evaluation.folds) == ("kfold", 10)
    assert loaded.evaluation.validation == "previous_fold" and loaded.sweep.nested
    assert loaded.sweep.selection == ("auc", "max")  # on the validation fold
