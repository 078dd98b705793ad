"""A stage run as the CLI runs it: the state store opened, progress shown, the closing table drawn.

Every stage command (and `swegym-build demo`, which runs them in order) goes through `run_stage`,
so the demo shows exactly what a user sees when running the stages one by one, and a new stage
brings its run and its table, nothing here. The stages' commands are listed in `stages.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from rich.console import RenderableType

from swegym_build.display import show, stage_progress
from swegym_build.driver import Notify
from swegym_build.state import StateStore
from swegym_build.workspace import Workspace

S = TypeVar("S")


def run_stage(
    workspace: Workspace,
    title: str,
    run: Callable[[StateStore, Notify], S],
    view: Callable[[S], Iterable[RenderableType]],
    throttle: float = 0.0,
) -> S:
    """`run(state, notify)` with progress under `title`; then `view(summary)` is shown.

    `throttle` (seconds) thins a fast stream of progress lines off a terminal (see
    `display.stage_progress`).
    """
    state = StateStore(workspace.state_db)
    try:
        with stage_progress(title, throttle) as progress:
            summary = run(state, progress)
    finally:
        state.close()
    show(view(summary))
    return summary
