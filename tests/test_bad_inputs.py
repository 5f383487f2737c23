"""The bad-input corpus (tests/bad_inputs/): every mistake a user can make in a config, a
data file, a path or a saved model gets one clear line and exit status 2 from the CLI.

Each case is a directory holding its files and `case.yaml`: `command` (the `snn` arguments,
run in a copy of the directory), `expect` (a phrase of the error line; `{dir}` stands for
the copy's absolute path) and optionally `fsize_limit` (bytes a process may write to one
file, to simulate a full disk) and `writes_run_dir` (why the mistake can only show once
the run directory is being written; other cases must leave every file and directory as
they found them, `run/` included). Cases run through `snn.cli.main`, the console script's
entry point, in this process (a fresh process per case would cost the suite minutes of
start-up; tests/test_cli.py checks whole processes); a case with a file-size limit runs as
its own process, since the limit holds for a whole process.
"""

import os
import resource
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = sorted(path.name for path in CORPUS.iterdir() if path.is_dir())
RUN_DIR = "run"  # where a case's command may write


def _tree(directory, run_dir_too):
    """{relative path: None for a directory, (inode, bytes) for a file} of everything under
    `directory`; with `run_dir_too` false, the run directory is left out."""
    return {str(path.relative_to(directory)):
            None if path.is_dir() else (path.stat().st_ino, path.read_bytes())
            for path in directory.rglob("*")
            if run_dir_too or path.relative_to(directory).parts[0] != RUN_DIR}


def _in_a_process(arguments, work, limit):
    environment = {key: value for key, value in os.environ.items() if key != "SNN_DATA_DIR"}
    result = subprocess.run(
        [sys.executable, "-m", "snn", *arguments], cwd=work, capture_output=True, text=True,
        timeout=300, env=environment,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
    return result.returncode, result.stderr


def test_the_corpus_covers_at_least_forty_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES)
def test_a_bad_input_is_one_line_exit_2_and_leaves_nothing_finished(case, tmp_path, snn_cli,
                                                                   monkeypatch):
    spec = yaml.safe_load((CORPUS / case / "case.yaml").read_text())
    work = tmp_path / case
    shutil.copytree(CORPUS / case, work)
    # Only a case that says why may write its run directory; nothing else is ever written.
    run_dir_too = "writes_run_dir" not in spec
    before = _tree(work, run_dir_too)
    arguments = shlex.split(spec["command"])
    if "fsize_limit" in spec:
        status, stderr = _in_a_process(arguments, work, spec["fsize_limit"])
    else:
        monkeypatch.delenv("SNN_DATA_DIR", raising=False)
        result = snn_cli(*arguments, cwd=work)
        status, stderr = result.returncode, result.stderr
    lines = stderr.splitlines()
    assert status == 2, stderr
    assert len(lines) == 1 and lines[0].startswith("snn: error: "), stderr
    assert spec["expect"].replace("{dir}", str(work)) in lines[0]
    assert _tree(work, run_dir_too) == before
    for status_file in (work / RUN_DIR).rglob("status.json"):
        assert yaml.safe_load(status_file.read_text())["status"] == "failed"


def test_only_a_full_disk_may_write_the_run_directory():
    writers = {case for case in CASES
               if "writes_run_dir" in yaml.safe_load((CORPUS / case / "case.yaml").read_text())}
    assert writers == {"disk_full"}
