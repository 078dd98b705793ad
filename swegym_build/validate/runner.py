"""One side of one run in one fresh container: the only way test output reaches the host.

Why this shape (robustness first, then cost):

- One fresh container per side, from the image: nothing the tests leave (files in /tmp, a daemon,
  a changed `.git/config`, a planted conftest) carries from "before" into "after" or into the next
  run. A `docker commit` after the test patch would cost more than re-applying it and leave
  images behind, so each side applies its own patches.
- Armed ahead: starting a container (runc and a fuse-overlayfs mount) is most of the cost, so the
  next side's container is created, started and patched while the current side's tests run; its
  root script then blocks reading the host's go from stdin. No code of the task runs before the
  go, and the tests of the current side have their own container, so nothing is shared.
- Root applies the patches inside that container (`git -c core.hooksPath=/dev/null -c
  core.fsmonitor=false apply`) before any code of the task has run in it, then replaces itself
  with the test command under `setpriv` as the test user, with every capability and the bounding
  set dropped and no-new-privs. One start per side, no `docker exec` racing a running test.
  The container gets back only the capabilities root needs for that (chown, dac_override,
  fowner, setuid/setgid, setpcap); the test user holds none of them.
- The verdict's inputs are the container's stdout after the host's random begin marker and the
  container's exit code. Root prints the marker before the tests start, so the first occurrence
  is the real one (a test printing it again only adds text after it); pid 1 is root's `timeout`,
  which the test user cannot signal, so the exit code is the test command's status. Nothing is
  read from files the tests can write, and no archive is fetched from the container or unpacked.
- Output is streamed by `attach` (log driver `none`: the engine keeps no copy on disk) into a
  capped buffer; past the cap the container is killed and the side flagged `output_limit`.
- Disk: this engine's storage driver (fuse-overlayfs) refuses `--storage-opt size`, so /tmp is a
  size-limited tmpfs (charged to the memory limit), a single file is capped by RLIMIT_FSIZE, and
  a watchdog sums the container's writable layer (its UpperDir, when this host sees it) and kills
  the container at the limit: `disk_limit`.
- Every container carries an owner label (host, pid, process start): a later run removes the
  containers of runs that died (`kill -9`), never those of a live run on a shared engine.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import secrets
import socket
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import requests
from docker.types import LogConfig

from swegym_build.containment import ContainerLimits
from swegym_build.interrupt import Interrupted, register, stopping, unregister
from swegym_build.labels import TIER_LABEL, tier_labels

log = logging.getLogger(__name__)

HARNESS = "/swegym-harness"
SELF_KILL_GRACE = 30  # seconds past the host's limit, so the host's own kill normally comes first
TEST_PATCH_FAILED_EXIT = 201
PATCH_FAILED_EXIT = 202
UNHARDENED_EXIT = 203
OWNER_KEY = "validate-owner"
OWNER_LABEL = f"swegym-build.{OWNER_KEY}"
ROOT_CAPABILITIES = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID", "SETPCAP"]
STDERR_CAP = 64 * 1024  # the root phase's stderr: git apply's complaints
DISK_POLL_SECONDS = 0.5
WAIT_SLICE = 1  # seconds: how often a running side's time is checked
SETUP_LIMIT = 300.0  # seconds from start to the tests: root's patching of a large repository

# Why a side did not give a usable test run.
TIMEOUT = "timeout"
OUTPUT_LIMIT = "output_limit"
DISK_LIMIT = "disk_limit"
MEMORY_LIMIT = "memory_limit"
INCOMPLETE = "incomplete"
INTERRUPTED = "interrupted"
TEST_PATCH_APPLY_FAILED = "test_patch_apply_failed"
PATCH_APPLY_FAILED = "patch_apply_failed"
UNHARDENED_IMAGE = "unhardened_image"


@dataclass(frozen=True)
class Markers:
    """Random per side, made on the host: the tests cannot know them before they are printed."""

    begin: str
    file: str

    @classmethod
    def new(cls) -> Markers:
        token = secrets.token_hex(16)
        return cls(begin=f"swegym-begin-{token}", file=f"swegym-file-{token}")


@dataclass(frozen=True)
class SideRequest:
    side: str  # "before" or "after"
    script: str
    patches: dict[str, str]  # file name under HARNESS -> patch text
    markers: Markers


@dataclass(frozen=True)
class SideResult:
    side: str
    log: str  # the test command's output (stdout and stderr), at most output_bytes
    exit_code: int | None  # the test command's status; None when it never started
    files: dict[str, str]  # the touched test files as root left them before the tests ran
    setup_log: str  # the root phase's stderr (git apply)
    failure: str | None  # one of the reasons above, None for a run that finished
    wall_seconds: float
    test_seconds: float  # from the begin marker to the end of the output
    setup_seconds: float  # from the start to the begin marker: root's patching in the container
    disk_watched: bool
    truncated: bool = False


def _process_start(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, counted after the command name


def owner_label() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_process_start(pid)}"


def container_owner(labels: dict[str, str]) -> tuple[str, int, str] | None:
    """(host, pid, process start) of the run that started a validate container, from its label."""
    owner_host, _, rest = labels.get(OWNER_LABEL, "").partition(":")
    pid, _, started = rest.partition(":")
    return (owner_host, int(pid), started) if pid.isdigit() else None


def remove_orphans(client: docker.DockerClient) -> int:
    """Remove validate containers left by runs on this host whose process is gone; return how many."""
    host = socket.gethostname()
    removed = 0
    for container in client.containers.list(
        all=True, filters={"label": [f"{TIER_LABEL}=validate", OWNER_LABEL]}, ignore_removed=True
    ):
        owner = container_owner(container.labels)
        if owner is None or owner[0] != host:
            continue
        _, pid, started = owner
        if _process_start(pid) == started:
            continue  # a live run (this one or another on the same engine)
        log.info("removing orphaned container %s of an earlier run", container.short_id)
        with contextlib.suppress(docker.errors.NotFound):  # auto-removed meanwhile
            container.remove(force=True)
        removed += 1
    return removed


def _payload(request: SideRequest) -> bytes:
    """The script and patches, root's and unreadable to the test user."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        folder = tarfile.TarInfo(HARNESS.lstrip("/"))
        folder.type, folder.mode = tarfile.DIRTYPE, 0o700
        tar.addfile(folder)
        for name, text, mode in [("side.sh", request.script, 0o700)] + [
            (name, text, 0o600) for name, text in request.patches.items()
        ]:
            data = text.encode()
            info = tarfile.TarInfo(f"{HARNESS.lstrip('/')}/{name}")
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@dataclass
class _Capture:
    """What the attach stream delivered, capped; filled by the reader thread."""

    cap: int
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    over: bool = False
    started_at: float | None = None
    marker_at: float | None = None
    ended_at: float | None = None


