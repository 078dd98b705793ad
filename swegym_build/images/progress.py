"""How the build steps tell the caller what they are doing, besides logging it."""

from __future__ import annotations

import logging
from collections.abc import Callable

Progress = Callable[[str], None]


def report(logger: logging.Logger, progress: Progress | None, message: str) -> None:
    """Log `message` at INFO and pass it to `progress` (e.g. a rich status line) when one is given."""
    logger.info(message)
    if progress is not None:
        progress(message)
