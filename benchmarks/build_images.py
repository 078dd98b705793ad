"""Image sizes and build times: the sample world, and a real repository from a local clone.

For each repository: its env and instance images are removed (base images are kept and reported
apart), then built cold and built again (warm: a no-op). Printed: the env image's size, each
instance image's own bytes (what it adds to the env image: the marginal disk of one more task),
and the times. The real repository's instances are its last N first-parent commits (as base
commits); its version and spec come from the tool itself (`versions`, and a drafted spec when
`specs/` has none), so this also exercises the fallback.

    python benchmarks/build_images.py --clone /path/to/a/clone --repo pallets/itsdangerous

With `--mirror PATH` (a bare mirror, e.g. /work/.mirror/getmoto+moto/repo) the real repository's
instances are SWE-Gym Raw rows made from its squash-merged PRs by benchmarks/real_rows.py,
spread over the `--range` revision ranges, built with the shipped spec:

    python benchmarks/build_images.py --mirror /work/.mirror/getmoto+moto/repo --repo getmoto/moto \
        --range 4.0.0..5.0.0 --range 5.0.0..HEAD --instances 25
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker

from swegym_build.demo import SAMPLE_REPO, mine_sample
from swegym_build.dockerio import engine_client
from swegym_build.executors import LocalExecutor
from swegym_build.handoff import read_versioned
from swegym_build.images.stage import BuildSummary, run_build
from swegym_build.jsonl import write_jsonl_atomically
from swegym_build.labels import OWNER_LABEL
from swegym_build.records import TaskInstance, instance_id_for
from swegym_build.state import StateStore
from swegym_build.versions.stage import run_versions
from swegym_build.workspace import Workspace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_rows import real_rows


def remove_images(client: docker.DockerClient, repo: str) -> None:
    for tier in ("instance", "env"):
        for image in client.images.list(
            filters={"label": [f"{OWNER_LABEL}.tier={tier}", f"{OWNER_LABEL}.repo={repo}"]}
        ):
            client.images.remove(image.id, force=True)


def instances_from_clone(workspace: Workspace, clone: Path, repo: str, count: int) -> None:
    mirror = workspace.mirror_dir(repo)
    subprocess.run(["git", "clone", "-q", "--bare", str(clone), str(mirror)], check=True)
    shas = subprocess.run(
        ["git", "rev-list", "--first-parent", "--no-merges", f"-{count}", "HEAD"],
        cwd=mirror,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    rows = []
    for number, sha in enumerate(reversed(shas), 1):
        date = subprocess.run(
            ["git", "show", "-s", "--format=%cI", sha], cwd=mirror, capture_output=True, text=True, check=True
        ).stdout.strip()
        rows.append(
            TaskInstance(
                repo=repo,
                instance_id=instance_id_for(repo, number),
                base_commit=sha,
                patch="",
                test_patch="",
                problem_statement="",
                hints_text="",
                created_at=date,
                pull_number=number,
                issue_numbers=[],
            ).to_dict()
        )
    write_jsonl_atomically(workspace.raw_file(repo), rows)


def instances_from_mirror(
    workspace: Workspace, mirror: Path, repo: str, ranges: list[str], count: int
) -> None:
    """Rows from the mirror's merged PRs (benchmarks/real_rows.py); the mirror is shared, not copied."""
    clone = workspace.mirror_dir(repo)
    subprocess.run(["git", "clone", "-q", "--bare", "--shared", str(mirror), str(clone)], check=True)
    write_jsonl_atomically(workspace.raw_file(repo), real_rows(clone, repo, ranges, count))


def measure(client: docker.DockerClient, workspace: Workspace, repo: str) -> None:
    state = StateStore(workspace.state_db)
    versions = run_versions(workspace, state, [repo])
    for (_, version), choice in sorted(versions.pythons.items()):
        got = choice.python or "-"
        print(f"   {repo} {version}: Python {got} (spec {choice.requested}): {choice.reason[:160]}")
    print(f"   substitutions: {len(versions.substitutions)}, no_python: {len(versions.no_python)}")
    instances = read_versioned(workspace, [repo], None)
    remove_images(client, repo)
    started = time.monotonic()
    cold = run_build(client, workspace, state, instances, executor=LocalExecutor(2))
    cold_seconds = time.monotonic() - started
    started = time.monotonic()
    warm = run_build(client, workspace, state, instances, executor=LocalExecutor(2))
    warm_seconds = time.monotonic() - started
    report(repo, instances, cold, cold_seconds, warm, warm_seconds)


def report(
    repo: str,
    instances: list[TaskInstance],
    cold: BuildSummary,
    cold_s: float,
    warm: BuildSummary,
    warm_s: float,
) -> None:
    print(f"\n== {repo}: {len(instances)} instances, versions {sorted({i.version for i in instances})}")
    for failure in cold.report.problems:
        print(f"   FAILED {failure.instance_id}: {failure.reason}: {failure.detail.splitlines()[0]}")
    for tag, size in cold.env_images.items():
        print(f"   env image {tag}: {size / 1e6:.1f} MB")
    marginal = sorted(cold.marginal_bytes.values())
    for instance_id, size in sorted(cold.marginal_bytes.items()):
        print(f"   instance {instance_id}: own layer {size / 1e6:.3f} MB")
    if marginal:
        print(
            f"   marginal per instance: median {statistics.median(marginal) / 1e6:.3f} MB, "
            f"max {marginal[-1] / 1e6:.3f} MB (target <= 50 MB)"
        )
    built, reused = dict(cold.built), dict(cold.reused)
    print(f"   cold build (env + instances): {cold_s:.1f} s, built {built}, reused {reused}")
    print(f"   warm build: {warm_s:.2f} s, built {dict(warm.built)}, reused {dict(warm.reused)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clone", type=Path, help="a local clone of a real repository")
    parser.add_argument("--repo", default="pallets/itsdangerous", help="its OWNER/NAME")
    parser.add_argument("--mirror", type=Path, help="a bare mirror: rows from its merged PRs")
    parser.add_argument("--range", action="append", help="with --mirror: revision ranges to spread over")
    parser.add_argument("--instances", type=int, default=10)
    parser.add_argument("--skip-sample", action="store_true", help="only the real repository")
    args = parser.parse_args()
    client = engine_client()
    folder = Path(tempfile.mkdtemp(prefix="swegym-bench-build-"))
    try:
        workspace = Workspace.resolve(folder / "ws")
        if not args.skip_sample:
            mine_sample(workspace)
            measure(client, workspace, SAMPLE_REPO)
        if args.mirror:
            instances_from_mirror(workspace, args.mirror, args.repo, args.range or ["HEAD"], args.instances)
            measure(client, workspace, args.repo)
        elif args.clone:
            instances_from_clone(workspace, args.clone, args.repo, args.instances)
            measure(client, workspace, args.repo)
            for draft in sorted((workspace.root / "spec-drafts").glob("*.yaml")):
                print(f"\n-- drafted spec used for {args.repo} ({draft.name}):\n{draft.read_text()}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
