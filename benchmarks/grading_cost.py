"""Harness seconds per graded prediction: `swegym_build.evaluate.grade` beside SWE-bench 5.0.2's
own harness, on the same published demo rows, the same gold predictions, in one run.

Ours: wall time of `grade(row, gold patch)` minus the test command's own run time. SWE-bench's:
the wall time its run_instance.log spans minus its eval script's run time ("Test runtime", which
also holds the reset and the test patch's application, so its figure is if anything too low).
One worker each, predictions one after the other.

    python benchmarks/grading_cost.py [--dataset PATH] [--repeat 2] [--venv-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
from pathlib import Path

from swebench_harness import DEFAULT_VENV_DIR, instance_times, published_demo  # beside this script

from swegym_build.dockerio import engine_client
from swegym_build.evaluate import grade
from swegym_build.testing.swebench_harness import VERSION, run_evaluation, swebench_python


def ours(rows: list[dict[str, object]], repeat: int) -> list[tuple[str, float, float]]:
    client = engine_client()
    graded = []
    for _ in range(repeat):
        for row in rows:
            report = grade(row, str(row["patch"]), model="gold", client=client)
            if not report.resolved:
                raise SystemExit(f"{row['instance_id']}: gold not resolved by grade(): {report.reason}")
            graded.append((str(row["instance_id"]), report.seconds, report.test_seconds))
    return graded


def theirs(dataset: Path, repeat: int, venv_dir: Path, folder: Path) -> list[tuple[str, float, float]]:
    python = swebench_python(venv_dir)
    graded = []
    for number in range(repeat):
        run = run_evaluation(python, dataset, "gold", f"bench-cost-{number}", folder / f"run-{number}")
        if run.summary["unresolved_ids"] or run.summary["error_ids"]:
            raise SystemExit(f"SWE-bench: gold did not resolve every row:\n{run.output[-3000:]}")
        for instance_id in run.summary["completed_ids"]:
            wall, tests, _ = instance_times((run.logs / instance_id / "run_instance.log").read_text())
            graded.append((instance_id, wall, tests))
    return graded


def _line(name: str, graded: list[tuple[str, float, float]]) -> str:
    harness = [wall - tests for _, wall, tests in graded]
    walls = [wall for _, wall, _ in graded]
    return (
        f"{name:24} {len(graded):>5} {statistics.median(harness):>10.2f} {statistics.mean(harness):>10.2f} "
        f"{statistics.mean(walls):>8.2f} {3600 / statistics.mean(walls):>12.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", type=Path, help="a published train.jsonl (default: publish the demo)")
    parser.add_argument("--repeat", type=int, default=2, help="grade every row this many times")
    parser.add_argument("--venv-dir", type=Path, default=DEFAULT_VENV_DIR)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="swegym-bench-grading-"))
    try:
        dataset = args.dataset or published_demo(folder)
        rows = [json.loads(line) for line in dataset.read_text().splitlines() if line.strip()]
        mine, swebench = ours(rows, args.repeat), theirs(dataset, args.repeat, args.venv_dir, folder)
        print(f"{len(rows)} rows, gold predictions, 1 worker, {args.repeat} rounds\n")
        print(f"{'harness':24} {'grades':>5} {'median s':>10} {'mean s':>10} {'wall s':>8} {'grades/h':>12}")
        print(_line("swegym-build grade()", mine))
        print(_line(f"SWE-bench {VERSION}", swebench))
        print("\n(median/mean s: harness seconds per prediction, wall minus test time; grades/h per worker)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
