"""The pipeline's stages, in order, as `swegym-build` commands.

Each stage has a command module in `commands/` (its options, its run through
`pipeline.run_stage`, its closing table); adding a stage is writing the stage, its command module,
and naming the command here.
"""

from __future__ import annotations

from collections.abc import Callable

from swegym_build.commands.build import build
from swegym_build.commands.mine import mine
from swegym_build.commands.publish import publish
from swegym_build.commands.validate import validate
from swegym_build.commands.versions import versions

STAGE_COMMANDS: tuple[Callable[..., None], ...] = (mine, versions, build, validate, publish)
