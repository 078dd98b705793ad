"""The recipes the verification loop tries for one (repository, version), in a fixed order.

The first candidate is the recipe as it stands (shipped or drafted). Each later one changes one
thing the drafting facts at the environment commit support, so a failure points at one cause:

1. each extra the project declares and the install leaves out, added (test extras first): the
   commonest cause of a collection error is a test dependency that only an extra installs;
2. each requirements file the tree has and the recipe does not install, added;
3. the install mode: a project install made plain when it was editable, editable when plain;
4. another Python the project allows and a provider has, nearest first (older on a tie): those
   released by the commit's date, and the next newer one only;
5. each extra of the install left out (an extra that does not install at the cut-off);
6. the test command: `python -m pytest ...` as `pytest ...`, and the reverse.

After an install that failed with no cure in its log, the loop tries the candidates that install
more (1, 2) last: installing more does not mend a failed install, and another Python may.
Nothing here runs: the same recipe and facts always give the same list (`candidate_digest` keys
what was tried), so a verified recipe is reproducible.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swegym_build.images.engine import inputs_digest
from swegym_build.images.tiers import project_installs
from swegym_build.pythons.provider import KNOWN_PYTHONS
from swegym_build.specs.drafting.metadata import TEST_EXTRAS, declared_extras, requirement_files
from swegym_build.specs.drafting.python import released_by
from swegym_build.specs.drafting.snapshot import Snapshot
from swegym_build.versions.python_choice import project_pythons

AS_SHIPPED = "as shipped"
AS_DRAFTED = "as drafted"

_EDITABLE = re.compile(r"(?:\s|^)(?:-e|--editable)(?:\s+|=)")
_EXTRAS = re.compile(r"""(['"]?)\.\[([^\]]*)\]\1""")
_PLAIN_TARGET = re.compile(r"""(\binstall\s+(?:--?[\w-]+(?:=\S+)?\s+)*)(['"]?)\.(\[[^\]]*\])?\2(?=\s|$)""")
_PYTEST_MODULE = re.compile(r"^python -m pytest(?=\s|$)")
_PYTEST_SCRIPT = re.compile(r"^pytest(?=\s|$)")


@dataclass(frozen=True)
class Candidate:
    """One recipe to try: `label` says what it changes from the first one."""

    label: str
    install_config: dict[str, Any]
    avoids_host: str = ""  # a cure for an install that could not reach this host: it no longer fetches there
    adds: bool = False  # it installs more than the first (an extra, a requirements file)


@dataclass(frozen=True)
class DraftFacts:
    """What the repository's files say at the environment commit, read statically."""

    extras: tuple[str, ...] = ()  # every extra the packaging files declare
    requirement_files: tuple[str, ...] = ()  # requirements files (not docs/lint/release ones)
    pythons: tuple[str, ...] = ()  # Pythons the project allows and a provider has


def read_facts(mirror: Path, commit: str, providable: Callable[[str], bool]) -> DraftFacts:
    """The facts at `commit` of `mirror`; `providable(version)` says whether a base image can
    have that Python (the build's provider chain)."""
    snap = Snapshot(mirror, commit)
    allowed = project_pythons(mirror, commit)
    usable = [v for v in KNOWN_PYTHONS if allowed.allows(v) and providable(v)]
    # A Python released after the commit is one its pins never met (no wheels of that era): only
    # the nearest such is kept, for when the bases provide none as old as the commit.
    released = [v for v in usable if released_by(v, snap.date)]
    later = [v for v in usable if v not in released]
    return DraftFacts(
        tuple(declared_extras(snap)), tuple(requirement_files(snap.files)), tuple(released + later[:1])
    )


def candidates(first: dict[str, Any], facts: DraftFacts, first_label: str = AS_DRAFTED) -> list[Candidate]:
    """`first`, then one-change variations of it in the order of the module docstring, without
    duplicates (a variation equal to an earlier candidate is left out)."""
    found: list[Candidate] = [Candidate(first_label, first)]
    for label, config, adds in _variations(first, facts):
        if all(config != c.install_config for c in found):
            found.append(Candidate(label, config, adds=adds))
    return found


def candidate_digest(tried: Sequence[Candidate], *context: str) -> str:
    """What a verification depends on: the candidates (in order) and e.g. the commits and limits."""
    return inputs_digest({"candidates": [c.install_config for c in tried], "context": list(context)})[:16]


def _variations(first: dict[str, Any], facts: DraftFacts) -> list[tuple[str, dict[str, Any], bool]]:
    install: list[str] = list(first["install"])
    projects = [i for i, command in enumerate(install) if command in project_installs(install)]
    added, modes, dropped = [], [], []
    for i in projects:
        used = _extras_of(install[i])
        ordered = sorted(facts.extras, key=lambda e: (e not in TEST_EXTRAS, e))
        for extra in (e for e in ordered if e not in used):
            changed = _with_extras(install[i], [*used, extra])
            added.append((f"with extra {extra}", {**first, "install": _replace(install, i, changed)}))
        for extra in used:
            changed = _with_extras(install[i], [e for e in used if e != extra])
            dropped.append((f"without extra {extra}", {**first, "install": _replace(install, i, changed)}))
        toggled = _toggle_editable(install[i])
        if toggled != install[i]:
            mode = "plain" if _EDITABLE.search(install[i]) else "editable"
            modes.append((f"{mode} install ({toggled})", {**first, "install": _replace(install, i, toggled)}))
    text = " ".join(install)
    constraints = "".join(f" -c {c}" for c in dict.fromkeys(re.findall(r"\s-c\s+(\S+)", text)))
    files = []
    for name in facts.requirement_files:
        if not re.search(rf"-r\s+{re.escape(name)}(?:\s|$)", text):
            command = f"python -m pip install -r {shlex.quote(name)}{constraints}"
            files.append((f"with requirements file {name}", {**first, "install": [command, *install]}))
    current = str(first["python"])
    others = sorted(
        (v for v in facts.pythons if v != current),
        key=lambda v: (abs(_minor(v) - _minor(current)), _minor(v) > _minor(current)),
    )
    pythons = [(f"Python {v}", {**first, "python": v}) for v in others]
    commands = []
    if first.get("log_parser") == "pytest":
        command = str(first["test_cmd"])
        for pattern, other in ((_PYTEST_MODULE, "pytest"), (_PYTEST_SCRIPT, "python -m pytest")):
            if pattern.match(command):
                swapped = pattern.sub(other, command, count=1)
                commands.append((f"test command {swapped!r}", {**first, "test_cmd": swapped}))
                break
    adding = [(label, config, True) for label, config in [*added, *files]]
    changing = [(label, config, False) for label, config in [*modes, *pythons, *dropped, *commands]]
    return [*adding, *changing]


def _toggle_editable(command: str) -> str:
    if _EDITABLE.search(command):
        return _EDITABLE.sub(" ", command, count=1).strip()
    return _PLAIN_TARGET.sub(lambda m: f"{m.group(1)}-e {m.group(0)[len(m.group(1)) :]}", command, count=1)


def _extras_of(command: str) -> list[str]:
    match = _EXTRAS.search(command)
    return [e.strip() for e in match.group(2).split(",") if e.strip()] if match else []


def _with_extras(command: str, extras: list[str]) -> str:
    target = f"'.[{','.join(extras)}]'" if extras else "."
    if _EXTRAS.search(command):
        return _EXTRAS.sub(target, command, count=1)
    return _PLAIN_TARGET.sub(lambda m: f"{m.group(1)}{target}", command, count=1)


def _replace(items: list[str], index: int, value: str) -> list[str]:
    return [value if i == index else item for i, item in enumerate(items)]


def _minor(version: str) -> int:
    return int(version.split(".")[1])
