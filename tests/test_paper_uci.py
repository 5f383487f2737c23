"""The UCI-121 pipeline of Table 1: data set choice, select-then-evaluate, ranking, report."""

import csv

import numpy as np
import pytest
from scipy.stats import pearsonr

from snn.comparison import compare_methods
from snn.config import load_config
from snn.data.uci121 import load_uci121
from snn.errors import ConfigError, DataError
from snn.paper.uci import comparison_tables, format_comparison, paper_agreement
from snn.paper.uci import reproduce_uci, select_datasets, table_a11
from snn.report import write_report
from conftest import ROOT
from snn.util.files import read_json

CONFIGS = [ROOT / "configs" / "paper" / "uci" / f"{name}.yaml" for name in ("snn", "msra")]
TINY = ["sweep.grid={model.depth: [1, 2]}", "model.units=16", "training.epochs=2"]


def test_a_count_picks_complete_sets_evenly_spread_by_size(shared_data):
    names = select_datasets(shared_data / "uci121", count=3, max_rows=5000)
    # The 103 complete sets of at most 5,000 rows, by size (then name), run from 'trains'
    # (10 rows) to 'waveform-noise' (5,000); the middle one, index 51, is 'cylinder-bands'
    # (512 rows) (../shared/data/uci121 metadata).
    assert names == ["trains", "cylinder-bands", "waveform-noise"]
    assert len(select_datasets(shared_data / "uci121")) == 116


def test_unknown_or_incomplete_named_sets_are_refused(shared_data):
    with pytest.raises(DataError, match="no UCI-121 set 'irises'"):
        select_datasets(shared_data / "uci121", names=["iris", "irises"])
    with pytest.raises(DataError, match="'adult' is incomplete"):
        select_datasets(shared_data / "uci121", names=["adult"])


def test_a_comparison_without_the_snn_is_refused_before_training(tmp_path):
    svm = ROOT / "configs" / "paper" / "uci" / "svm.yaml"
    with pytest.raises(ConfigError, match="methods: none is snn_mlp"):
        reproduce_uci([(svm, [])], ["iris"], tmp_path, workers=1, verbose=0)
    assert not any(tmp_path.iterdir())


