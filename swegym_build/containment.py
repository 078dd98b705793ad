"""How every container that runs a repository's code is contained (tests, collection, grading).

Untrusted code runs only inside containers: no network, no capabilities, no privilege
escalation, memory/CPU/pids limits, a size-limited /tmp and a file-size limit, as the test user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from docker.types import Ulimit

TEST_USER = "swegym"  # the images' unprivileged user; tests run as it
TEST_UID = 1000


@dataclass(frozen=True)
class ContainerLimits:
    timeout: float = 1800.0  # the test command's wall clock per side (harness time not counted)
    memory: str = "4g"
    cpus: float = 1.0
    pids: int = 1024
    output_bytes: int = 32 * 2**20  # test output kept per side; more kills the side
    disk_bytes: int = 2 * 2**30  # writable layer per container, and the largest single file
    tmp_bytes: int = 512 * 2**20  # the /tmp tmpfs

    def container_options(self) -> dict[str, Any]:
        """The engine options that contain untrusted code: no network, no capabilities, no
        privilege escalation, memory/CPU/pids limits, a size-limited /tmp, a file-size and no core
        limit. Every container that runs a repository's code (tests, collection) starts with them."""
        return {
            "network_mode": "none",
            "mem_limit": self.memory,
            "memswap_limit": self.memory,
            "nano_cpus": int(self.cpus * 1e9),
            "pids_limit": self.pids,
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "tmpfs": {"/tmp": f"rw,exec,nosuid,nodev,size={self.tmp_bytes},mode=1777"},
            "shm_size": "64m",
            "ulimits": [
                Ulimit(name="fsize", soft=self.disk_bytes, hard=self.disk_bytes),
                Ulimit(name="core", soft=0, hard=0),
            ],
        }
