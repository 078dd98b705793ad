"""One way to build an image on the engine: a prepared context folder, streamed logs, clear failure."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import docker
from docker.models.images import Image

from swegym_build.dockerio import existing_image
from swegym_build.driver import DETAIL
from swegym_build.errors import BuildError
from swegym_build.images.progress import Progress
from swegym_build.interrupt import Interrupted, stopping

log = logging.getLogger(__name__)

BUILD_TIMEOUT_S = 3600
LOG_TAIL_LINES = 20


def inputs_digest(inputs: dict[str, Any]) -> str:
    """The content address of an image: a sha256 of everything that goes into it."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def label_instruction(labels: dict[str, str]) -> str:
    return "LABEL " + " ".join(
        f"{json.dumps(key)}={json.dumps(value)}" for key, value in sorted(labels.items())
    )


def _label_after_from(dockerfile: str, label: str) -> str:
    lines = dockerfile.splitlines()
    first_from = next(n for n, line in enumerate(lines) if line.upper().startswith("FROM "))
    return "\n".join([*lines[: first_from + 1], label, *lines[first_from + 1 :]]) + "\n"


def log_tail(log_file: Path, lines: int = LOG_TAIL_LINES) -> str:
    return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])


def build_image(
    client: docker.DockerClient,
    *,
    context: Path,
    tag: str,
    buildargs: dict[str, str],
    labels: dict[str, str],
    log_file: Path,
    what: str,
    progress: Progress | None = None,
) -> Image:
    """Build `context` (a folder with a Dockerfile) as `tag`, writing the engine's output to `log_file`.

    Raises BuildError naming `what`, with the reason, the log's path and its last lines.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    # One LABEL instruction: the builder would otherwise commit a layer per label, and on a
    # fuse-overlayfs engine each commit costs seconds, the more the bigger the image: so it
    # comes right after FROM, before the steps that make the image big.
    dockerfile = context / "Dockerfile"
    dockerfile.write_text(_label_after_from(dockerfile.read_text(), label_instruction(labels)))
    error: str | None = None
    with log_file.open("w") as out:
        try:
            stream = client.api.build(
                path=str(context),
                tag=tag,
                buildargs=buildargs,
                # On the host network, package installs reach the mirrors exactly as the host does.
                network_mode="host",
                rm=True,
                forcerm=True,
                pull=False,
                decode=True,
                timeout=BUILD_TIMEOUT_S,
            )
            for chunk in stream:
                if stopping():
                    raise Interrupted(tag)  # the stream is dropped: the engine cancels the build
                if "stream" in chunk:
                    out.write(chunk["stream"])
                    if progress is not None and chunk["stream"].strip():
                        progress(DETAIL + chunk["stream"].strip().splitlines()[-1])
                if "error" in chunk:
                    error = str(chunk["error"]).strip()
                    out.write(error + "\n")
        except docker.errors.APIError as exc:
            error = str(exc)
            out.write(error + "\n")
    if error is not None:
        raise BuildError(f"building {what} failed: {error} (log: {log_file})\n{log_tail(log_file)}")
    image = existing_image(client, tag)
    if image is None:
        raise BuildError(f"the engine reported success but {what} ({tag}) is missing (log: {log_file})")
    return image
