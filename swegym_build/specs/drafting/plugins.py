"""pytest plugins that rewrite the report validate reads, blocked in drafted test commands.

pytest-pretty, pytest-sugar and pytest-tldr replace the `-rA` result lines and the closing
totals line (`N passed, M failed in S s`) that validate parses and checks, so a suite with one
of them installed is judged `no_closing_summary` (a real pydantic 2.x instance was). Blocking the
plugin with `-p no:NAME` works however it got installed (an extra, a requirements file, a
dependency group, a dependency of a dependency) and is harmless when it is not, so the rule looks
for the names wherever the draft read dependencies and blocks each one found.
"""

from __future__ import annotations

import re

from swegym_build.specs.drafting.snapshot import Findings, Snapshot

# distribution name -> the plugin name `-p no:` takes (its pytest11 entry point)
OUTPUT_PLUGINS = {"pytest-pretty": "pretty", "pytest-sugar": "sugar", "pytest-tldr": "tldr"}
_FILES = ("pyproject.toml", "setup.cfg", "setup.py", "tox.ini", "noxfile.py")


def blocked_output_plugins(snap: Snapshot, found: Findings) -> list[str]:
    """`-p no:NAME` options for the output-rewriting plugins named in the dependency sources,
    with the file each was found in noted in `found`'s provenance."""
    paths = [
        *_FILES,
        *found.requirement_files,
        *sorted(f for f in snap.files if f.startswith(".github/workflows/")),
    ]
    texts = {path: snap.read(path) or "" for path in paths}
    texts["drafted pip_packages"] = " ".join(found.pip_packages)
    options: list[str] = []
    for distribution, plugin in OUTPUT_PLUGINS.items():
        pattern = re.compile(rf"(?<![\w.-]){distribution.replace('-', '[-_.]')}(?![\w.-])", re.IGNORECASE)
        where = next((path for path, text in texts.items() if pattern.search(text)), None)
        if where is not None:
            options.append(f"-p no:{plugin}")
            found.note(
                f"test_cmd -p no:{plugin}", f"{distribution} in {where} rewrites the report validate reads"
            )
    return options
