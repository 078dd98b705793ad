"""A throw-away Docker registry on 127.0.0.1, for the tests and the offline demo.

It runs Debian's `docker-registry` (the CNCF distribution registry, package `docker-registry`)
with a config written next to its storage, so nothing under /etc or /var is touched and several
can run side by side. The Docker engine trusts plain-HTTP registries on 127.0.0.0/8 by default,
so pushes and pulls need no daemon configuration.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from swegym_build.errors import PublishError

BINARY = "docker-registry"
INSTALL_HINT = "install it with `apt-get install docker-registry` (scripts/setup does)"
# A proxy from the environment must never see a loopback probe.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LocalRegistry:
    """`docker-registry serve` on 127.0.0.1:<free port>, storing blobs under `root`."""

    def __init__(self, root: Path, port: int | None = None, binary: str = BINARY) -> None:
        self.root = root
        self.port = port
        self.binary = binary
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        """`127.0.0.1:<port>`: the registry part of an image reference."""
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        """Where the registry's own output goes (quoted in start errors)."""
        return self.root / "registry.log"

    def start(self, timeout: float = 15.0) -> str:
        """Start the registry and wait until it answers `/v2/`; returns its `address`."""
        executable = shutil.which(self.binary)
        if executable is None:
            raise PublishError(f"`{self.binary}` is not on PATH; {INSTALL_HINT}")
        if self.port is None:
            self.port = _free_port()
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "config.yml"
        config.write_text(yaml.safe_dump(self._config(), sort_keys=False))
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [executable, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_ready(timeout)
        return self.address

    def stop(self) -> None:
        """Stop the process this object started (by its own handle, nothing else)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> LocalRegistry:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _config(self) -> dict[str, object]:
        return {
            "version": 0.1,
            "log": {"level": "warn", "accesslog": {"disabled": True}},
            "storage": {
                "filesystem": {"rootdirectory": str(self.root / "storage")},
                "delete": {"enabled": True},
            },
            # Loopback only: nothing outside this machine may reach it. The secret only signs
            # upload state between requests; a fresh one per run is right for one instance.
            "http": {"addr": self.address, "secret": secrets.token_hex(16)},
        }

    def _wait_ready(self, timeout: float) -> None:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise PublishError(
                    f"{self.binary} exited with {self._process.returncode} at start: {self._log_tail()}"
                )
            try:
                with _NO_PROXY.open(f"http://{self.address}/v2/", timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.stop()
        raise PublishError(
            f"{self.binary} did not answer on {self.address} in {timeout:.0f}s: {self._log_tail()}"
        )

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:].strip() or "(no output)"
        except OSError:
            return "(no log)"


def _free_port() -> int:
    # The port is released before the registry binds it; a clash is possible but would show as a
    # clear start failure, not as talking to the wrong server.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
