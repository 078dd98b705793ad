"""`--repo` / `--instances`: several names in one value, and a name the workspace lacks is an
error that names it (a typo must not select nothing and report a stage of 0 instances)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from swegym_build.jsonl import write_jsonl_atomically
from swegym_build.workspace import Workspace
from tests.publish.helpers import make_instance

REPO = "swegym-demo/calculator"


def _workspace(tmp_path: Path) -> Workspace:
    workspace = Workspace.resolve(tmp_path / "ws")
    rows = [make_instance(number).to_dict() for number in (1, 2, 3)]
    write_jsonl_atomically(workspace.raw_file(REPO), rows)
    write_jsonl_atomically(workspace.versioned_file(REPO), rows)
    return workspace


def _cli(*args: str) -> tuple[int, str]:
    """Exit code and the error output, unwrapped (the console folds long lines)."""
    done = subprocess.run([sys.executable, "-m", "swegym_build", *args], capture_output=True, text=True)
    return done.returncode, " ".join(done.stderr.split())


def test_an_unknown_instance_id_is_named_and_nothing_runs(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    for stage in ("build", "validate"):
        code, error = _cli(stage, "--workdir", str(workspace.root), "--instances",
                           "swegym-demo__calculator-1,swegym-demo__calculator-9")  # fmt: skip
        assert code == 1, error
        assert "no versioned instance is named swegym-demo__calculator-9 in" in error
        assert not (workspace.root / "built").exists()


def test_an_unknown_repository_is_named(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    code, error = _cli("build", "--workdir", str(workspace.root), "--repo", "swegym-demo/calculater")
    assert code == 1
    assert "swegym-demo/calculater: no versioned instances" in error


def test_several_ids_in_one_value_or_the_flag_repeated_select_the_same(tmp_path: Path) -> None:
    from swegym_build.cli_options import each_name
    from swegym_build.handoff import select_versioned

    workspace = _workspace(tmp_path)
    joined = each_name(["swegym-demo__calculator-1,swegym-demo__calculator-3"])
    repeated = each_name(["swegym-demo__calculator-1", "swegym-demo__calculator-3"])
    assert joined == repeated
    chosen = select_versioned(workspace, [REPO], joined)
    assert [i.instance_id for i in chosen] == ["swegym-demo__calculator-1", "swegym-demo__calculator-3"]
