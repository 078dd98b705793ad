"""Where per-instance work runs: a local thread pool (the default) or Ray tasks on a cluster.

A stage hands an executor a module-level function and its jobs; results come back to the caller
(the driver) as they finish, and only the driver writes the state store. So a worker that dies
loses its job alone, and a driver killed mid-run loses only the jobs in flight: the next run
skips what was recorded.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from swegym_build.errors import SwegymError

J = TypeVar("J")
R = TypeVar("R")

RAY_ADDRESS_ENV = "RAY_ADDRESS"
# Each task holds one of these: a node runs at most as many containers as it declared slots
# (`ray start --resources '{"docker_slots": N}'`).
DOCKER_SLOTS = "docker_slots"


class Executor(Protocol):
    def run(self, fn: Callable[[J], R], jobs: Sequence[J]) -> Iterator[tuple[J, R]]:
        """Run `fn` on every job; yield `(job, result)` as each finishes."""
        ...


@dataclass(frozen=True)
class LocalExecutor:
    workers: int = 1

    def run(self, fn: Callable[[J], R], jobs: Sequence[J]) -> Iterator[tuple[J, R]]:
        with ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
            futures = {pool.submit(fn, job): job for job in jobs}
            try:
                for future in as_completed(futures):
                    yield futures[future], future.result()
            except BaseException:
                # the run is over (an interrupt, a job that ends it): no queued job starts; the
                # pool's exit still waits for those running
                pool.shutdown(wait=False, cancel_futures=True)
                raise


@dataclass(frozen=True)
class RayExecutor:
    """Ray tasks, one per job. `address` (or $RAY_ADDRESS) attaches to a running cluster; without
    one, Ray starts embedded on this machine with `slots` docker slots."""

    address: str | None = None
    slots: int = 2
    # Ray-level failures (a worker process died, a node was lost) are retried this many times;
    # an exception inside a job is its result, never retried.
    max_retries: int = 3

    def run(self, fn: Callable[[J], R], jobs: Sequence[J]) -> Iterator[tuple[J, R]]:
        ray = _import_ray()
        if not ray.is_initialized():
            address = self.address or os.environ.get(RAY_ADDRESS_ENV)
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                ray.init(
                    num_cpus=self.slots,
                    resources={DOCKER_SLOTS: self.slots},
                    include_dashboard=False,
                    log_to_driver=False,
                )
        remote = ray.remote(fn).options(
            num_cpus=0, resources={DOCKER_SLOTS: 1}, max_retries=self.max_retries, retry_exceptions=False
        )
        pending: dict[Any, J] = {remote.remote(job): job for job in jobs}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                yield pending.pop(ref), ray.get(ref)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as error:
        raise SwegymError("the Ray executor needs Ray: pip install 'swegym-build[ray]'") from error
    return ray


def make_executor(name: str, workers: int, ray_address: str | None = None) -> Executor:
    if name == "local":
        return LocalExecutor(workers)
    if name == "ray":
        return RayExecutor(address=ray_address, slots=max(1, workers))
    raise SwegymError(f"unknown executor {name!r}: use 'local' or 'ray'")
