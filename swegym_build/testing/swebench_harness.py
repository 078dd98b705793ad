"""SWE-bench's own harness (PyPI `swebench`), in a virtualenv of its own, run on our published rows.

The tests and benchmarks/swebench_harness.py grade our rows with the real harness, never with a
copy of it; it lives outside the project's environment because its dependencies are its own.
The virtualenv is made once per folder (file-locked, so parallel sessions share it) and reused
while it still imports the pinned version.
"""

from __future__ import annotations

import fcntl
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VERSION = "5.0.2"
REQUIREMENT = f"swebench=={VERSION}"
INSTALL_TIMEOUT = 1800
_SWEBENCH_VERSION = "import importlib.metadata as m; print(m.version('swebench'))"


def swebench_python(folder: Path) -> Path:
    """The Python of a virtualenv in `folder` with `swebench==VERSION` installed from PyPI."""
    folder.mkdir(parents=True, exist_ok=True)
    python = folder / "venv" / "bin" / "python"
    with open(folder / "install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed_version(python) == VERSION:
            return python
        shutil.rmtree(folder / "venv", ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(folder / "venv")], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, REQUIREMENT], check=True, timeout=INSTALL_TIMEOUT)
        if _installed_version(python) != VERSION:
            raise RuntimeError(f"{REQUIREMENT} did not install into {folder / 'venv'}")
    return python


def _installed_version(python: Path) -> str | None:
    if not python.exists():
        return None
    found = subprocess.run([str(python), "-c", _SWEBENCH_VERSION], capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 else None


@dataclass(frozen=True)
class HarnessRun:
    """One `swebench.harness.run_evaluation` run: its summary report and where its logs are."""

    summary: dict[str, Any]
    logs: Path  # logs/run_evaluation/<run_id>/<model>/
    wall_seconds: float
    output: str

    def instance_report(self, instance_id: str) -> dict[str, Any]:
        report: dict[str, dict[str, Any]] = json.loads((self.logs / instance_id / "report.json").read_text())
        return report[instance_id]


def run_evaluation(
    python: Path,
    dataset: Path,
    predictions: str | Path,
    run_id: str,
    workdir: Path,
    *,
    model: str = "gold",
    workers: int = 1,
    timeout: int = 600,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> HarnessRun:
    """`python -m swebench.harness.run_evaluation` on a local dataset file, in `workdir`.

    `predictions` is `"gold"` or a predictions file whose `model_name_or_path` is `model`. The
    harness writes its logs under `workdir/logs/` and the summary to `workdir/<model>.<run_id>.json`.
    Raises `RuntimeError` with the harness's output when it exits non-zero.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    open_files = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    limit = 4096 if open_files == resource.RLIM_INFINITY else min(4096, open_files)
    command = [
        str(python), "-m", "swebench.harness.run_evaluation",
        "--dataset_name", str(dataset), "--predictions_path", str(predictions), "--run_id", run_id,
        "--max_workers", str(workers), "--timeout", str(timeout), "--open_file_limit", str(limit),
        "--report_dir", str(workdir), *extra_args,
    ]  # fmt: skip
    # A local dataset file needs no hub; offline, nothing can reach for one.
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", **(env or {})}
    started = time.monotonic()
    done = subprocess.run(command, cwd=workdir, env=environment, capture_output=True, text=True)
    wall = time.monotonic() - started
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise RuntimeError(f"run_evaluation exited with {done.returncode}:\n{output[-5000:]}")
    summary = json.loads((workdir / f"{model.replace('/', '__')}.{run_id}.json").read_text())
    logs = workdir / "logs" / "run_evaluation" / run_id / model.replace("/", "__")
    return HarnessRun(summary, logs, wall, output)
