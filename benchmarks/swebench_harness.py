"""What SWE-bench 5.0.2's own harness costs per graded prediction, on the published demo rows.

Builds, validates and publishes (dry run) the sample as the demo does, reusing images, unless
`--dataset` names a published `train.jsonl` whose images are on the engine; then runs
`python -m swebench.harness.run_evaluation --predictions_path gold` on it (swebench==5.0.2 in a
virtualenv of its own, made once under the cache folder) and prints, per prediction, the wall time
the harness spent on it (its run_instance.log, container creation to removal), the time its
eval script ran (the harness's "Test runtime": our reset, test patch and tests), and the rest,
which is the harness's own cost; then the means and the grades per hour per worker. The whole
run's wall time per prediction (process start, dataset loading and reporting included) is
printed too. These are the numbers to put beside `swegym-build evaluate`'s on the same rows.

    python benchmarks/swebench_harness.py [--workers 1] [--dataset PATH] [--repeat 1]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import tempfile
from datetime import datetime
from pathlib import Path

from swegym_build.containment import ContainerLimits
from swegym_build.demo import mine_sample
from swegym_build.dockerio import engine_client
from swegym_build.executors import LocalExecutor
from swegym_build.handoff import read_versioned
from swegym_build.images.stage import run_build
from swegym_build.publish.stage import PublishOptions, run_publish
from swegym_build.state import StateStore
from swegym_build.testing.swebench_harness import VERSION, run_evaluation, swebench_python
from swegym_build.validate.stage import ValidateOptions, run_validate
from swegym_build.versions.stage import run_versions
from swegym_build.workspace import Workspace

DEFAULT_VENV_DIR = Path(__file__).resolve().parents[1] / "data" / "cache" / "swebench-harness"
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) - ", re.M)
_STOP = re.compile(
    r"^(\S+ \S+) - INFO - Attempting to stop container .*?^(\S+ \S+) - INFO - Container \S+ stopped",
    re.M | re.S,
)
_TEST_RUNTIME = re.compile(r"Test runtime: ([\d_.]+) seconds")


def published_demo(folder: Path) -> Path:
    """The sample built, validated (one run a side) and published as a dry run; its train.jsonl."""
    client = engine_client(check=False)
    workspace = Workspace.resolve(folder / "ws")
    mine_sample(workspace)
    state = StateStore(workspace.state_db)
    run_versions(workspace, state)
    instances = read_versioned(workspace, None, None)
    run_build(client, workspace, state, instances, executor=LocalExecutor(2))
    options = ValidateOptions(runs=1, limits=ContainerLimits(timeout=20.0))
    run_validate(workspace, state, instances, options, LocalExecutor(2))
    publish = PublishOptions(repo_id="bench/swebench", namespace="bench", dry_run=True)
    return run_publish(workspace, state, publish).export.folder / "jsonl" / "train.jsonl"


def _time(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f")


def instance_times(log: str) -> tuple[float, float, float]:
    """From run_instance.log: (wall seconds, first line to last; eval script seconds; seconds
    `docker stop` took, which waits out its 15 s grace because the container's PID 1,
    `tail -f /dev/null`, ignores SIGTERM)."""
    stamps = [_time(stamp) for stamp in _STAMP.findall(log)]
    runtime, stop = _TEST_RUNTIME.search(log), _STOP.search(log)
    if len(stamps) < 2 or runtime is None or stop is None:
        raise RuntimeError("run_instance.log lacks timestamps, the test runtime or the stop; did it run?")
    stopping = (_time(stop.group(2)) - _time(stop.group(1))).total_seconds()
    return (stamps[-1] - stamps[0]).total_seconds(), float(runtime.group(1).replace("_", "")), stopping


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=1, help="the harness's --max_workers")
    parser.add_argument("--dataset", type=Path, help="a published train.jsonl (default: publish the demo)")
    parser.add_argument("--repeat", type=int, default=1, help="grade the rows this many times")
    parser.add_argument("--venv-dir", type=Path, default=DEFAULT_VENV_DIR)
    args = parser.parse_args()
    python = swebench_python(args.venv_dir)
    folder = Path(tempfile.mkdtemp(prefix="swegym-bench-swebench-"))
    try:
        dataset = args.dataset or published_demo(folder)
        per_instance: list[tuple[str, float, float, float]] = []
        run_walls: list[float] = []
        for number in range(args.repeat):
            run = run_evaluation(python, dataset, "gold", f"bench-{number}", folder / f"run-{number}",
                                 workers=args.workers)  # fmt: skip
            if run.summary["unresolved_ids"] or run.summary["error_ids"]:
                raise SystemExit(f"gold did not resolve every row:\n{run.output[-3000:]}")
            ids = run.summary["completed_ids"]
            run_walls.append(run.wall_seconds / len(ids))
            for instance_id in ids:
                times = instance_times((run.logs / instance_id / "run_instance.log").read_text())
                per_instance.append((instance_id, *times))
        print(f"SWE-bench {VERSION} harness, gold predictions, --max_workers {args.workers}\n")
        print(f"{'instance':32} {'wall s':>8} {'eval.sh s':>10} {'harness s':>10} {'of it stop s':>13}")
        for instance_id, wall, tests, stopping in per_instance:
            print(f"{instance_id:32} {wall:8.2f} {tests:10.2f} {wall - tests:10.2f} {stopping:13.2f}")
        walls = [wall for _, wall, _, _ in per_instance]
        harness = [wall - tests for _, wall, tests, _ in per_instance]
        stops = [stopping for _, _, _, stopping in per_instance]
        print(
            f"\n{len(per_instance)} graded predictions: harness seconds per prediction (wall minus "
            f"eval script) mean {statistics.mean(harness):.2f}, median {statistics.median(harness):.2f} "
            f"(docker stop: mean {statistics.mean(stops):.2f}); wall per prediction mean "
            f"{statistics.mean(walls):.2f}"
        )
        print(
            f"whole run (process, dataset, report included): {statistics.mean(run_walls):.2f} s wall "
            f"per prediction with {args.workers} worker(s)"
        )
        print(f"grades per hour per worker: {3600 / statistics.mean(walls):.0f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
