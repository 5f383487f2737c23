"""The bad-input corpus (tests/bad_inputs/): every mistake a user can make in a config, a
data file, a path or a saved model gets one clear line and exit status 2, through the CLI.

Each case is a directory holding its files and `case.yaml`: `command` (the `snn` arguments,
run in a copy of the directory), `expect` (a phrase of the error line; `{dir}` stands for
the copy's absolute path) and optionally
`fsize_limit` (bytes a process may write to one file, to simulate a full disk).
"""

import os
import resource
import shlex
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = sorted(path.name for path in CORPUS.iterdir() if path.is_dir())
RUN_DIR = "run"  # where a case's command may write


def _files(directory):
    """{relative path: (size, mtime)} of every file outside the run directory."""
    return {str(path.relative_to(directory)): (path.stat().st_size, path.stat().st_mtime_ns)
            for path in directory.rglob("*")
            if path.is_file() and path.relative_to(directory).parts[0] != RUN_DIR}


def _run(case, root):
    spec = yaml.safe_load((CORPUS / case / "case.yaml").read_text())
    work = root / case
    shutil.copytree(CORPUS / case, work)
    before = _files(work)
    limit = spec.get("fsize_limit")
    environment = {key: value for key, value in os.environ.items() if key != "SNN_DATA_DIR"}
    result = subprocess.run(
        [sys.executable, "-m", "snn", *shlex.split(spec["command"])], cwd=work,
        capture_output=True, text=True, timeout=300, env=environment,
        preexec_fn=limit and (lambda: resource.setrlimit(resource.RLIMIT_FSIZE,
                                                          (limit, limit))))
    return spec, work, before, result


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Every case, run four at a time (each process spends most of its time importing)."""
    root = tmp_path_factory.mktemp("bad_inputs")
    with ThreadPoolExecutor(4) as pool:
        return dict(zip(CASES, pool.map(lambda case: _run(case, root), CASES)))


def test_the_corpus_covers_at_least_forty_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES)
def test_a_bad_input_is_one_line_exit_2_and_leaves_nothing_finished(case, outcomes):
    spec, work, before, result = outcomes[case]
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("snn: error: "), result.stderr
    assert spec["expect"].replace("{dir}", str(work)) in lines[0]
    assert _files(work) == before  # nothing written outside the run directory
    for status in (work / RUN_DIR).rglob("status.json"):
        assert yaml.safe_load(status.read_text())["status"] != "completed"
