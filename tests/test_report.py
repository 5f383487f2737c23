"""`snn report`: Markdown and PNG for a run, a sweep (with the paper's numbers) and errors."""

import pytest
import yaml

from snn.config import parse_config
from snn.errors import RunDirError
from snn.report import write_report
from snn.sweeps import plan_sweep, run_sweep
from snn.training import train

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_a_run_report_has_its_metrics_and_training_curves(tmp_path):
    config = parse_config({
        "name": "iris", "data": {"source": "sklearn", "name": "iris"},
        "model": {"name": "snn_mlp", "depth": 2, "units": 8},
        "training": {"epochs": 2, "batch_size": 16}, "evaluation": {"protocol": "kfold",
                                                                    "folds": 3}})
    metrics = train(config, tmp_path / "run", verbose=0)
    report = write_report(tmp_path / "run").read_text()
    accuracy, std = metrics["test"]["accuracy"], metrics["test_std"]["accuracy"]
    assert f"| test | {metrics['test']['loss']:.4f} ± " in report
    assert f"{accuracy:.4f} ± {std:.4f}" in report
    for number, fold in enumerate(metrics["folds"], start=1):
        assert f"| test, fold {number} | {fold['test']['loss']:.4f} |" in report
    assert "![training curves](report_history.png)" in report
    assert (tmp_path / "run" / "report_history.png").read_bytes().startswith(PNG_MAGIC)


def test_a_sweep_report_names_the_selected_run_and_plots_the_metric(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({
        "name": "bc", "data": {"source": "sklearn", "name": "breast_cancer"},
        "model": {"name": "snn_mlp", "depth": 1, "units": 8, "output_activation": "sigmoid"},
        "training": {"epochs": 2, "batch_size": 32},
        "sweep": {"grid": {"model.name": ["snn_mlp", "msra_mlp"]},
                  "select": "validation auc max"}}))
    result = run_sweep(plan_sweep(path), tmp_path / "out", workers=1, verbose=0)
    report = write_report(tmp_path / "out").read_text()
    value = result.outcomes[result.selected].metrics["validation"]["auc"]
    assert f"Selected **{result.selected}** (validation auc {value:.4f})" in report
    assert (tmp_path / "out" / "report_sweep.png").read_bytes().startswith(PNG_MAGIC)


def test_a_reference_method_run_has_a_report_without_training_curves(tmp_path):
    config = parse_config({"name": "svm", "data": {"source": "sklearn", "name": "wine"},
                           "model": {"name": "svm"}})
    metrics = train(config, tmp_path / "run", verbose=0)
    report = write_report(tmp_path / "run").read_text()
    assert f"| test | {metrics['test']['loss']:.4f} | {metrics['test']['accuracy']:.4f} |" \
        in report  # one split: no standard deviation
    assert "training curves" not in report and not (tmp_path / "run" /
                                                    "report_history.png").exists()


def test_an_unfinished_sweep_says_so(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({
        "name": "iris", "data": {"source": "sklearn", "name": "iris"},
        "model": {"depth": 1, "units": 8}, "training": {"epochs": 1},
        "sweep": {"grid": {"model.depth": [1, 2]}}}))
    run_sweep(plan_sweep(path), tmp_path / "out", workers=1, verbose=0)
    (tmp_path / "out" / "sweep.json").unlink()
    assert "**The sweep has not finished**" in write_report(tmp_path / "out").read_text()


def test_a_directory_without_results_is_a_one_line_cli_error(tmp_path, snn_cli):
    with pytest.raises(RunDirError, match="holds no finished run"):
        write_report(tmp_path)
    result = snn_cli("report", tmp_path / "missing", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == f"snn: error: {tmp_path / 'missing'}: no such directory"


