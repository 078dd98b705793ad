"""Ctrl-C / SIGTERM for the stages that run containers: the first signal stops scheduling and
removes every container this process is running, so the jobs in flight end at once (a thread
blocked in `container.wait` returns when its container goes) and the stage records only what
finished. A second signal acts as usual."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import docker

log = logging.getLogger(__name__)


class Interrupted(Exception):
    """The run is stopping (Ctrl-C / SIGTERM): no new container is started."""


@dataclass
class _Live:
    """Containers running now, so an interrupt can remove them all at once."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: set[str] = field(default_factory=set)
    stopping: threading.Event = field(default_factory=threading.Event)


_LIVE = _Live()


def register(container_id: str) -> None:
    """Count a container of this process as running; raises `Interrupted` once stopping (the
    caller removes it). Under the lock `stop_all` lists the containers with: each container is
    either refused here or removed there."""
    with _LIVE.lock:
        if stopping():
            raise Interrupted(container_id)
        _LIVE.ids.add(container_id)


def unregister(container_id: str) -> None:
    with _LIVE.lock:
        _LIVE.ids.discard(container_id)


@contextlib.contextmanager
def tracked(container_id: str | None) -> Iterator[None]:
    """The container counted as running while held. Whatever fails in it once the run is stopping
    (the engine lost the container under the caller) is the interrupt, not a failure of the job."""
    container_id = str(container_id)
    register(container_id)
    try:
        yield
    except Exception as error:
        if stopping():
            raise Interrupted(container_id) from error
        raise
    finally:
        unregister(container_id)
    if stopping():
        raise Interrupted(container_id)


def remove(container: Any) -> None:
    """Remove a container of this process; one an interrupt is removing or removed is fine."""
    try:
        container.remove(force=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError:
        if not stopping():
            raise


def stop_all(client: docker.DockerClient) -> int:
    """Stop scheduling and remove every running container of this process; return how many."""
    _LIVE.stopping.set()
    with _LIVE.lock:
        ids = sorted(_LIVE.ids)
    for container_id in ids:
        try:
            client.api.remove_container(container_id, force=True)
        except docker.errors.APIError as error:
            log.warning("could not remove container %s: %s", container_id[:12], error)
    return len(ids)


def stopping() -> bool:
    """Whether an interrupt is stopping this process's run."""
    return _LIVE.stopping.is_set()


def resume_scheduling() -> None:
    """Allow containers again (a new run in the same process, e.g. in tests)."""
    _LIVE.stopping.clear()


@contextlib.contextmanager
def stop_on_signals(client: docker.DockerClient) -> Iterator[threading.Event]:
    """While held, the first SIGINT / SIGTERM calls `stop_all` (the event is set); the previous
    handlers are back afterwards, or at once after the first signal."""
    signalled = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield signalled
        return

    def handler(signum: int, _frame: Any) -> None:
        signalled.set()
        for name in (signal.SIGINT, signal.SIGTERM):
            signal.signal(name, previous[name])
        log.warning("signal %d: stopping; removed %d running containers", signum, stop_all(client))

    previous = {name: signal.getsignal(name) for name in (signal.SIGINT, signal.SIGTERM)}
    for name in previous:
        signal.signal(name, handler)
    resume_scheduling()
    try:
        yield signalled
    finally:
        for name, old in previous.items():
            if signal.getsignal(name) is handler:
                signal.signal(name, old)
        resume_scheduling()