def _read_stream(
    stream: Iterator[tuple[bytes | None, bytes | None]], capture: _Capture, marker: bytes, on_over: Any
) -> None:
    """Fill `capture` from the attach stream, up to its cap; past the cap, the container is killed
    (from another thread) and the rest is read and dropped until the stream ends: an unread
    stream would block the engine's copy of the container's output, and the kill with it."""
    try:
        for out, err in stream:
            if err and len(capture.stderr) < STDERR_CAP:
                capture.stderr += err[: STDERR_CAP - len(capture.stderr)]
            if not out or capture.over:
                continue
            tail_from = max(0, len(capture.stdout) - len(marker))
            capture.stdout += out[: capture.cap + 1]
            if capture.marker_at is None and marker in capture.stdout[tail_from:]:
                capture.marker_at = time.monotonic()
            if len(capture.stdout) > capture.cap:
                del capture.stdout[capture.cap :]
                capture.over = True
                threading.Thread(target=on_over, daemon=True).start()
    except (requests.exceptions.RequestException, OSError, docker.errors.DockerException) as error:
        log.debug("attach stream ended: %s", error)
    finally:
        capture.ended_at = time.monotonic()


def _layer_bytes(upper: Path) -> int:
    total = 0
    for folder, _, names in os.walk(upper):
        for name in names:
            try:
                total += os.lstat(os.path.join(folder, name)).st_blocks * 512
            except OSError:
                continue
    return total


