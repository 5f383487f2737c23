"""The UCI-121 pipeline of Table 1: data set choice, select-then-evaluate, ranking, report."""

import csv
import json

import pytest

from snn.comparison import compare_methods
from snn.errors import ConfigError, DataError
from snn.paper.uci import reproduce_uci, select_datasets
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


def test_methods_are_selected_evaluated_on_the_4_folds_and_ranked(shared_data, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setenv("SNN_DATA_DIR", str(shared_data))
    methods = [(config, TINY) for config in CONFIGS]
    result = reproduce_uci(methods, ["iris", "seeds"], tmp_path, workers=1, verbose=0)
    scores = {}
    for dataset in ("iris", "seeds"):
        for method in ("snn_mlp", "msra_mlp"):
            sweep = json.loads((tmp_path / dataset / method / "sweep.json").read_text())
            final = read_json(tmp_path / dataset / method / "final" / "metrics.json")
            assert final["protocol"] == "uci121" and len(final["folds"]) == 4
            selection = read_json(tmp_path / dataset / method / sweep["selected"] /
                                       "metrics.json")
            assert selection["protocol"] == "uci121_selection"
            scores.setdefault(method, {})[dataset] = final["test"]["accuracy"]
    assert result["scores"] == scores and result["datasets"] == ["iris", "seeds"]
    assert result["comparison"] == compare_methods(scores, "snn_mlp")
    with open(tmp_path / "results.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["dataset"], row["method"]) for row in rows] == [
        ("iris", "snn_mlp"), ("iris", "msra_mlp"), ("seeds", "snn_mlp"), ("seeds", "msra_mlp")]
    report = write_report(tmp_path).read_text()
    assert "| SNN |" in report and "| -0.756 |" in report  # the paper's column
    assert (tmp_path / "report_accuracy.png").is_file()
