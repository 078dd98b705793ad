"""Which test runner a command line names."""

from __future__ import annotations

import re

from swegym_build.specs.drafting.snapshot import Findings


def take_runner(found: Findings, commands: str, source: str) -> None:
    """Record pytest or unittest when `commands` runs one and no runner is known yet."""
    if found.runner is not None:
        return
    if re.search(r"(^|\s|-m\s+)(py\.test|pytest)\b", commands):
        found.runner = "pytest"
        found.note("test_cmd", source)
    elif re.search(r"-m\s+unittest\b|\bunittest\s+discover\b", commands):
        found.runner = "unittest"
        found.note("test_cmd", source)
