"""Options several `swegym-build` commands share, and their parsing."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer

Workdir = Annotated[
    Optional[Path],  # noqa: UP045 - typer reads the annotation at runtime on Python 3.10
    typer.Option(
        "--workdir", help="Workspace folder (default: $SWEGYM_WORKDIR or ./data).", show_default=False
    ),
]


def each_name(values: list[str] | None) -> list[str] | None:
    """A list option's names: the flag repeated, or one value holding several (`a,b` or `"a b"`)."""
    if values is None:
        return None
    return [name for value in values for name in value.replace(",", " ").split()]


Repos = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option("--repo", help="Only these repositories (repeat the flag, or a,b).", callback=each_name),
]
InstanceIds = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--instances", help="Only these instance ids (repeat the flag, or a,b).", callback=each_name
    ),
]
ExecutorName = Annotated[
    str,
    typer.Option("--executor", help="Where per-instance work runs: local (a thread pool) or ray (Ray tasks)"),
]
RayAddress = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        help="Ray cluster to attach to (env RAY_ADDRESS); without it Ray starts embedded.",
        envvar="RAY_ADDRESS",
    ),
]
Registry = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        help="Registry host:port through which nodes share instance images (build pushes, "
        "validate pulls what a node lacks)."
    ),
]
PythonMirror = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--python-mirror",
        help="Mirror of python-build-standalone for uv-managed Pythons (uv's UV_PYTHON_INSTALL_MIRROR; "
        "env SWEGYM_PYTHON_MIRROR); `off`: Debian's Pythons only.",
    ),
]


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise typer.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
