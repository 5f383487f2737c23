"""Every notebook runs top to bottom against the installed package."""

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path, monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code"
               for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "its plots are drawn"
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    for expected in EXPECTED_OUTPUT[path.name]:
        assert expected in printed, expected


# What each notebook must print: results a reader relies on.
EXPECTED_OUTPUT = {
    "quickstart.ipynb": ["test accuracy: 0.9"],
    "self_normalization.ipynb": [
        "alpha = 1.67326324235437", "spectral norm: 0.7877",
        "omega=0.0: alpha=2.326991 scale=0.982180 -> LeCun network settles at (-0.100, 2.000)",
        "[kernel-variance] he_init", "[normalization] batch_norm", "[dropout] plain_dropout",
        "[input-scale] inputs", "snn_mlp findings: []",
    ],
}
