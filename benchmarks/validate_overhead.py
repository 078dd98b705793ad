"""What validation costs besides the tests themselves, on the sample world.

Builds the sample (reusing images), validates every instance with `--runs` runs a side, and
prints per instance: wall time, time inside the test commands, and the rest per run (container
create/start/stop, copying patches and logs, resetting the tree, applying patches, parsing).
The target is <= 2 s per run. Instances cut off at the time limit are left out (their wall time
is the limit, not overhead).

    python benchmarks/validate_overhead.py [--runs 3] [--workers 1]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from pathlib import Path

from swegym_build.containment import ContainerLimits
from swegym_build.demo import mine_sample
from swegym_build.dockerio import engine_client
from swegym_build.executors import LocalExecutor
from swegym_build.handoff import read_result, read_versioned
from swegym_build.images.stage import run_build
from swegym_build.state import StateStore
from swegym_build.validate.stage import ValidateOptions, run_validate
from swegym_build.versions.stage import run_versions
from swegym_build.workspace import Workspace


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=20.0, help="for the sample's hanging test")
    args = parser.parse_args()
    client = engine_client()
    folder = Path(tempfile.mkdtemp(prefix="swegym-bench-validate-"))
    try:
        workspace = Workspace.resolve(folder / "ws")
        mine_sample(workspace)
        state = StateStore(workspace.state_db)
        run_versions(workspace, state)
        instances = read_versioned(workspace, None, None)
        run_build(client, workspace, state, instances, executor=LocalExecutor(2))
        limits = ContainerLimits(timeout=args.timeout)
        options = ValidateOptions(runs=args.runs, limits=limits)
        summary = run_validate(workspace, state, instances, options, LocalExecutor(args.workers))
        print(f"{'instance':32} {'verdict':16} {'wall s':>8} {'tests s':>8} {'overhead s/run':>15}")
        for instance in instances:
            result = read_result(workspace, instance.instance_id)
            reason = result.reason if result else "?"
            wall = (result.wall_seconds if result else 0) or 0
            tests = (result.test_seconds if result else 0) or 0
            overhead = (result.overhead_per_run if result else 0) or 0
            print(f"{instance.instance_id:32} {reason:16} {wall:8.2f} {tests:8.2f} {overhead:15.3f}")
        overhead = summary.overhead_per_run
        print(
            f"\noverhead per run over {len(overhead)} instances x {args.runs} runs: "
            f"median {statistics.median(overhead):.3f} s, mean {statistics.mean(overhead):.3f} s, "
            f"max {max(overhead):.3f} s (target <= 2 s)"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
