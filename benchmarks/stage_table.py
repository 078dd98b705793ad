"""Per repository, what build and validate did in a workspace, read from its hand-off files.

    python benchmarks/stage_table.py WORKSPACE [WORKSPACE ...]

Read only: `verified/` (envs verified / tried, attempts, seconds), `built/` (instances built,
their own bytes), the state store's build and validate rows (outcomes, rejection reasons),
`logs/validate/*/result.json` (validate seconds) and the engine (env image sizes). `real_repos.py`
prints it after its runs; on its own it re-reads a finished run without building anything.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import docker

from swegym_build.handoff import read_built, read_result, read_versioned
from swegym_build.state import KEPT, StateStore
from swegym_build.verify.loop import FAILED
from swegym_build.verify.records import read_verifications
from swegym_build.workspace import Workspace


@dataclass
class RepoStages:
    repo: str
    envs_tried: int = 0
    envs_verified: int = 0
    attempts: int = 0
    verify_seconds: float = 0.0
    env_bytes: list[int] = field(default_factory=list)
    instances: int = 0
    on_verified_envs: int = 0  # instances whose (repo, version) env verified
    built: int = 0
    build_rejections: Counter[str] = field(default_factory=Counter)
    marginal_bytes: list[int] = field(default_factory=list)
    validated: int = 0
    kept: int = 0
    kept_on_verified: int = 0
    validate_reasons: Counter[str] = field(default_factory=Counter)
    validate_seconds: float = 0.0
    failed_envs: list[str] = field(default_factory=list)  # "version: outcome (why)"


def repo_stages(workspace: Workspace, repo: str, client: docker.DockerClient | None) -> RepoStages:
    row = RepoStages(repo)
    verifications = read_verifications(workspace, repo)
    verified_versions = set()
    for version, record in verifications.items():
        row.envs_tried += 1
        row.attempts += len(record.attempts)
        row.verify_seconds += sum(a.seconds for a in record.attempts)
        if record.status == FAILED:
            last = record.attempts[-1] if record.attempts else None
            why = (last.detail.splitlines() or [""])[0][:160] if last else ""
            row.failed_envs.append(f"{version}: {last.outcome if last else '-'} ({why}); {record.stopped}")
            continue
        row.envs_verified += 1
        verified_versions.add(version)
        if client is not None and record.image:
            with contextlib.suppress(docker.errors.ImageNotFound):
                row.env_bytes.append(int(client.images.get(record.image).attrs["Size"]))
    instances = {i.instance_id: i for i in read_versioned(workspace, [repo])}
    row.instances = len(instances)
    on_verified = {iid for iid, i in instances.items() if i.version in verified_versions}
    row.on_verified_envs = len(on_verified)
    built = read_built(workspace, [repo])
    row.built = len(built)
    row.marginal_bytes = [b.marginal_bytes for b in built.values()]
    state = StateStore(workspace.state_db)
    try:
        for stored in state.records("build", repo):
            if stored.instance_id not in built:
                row.build_rejections[stored.reason or stored.status] += 1
        for stored in state.records("validate", repo):
            row.validated += 1
            if stored.status == KEPT:
                row.kept += 1
                row.kept_on_verified += stored.instance_id in on_verified
            else:
                row.validate_reasons[stored.reason or stored.status] += 1
            result = read_result(workspace, stored.instance_id)
            if result is not None and result.wall_seconds:
                row.validate_seconds += result.wall_seconds
    finally:
        state.close()
    return row


def _megabytes(values: list[int]) -> str:
    return f"{statistics.median(values) / 1e6:.1f}" if values else "-"


def print_stage_table(title: str, rows: list[RepoStages]) -> None:
    print(f"\n{title}")
    header = (
        f"{'repository':<26} {'envs ok':>8} {'tries':>5} {'verify s':>8} {'env MB':>7} "
        f"{'built':>6} {'own MB':>6} {'kept':>6} {'validate s':>10}  rejections"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        rejections = dict(row.build_rejections + row.validate_reasons)
        print(
            f"{row.repo:<26} {row.envs_verified:>3}/{row.envs_tried:<4} {row.attempts:>5} "
            f"{row.verify_seconds:>8.0f} {_megabytes(row.env_bytes):>7} "
            f"{row.built:>2}/{row.instances:<3} {_megabytes(row.marginal_bytes):>6} "
            f"{row.kept:>2}/{row.validated:<3} {row.validate_seconds:>10.0f}  {rejections or ''}"
        )
        for failed in row.failed_envs:
            print(f"    failed env {failed}")
    tried = sum(r.envs_tried for r in rows)
    verified = sum(r.envs_verified for r in rows)
    on_verified = sum(r.on_verified_envs for r in rows)
    kept = sum(r.kept_on_verified for r in rows)
    print(
        f"envs verified {verified}/{tried} ({100 * verified / max(tried, 1):.0f} %); "
        f"kept of the instances on verified envs {kept}/{on_verified} "
        f"({100 * kept / max(on_verified, 1):.0f} %)"
    )


def workspace_rows(workspace: Workspace, client: docker.DockerClient | None) -> list[RepoStages]:
    return [repo_stages(workspace, repo, client) for repo in workspace.raw_repos()]


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    client = docker.from_env()
    for path in paths:
        print_stage_table(path, workspace_rows(Workspace(Path(path)), client))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