def _wait(container: Any, capture: _Capture, test_budget: float, on_timeout: Any) -> int:
    """The container's exit code; kills it once its tests ran `test_budget` seconds, or when root's
    setup has not reached the tests in SETUP_LIMIT seconds. Only the tests' time counts against
    the budget: the harness's own (container start, patching) does not."""
    setup_started = time.monotonic()
    while True:
        try:
            return int(container.wait(timeout=WAIT_SLICE)["StatusCode"])
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            pass
        now = time.monotonic()
        over_setup = capture.marker_at is None and now - setup_started > SETUP_LIMIT
        if over_setup or (capture.marker_at is not None and now - capture.marker_at > test_budget):
            log.warning("container %s killed at the time limit", container.short_id)
            on_timeout()
            return int(container.wait(timeout=60)["StatusCode"])


def _upper_dir(container: Any) -> Path | None:
    """The container's writable layer on this host, if the engine is local and says where."""
    upper = container.attrs.get("GraphDriver", {}).get("Data", {}).get("UpperDir")
    return Path(upper) if upper and Path(upper).is_dir() else None


def _watch_disk(upper: Path, limit: int, done: threading.Event, on_over: Any) -> None:
    while not done.wait(DISK_POLL_SECONDS):
        if _layer_bytes(upper) > limit:
            on_over()
            return


GO = b"go\n"
ARMED_SECONDS = 3600  # a prepared container that never gets the go ends by itself


def _create(
    client: docker.DockerClient, image: str, instance_id: str, request: SideRequest, limits: ContainerLimits
) -> Any:
    return client.containers.create(
        image,
        command=["bash", f"{HARNESS}/side.sh"],
        stdin_open=True,
        user="0:0",
        working_dir="/testbed",
        cap_add=ROOT_CAPABILITIES,
        **limits.container_options(),
        log_config=LogConfig(type="none"),
        labels=tier_labels(
            "validate", instance_id=instance_id, side=request.side, **{OWNER_KEY: owner_label()}
        ),
    )


@dataclass
class PreparedSide:
    """A side's container, started: root has applied the patches and waits for the host's go.

    Preparing the next side while the current one's tests run takes container creation, the
    copy, the start and the patching off the critical path; no code of the task runs before the
    go (root's phase runs only git and the shell).
    """

    container: Any
    request: SideRequest
    capture: _Capture
    reader: threading.Thread
    go: Any  # the attach socket to the container's stdin
    kill: Callable[[str], None]
    killed_for: list[str]
    done: threading.Event
    disk_watched: bool
    started: float


def prepare_side(
    client: docker.DockerClient, image: str, instance_id: str, request: SideRequest, limits: ContainerLimits
) -> PreparedSide:
    if stopping():
        raise Interrupted(instance_id)
    started = time.monotonic()
    container = _create(client, image, instance_id, request, limits)
    try:
        register(container.id)
    except Interrupted:
        discard(container)
        raise
    killed_for: list[str] = []

    def kill(reason: str) -> None:
        if not killed_for:
            killed_for.append(reason)
        with contextlib.suppress(docker.errors.APIError):  # already gone
            container.kill()

    try:
        container.put_archive("/", _payload(request))
        stream = client.api.attach(
            container.id, stdout=True, stderr=True, stream=True, logs=False, demux=True
        )
        go = client.api.attach_socket(container.id, params={"stdin": 1, "stream": 1})
        capture = _Capture(limits.output_bytes)
        marker = request.markers.begin.encode()
        reader = threading.Thread(
            target=_read_stream, args=(stream, capture, marker, lambda: kill(OUTPUT_LIMIT)), daemon=True
        )
        done = threading.Event()
        upper = _upper_dir(container)
        container.start()
        reader.start()
        if upper is not None:
            watch_args = (upper, limits.disk_bytes, done, lambda: kill(DISK_LIMIT))
            threading.Thread(target=_watch_disk, args=watch_args, daemon=True).start()
    except BaseException:
        discard(container)
        raise
    return PreparedSide(
        container, request, capture, reader, go, kill, killed_for, done, upper is not None, started
    )


def discard(container: Any) -> None:
    """Remove a container of ours, whatever state it is in (gone, or being removed by an
    interrupt, is fine)."""
    with contextlib.suppress(docker.errors.APIError):
        container.remove(force=True)
    unregister(container.id)


