"""The reproduction scripts end to end, on reduced settings, as a user runs them."""

import re
import subprocess
import sys

from conftest import ROOT


def _script(name, *args, cwd, data):
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / name), *map(str, args)], cwd=cwd,
        capture_output=True, text=True, timeout=900,
        env={"PATH": "/usr/bin:/bin", "SNN_DATA_DIR": str(data), "HOME": str(cwd)})


def test_reproduce_uci_prints_the_rank_table(shared_data, tmp_path):
    # The medium preset, its grid and epochs cut further by --set (which comes last).
    result = _script("reproduce_uci.py", "--medium", "--datasets", "trains,balloons",
                     "--methods", "snn,msra", "--workers", "1", "--set",
                     "sweep.grid={model.depth: [1]}", "--set", "training.epochs=2",
                     "--out-dir", tmp_path / "uci", cwd=tmp_path, data=shared_data)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("--medium: the paper's protocol")
    assert "| SNN |" in result.stdout and "| MSRAinit |" in result.stdout
    assert "2 data set(s), 2 methods" in result.stdout
    comparison = (tmp_path / "uci" / "medium" / "comparison.md").read_text()
    assert "| trains | 10 | " in comparison  # each set beside Table A11
    assert (tmp_path / "uci" / "medium" / "report.md").read_text().startswith(
        "# UCI-121 comparison")
    config = (tmp_path / "uci" / "medium" / "balloons" / "snn_mlp" / "depth=1" /
              "config.yaml").read_text()
    assert "layer_form: rectangular" in config and "units: 256" in config


def test_reproduce_uci_passes_the_ray_options_to_its_sweeps(shared_data, tmp_path):
    # An address without the Ray executor is refused where the sweeps start, in one line.
    result = _script("reproduce_uci.py", "--datasets", "iris", "--methods", "snn",
                     "--address", "auto", "--out-dir", tmp_path / "uci", cwd=tmp_path,
                     data=shared_data)
    assert result.returncode == 2
    assert result.stderr == ("snn: error: --address: got 'auto'; it names a Ray cluster, "
                             "so it needs --executor ray\n")
    assert not (tmp_path / "uci").exists()


def test_reproduce_uci_names_an_unknown_method_in_one_line(shared_data, tmp_path):
    result = _script("reproduce_uci.py", "--methods", "snn,svn", cwd=tmp_path,
                     data=shared_data)
    assert result.returncode == 2
    assert result.stderr.startswith("snn: error: --methods: no config ")
    assert len(result.stderr.strip().splitlines()) == 1
    result = _script("reproduce_uci.py", "--datasets", "0", cwd=tmp_path, data=shared_data)
    assert (result.returncode, result.stderr) == (2, "snn: error: --datasets: got 0; expected "
                                                     "a number of sets >= 1 or comma-separated "
                                                     "set names\n")


def test_reproduce_htru2_quick_prints_ours_beside_the_papers(shared_data, tmp_path):
    # --quick (depth 2 or 8), cut further: 300 rows, 3 folds, 1 epoch, SNN and naive Bayes.
    head = (shared_data / "htru2" / "HTRU_2.csv").read_text().splitlines()[:300]
    (tmp_path / "head.csv").write_text("\n".join(head) + "\n")
    result = _script("reproduce_htru2.py", "--quick", "--methods", "snn,naive_bayes",
                     "--set", f"data.path={tmp_path / 'head.csv'}", "--set",
                     "evaluation.folds=3", "--set", "training.epochs=1", "--workers", "1",
                     "--out-dir", tmp_path / "htru2", cwd=tmp_path, data=shared_data)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("--quick: the paper's protocol")
    assert "Table 3 (HTRU2), ours beside the paper's" in result.stdout
    assert re.search(r"\| SNN \| [01]\.\d{4} \| 0\.\d{4} \|  \| 0\.9803 \| 0\.010 \|  \|",
                     result.stdout)
    assert re.search(r"\| NB \| [01]\.\d{4} \| 0\.\d{4} \| [01](\.\d+)? \| 0\.9760 \|  \|  \|",
                     result.stdout)
    configs = [path.read_text() for path in
               (tmp_path / "htru2" / "quick" / "snn_mlp").glob("*/config.yaml")]
    assert len(configs) == 2 and all("units: 256" in config and "depth: 8" in config or
                                     "depth: 2" in config for config in configs)
