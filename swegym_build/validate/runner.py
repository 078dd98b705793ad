"""One instance's gold-patch check in one container: contained, time-limited, logs kept.

The container has no network, memory/CPU/pids limits, no capabilities, no privilege escalation,
and runs the eval script as the unprivileged `swegym` user; a wall-clock limit kills it.
"""

from __future__ import annotations

import io
import logging
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import docker
import requests

from swegym_build.images.labels import tier_labels

log = logging.getLogger(__name__)

WORK = "/tmp/swegym"
TEST_USER = "swegym"
TEST_UID = 1000
SELF_KILL_GRACE = 30  # seconds past the host's limit, so the host's own kill normally comes first


@dataclass(frozen=True)
class ContainerLimits:
    timeout: float = 1800.0
    memory: str = "4g"
    cpus: float = 1.0
    pids: int = 1024


@dataclass(frozen=True)
class SideLog:
    log: str
    exit_code: int | None
    seconds: float


@dataclass(frozen=True)
class RunLogs:
    before: SideLog | None
    after: SideLog | None
    failure: str | None  # test_patch_apply_failed / patch_apply_failed


@dataclass(frozen=True)
class ContainerResult:
    runs: list[RunLogs]
    timed_out: bool
    complete: bool
    wall_seconds: float

    @property
    def test_seconds(self) -> float:
        return sum(side.seconds for run in self.runs for side in (run.before, run.after) if side)


def _payload(files: dict[str, tuple[str, int]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        # The folder itself, owned by the test user: otherwise the engine creates it as root.
        folder = tarfile.TarInfo(WORK.lstrip("/"))
        folder.type, folder.mode, folder.uid, folder.gid = tarfile.DIRTYPE, 0o755, TEST_UID, TEST_UID
        tar.addfile(folder)
        for name, (text, mode) in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{WORK.lstrip('/')}/{name}")
            info.size, info.mode, info.uid, info.gid = len(data), mode, TEST_UID, TEST_UID
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def run_in_container(
    client: docker.DockerClient,
    image: str,
    instance_id: str,
    script: str,
    test_patch: str,
    patch: str,
    runs: int,
    limits: ContainerLimits,
    log_dir: Path,
) -> ContainerResult:
    started = time.monotonic()
    log_dir.mkdir(parents=True, exist_ok=True)
    (log_dir / "eval.sh").write_text(script)
    container = client.containers.create(
        image,
        # The container enforces the limit itself too, so it ends even if the process that started
        # it is killed; the host-side wait below is what records the timeout.
        command=[
            "timeout",
            "--signal=KILL",
            str(int(limits.timeout) + SELF_KILL_GRACE),
            "bash",
            f"{WORK}/eval.sh",
        ],
        user=TEST_USER,
        working_dir="/testbed",
        network_mode="none",
        mem_limit=limits.memory,
        memswap_limit=limits.memory,
        nano_cpus=int(limits.cpus * 1e9),
        pids_limit=limits.pids,
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        labels=tier_labels("validate", instance_id=instance_id),
    )
    timed_out = False
    try:
        container.put_archive(
            "/",
            _payload(
                {"eval.sh": (script, 0o755), "test.patch": (test_patch, 0o644), "gold.patch": (patch, 0o644)}
            ),
        )
        container.start()
        try:
            container.wait(timeout=limits.timeout)
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            timed_out = True
            log.warning("%s: killed after %.0fs (time limit)", instance_id, limits.timeout)
            container.kill()
            container.wait(timeout=60)
        (log_dir / "container.log").write_bytes(container.logs(stdout=True, stderr=True))
        _fetch(container, log_dir)
    finally:
        container.remove(force=True)
    return _read_results(log_dir, runs, timed_out, time.monotonic() - started)


def _fetch(container: docker.models.containers.Container, log_dir: Path) -> None:
    try:
        stream, _ = container.get_archive(f"{WORK}/out")
    except docker.errors.NotFound:
        return  # the script never got as far as writing anything
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        tar.extractall(log_dir, filter="data")


def _read_side(folder: Path, side: str) -> SideLog | None:
    log_file = folder / f"{side}.log"
    if not log_file.exists():
        return None
    exit_file, ns_file = folder / f"{side}.exit", folder / f"{side}.ns"
    exit_code = int(exit_file.read_text()) if exit_file.exists() else None
    seconds = int(ns_file.read_text()) / 1e9 if ns_file.exists() else 0.0
    return SideLog(log_file.read_text(errors="replace"), exit_code, seconds)


def _read_results(log_dir: Path, runs: int, timed_out: bool, wall: float) -> ContainerResult:
    found = []
    for number in range(1, runs + 1):
        folder = log_dir / "out" / f"run-{number}"
        if not folder.exists():
            break
        failure = (folder / "failure").read_text().strip() if (folder / "failure").exists() else None
        found.append(RunLogs(_read_side(folder, "before"), _read_side(folder, "after"), failure))
    complete = (log_dir / "out" / "complete").exists()
    return ContainerResult(found, timed_out, complete, wall)