def test_methods_are_selected_in_each_fold_scored_on_its_test_rows_and_ranked(
        shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("SNN_DATA_DIR", str(shared_data))
    methods = [(config, [*TINY, "evaluation.folds=2"]) for config in CONFIGS]
    result = reproduce_uci(methods, ["iris", "seeds"], tmp_path, workers=1, verbose=0)
    scores = {}
    for dataset in ("iris", "seeds"):
        folds = load_uci121(dataset, shared_data / "uci121")[2].folds
        for method in ("snn_mlp", "msra_mlp"):
            sweep_dir = tmp_path / dataset / method
            sweep = read_json(sweep_dir / "sweep.json")
            runs = {path.name: read_json(path / "metrics.json")
                    for path in sweep_dir.iterdir() if (path / "metrics.json").is_file()}
            assert len(runs) == 2 and len(sweep["folds"]) == 2
            for number, (choice, (training, test)) in enumerate(zip(sweep["folds"], folds)):
                # The fold's choice is the best validation accuracy of that fold...
                values = {name: run["folds"][number]["validation"]["accuracy"]
                          for name, run in runs.items()}
                assert choice["value"] == max(values.values())
                chosen = runs[choice["selected"]]["folds"][number]
                assert choice["test"] == chosen["test"]
                # ... on rows of the fold's training rows, none of its test rows.
                with np.load(sweep_dir / choice["selected"] / f"fold_{number + 1}" /
                             "splits.npz") as rows:
                    assert np.array_equal(rows["test"], np.sort(test))
                    seen = np.concatenate([rows["train"], rows["validation"]])
                    assert np.array_equal(np.sort(seen), np.sort(training))
            scores.setdefault(method, {})[dataset] = np.mean(
                [fold["test"]["accuracy"] for fold in sweep["folds"]])
            assert sweep["test"]["accuracy"] == pytest.approx(scores[method][dataset])
    assert result["scores"].keys() == scores.keys()
    for method, ours in scores.items():
        assert result["scores"][method] == pytest.approx(ours)
    assert result["datasets"] == ["iris", "seeds"]
    assert result["comparison"] == compare_methods(result["scores"], "snn_mlp")
    with open(tmp_path / "results.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["dataset"], row["method"]) for row in rows] == [
        ("iris", "snn_mlp"), ("iris", "msra_mlp"), ("seeds", "snn_mlp"), ("seeds", "msra_mlp")]
    assert all(len(row["selected"].split(";")) == 2 for row in rows)
    report = write_report(tmp_path).read_text()
    assert "| SNN |" in report and "| -0.756 |" in report  # the paper's column
    assert (tmp_path / "report_accuracy.png").is_file()


@pytest.mark.parametrize("config", sorted((ROOT / "configs" / "paper" / "uci").glob("*.yaml")),
                         ids=lambda path: path.stem)
def test_every_uci_config_selects_within_the_fixed_folds(config):
    # The paper's protocol needs no test row for selection: nested over the fixed folds.
    loaded = load_config(config)
    assert loaded.evaluation.protocol == "uci121" and loaded.sweep.nested
    assert loaded.data.validation_fraction == 0.15  # Appendix A4.1


def test_table_a11_holds_the_papers_121_sets_75_small_and_46_large():
    table = table_a11()
    assert len(table) == 121
    # Appendix A4.2: 75 sets with fewer than 1,000 rows, 46 with at least 1,000.
    assert sum(entry["rows"] < 1000 for entry in table.values()) == 75
    assert table["abalone"]["rows"] == 4177 and table["abalone"]["snn_mlp"] == 0.6657
    assert table["trains"]["snn_mlp"] is None and table["trains"]["layernorm_mlp"] == 1.0


def test_our_accuracies_are_set_beside_table_a11_with_their_correlation():
    paper = table_a11()
    sets = ["abalone", "iris", "seeds"]
    offsets = [0.01, -0.02, 0.03]
    ours = {name: paper[name]["snn_mlp"] + offset for name, offset in zip(sets, offsets)}
    agreement = paper_agreement({"snn_mlp": ours}, paper)["snn_mlp"]
    assert agreement["sets"] == 3
    assert agreement["mean_absolute_difference"] == pytest.approx(0.02)
    expected = pearsonr([ours[name] for name in sets], [paper[name]["snn_mlp"] for name in sets])
    assert agreement["pearson"] == pytest.approx(expected.statistic)


def test_reference_methods_are_ranked_with_the_snn_apart_from_the_networks():
    scores = {"snn_mlp": {"abalone": 0.66, "iris": 0.97, "seeds": 0.9},
              "msra_mlp": {"abalone": 0.64, "iris": 0.95, "seeds": 0.92},
              "svm": {"abalone": 0.65, "iris": 0.98, "seeds": 0.8}}
    tables = comparison_tables(scores)
    assert {row["method"] for row in tables["comparison"]} == {"snn_mlp", "msra_mlp"}
    assert {row["method"] for row in tables["references"]} == {"snn_mlp", "svm"}
    # Abalone has 4,177 rows, iris 150 and seeds 210 (Table A11).
    assert tables["by_size"]["large (N >= 1000)"]["datasets"] == ["abalone"]
    assert tables["by_size"]["small (N < 1000)"]["datasets"] == ["iris", "seeds"]
    small = tables["by_size"]["small (N < 1000)"]["comparison"]
    assert {row["method"]: row["mean_rank"] for row in small} == {"snn_mlp": 1.5,
                                                                  "msra_mlp": 1.5}
    assert tables["per_set"]["iris"]["msra_mlp"] == [0.95, table_a11()["iris"]["msra_mlp"]]
    text = "\n".join(format_comparison(tables))
    assert "### The SNN against reference methods" in text and "| SVM |" in text
    assert f"| iris | 150 | 0.9700 / {table_a11()['iris']['snn_mlp']:.4f} |" in text