def drop(prepared: PreparedSide) -> None:
    """A prepared side that will not run: stop its watchers, remove its container."""
    prepared.done.set()
    with contextlib.suppress(OSError):
        prepared.go.close()
    discard(prepared.container)


def run_side(prepared: PreparedSide, instance_id: str, test_budget: float) -> SideResult:
    """Give a prepared side the go and read it until it exits, or its tests have run `test_budget`
    seconds (then it is killed: `timeout`); the container is removed afterwards, whatever happened."""
    container, request, capture = prepared.container, prepared.request, prepared.capture
    exit_code: int | None = None
    oom = False
    try:
        if stopping():
            raise Interrupted(instance_id)
        with contextlib.suppress(OSError):  # gone already (a patch did not apply): the wait says
            getattr(prepared.go, "_sock", prepared.go).sendall(GO)
        capture.started_at = time.monotonic()
        exit_code = _wait(container, capture, test_budget, lambda: prepared.kill(TIMEOUT))
        prepared.reader.join(timeout=30)
        container.reload()
        oom = bool(container.attrs.get("State", {}).get("OOMKilled"))
    except docker.errors.APIError as error:  # removed under us (an interrupt, or from outside)
        log.debug("%s: %s side: %s", instance_id, request.side, error)
        prepared.killed_for.append(INTERRUPTED if stopping() else INCOMPLETE)
    finally:
        drop(prepared)
    if stopping() and not prepared.killed_for:
        prepared.killed_for.append(INTERRUPTED)
    return _result(
        request, capture, exit_code, oom, prepared.killed_for, prepared.disk_watched, prepared.started
    )


def _result(
    request: SideRequest,
    capture: _Capture,
    exit_code: int | None,
    oom: bool,
    killed_for: list[str],
    disk_watched: bool,
    started: float,
) -> SideResult:
    ended = time.monotonic()
    stdout = bytes(capture.stdout)
    files, log_bytes, framed = split_output(stdout, request.markers)
    failure: str | None = killed_for[0] if killed_for else MEMORY_LIMIT if oom else None
    test_exit: int | None = exit_code
    if not framed:
        test_exit = None
        if failure is None:
            failure = {
                TEST_PATCH_FAILED_EXIT: TEST_PATCH_APPLY_FAILED,
                PATCH_FAILED_EXIT: PATCH_APPLY_FAILED,
                UNHARDENED_EXIT: UNHARDENED_IMAGE,
            }.get(exit_code or 0, INCOMPLETE)
    test_seconds = (capture.ended_at or ended) - capture.marker_at if capture.marker_at else 0.0
    setup_seconds = (capture.marker_at or ended) - (capture.started_at or started)
    return SideResult(
        side=request.side,
        log=log_bytes.decode("utf-8", errors="replace"),
        exit_code=test_exit,
        files=files,
        setup_log=bytes(capture.stderr).decode("utf-8", errors="replace"),
        failure=failure,
        wall_seconds=ended - started,
        test_seconds=max(0.0, test_seconds),
        setup_seconds=max(0.0, setup_seconds),
        disk_watched=disk_watched,
        truncated=capture.over,
    )


def split_output(stdout: bytes, markers: Markers) -> tuple[dict[str, str], bytes, bool]:
    """(dumped files, test output, whether the begin marker came) from a side's stdout.

    Before the marker only root wrote: length-framed files (`<file marker> <size> <path>\\n` then
    exactly size bytes), then `\\n<begin marker>\\n`. Everything after the marker is the tests'.
    """
    files: dict[str, str] = {}
    file_marker, begin = markers.file.encode() + b" ", b"\n" + markers.begin.encode() + b"\n"
    position = 0
    while stdout.startswith(file_marker, position):
        header_end = stdout.find(b"\n", position)
        if header_end == -1:
            return files, b"", False
        size_text, _, path = stdout[position + len(file_marker) : header_end].partition(b" ")
        if not size_text.isdigit():
            return files, b"", False
        body_start = header_end + 1
        body_end = body_start + int(size_text)
        files[path.decode("utf-8", errors="replace")] = stdout[body_start:body_end].decode(
            "utf-8", errors="replace"
        )
        position = body_end
    if not stdout.startswith(begin, position):
        return files, b"", False
    return files, stdout[position + len(begin) :], True
