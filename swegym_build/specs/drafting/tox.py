"""tox.ini: the `[testenv]` deps and extras of the env that runs the drafted Python.

tox lines can be conditional on factors (`py39: x`, `!pypy: y`, `{py38,py39}-z: w`, nested as
`min: dev: pytest`). The env drafted for is the one tox would create for the chosen Python: its
factors are the Python's own (`py311`, `py3`, `py`) plus the factors every envlist env for that
Python has (`test` in `py{39,311}-test`); lines for any other factor are left out.
"""

from __future__ import annotations

import configparser
import itertools
import logging
import re
import shlex

from swegym_build.specs.drafting.requirements import take_install_args, take_requirement
from swegym_build.specs.drafting.runner import take_runner
from swegym_build.specs.drafting.snapshot import Findings, Snapshot

log = logging.getLogger(__name__)

# `factors:` at the start of a line, followed by a space or the end (so `git+https:` is not one)
_FACTOR_PREFIX = re.compile(r"^\s*([!\w{},.-]+):(?:\s+|$)")
_PYTHON_FACTOR = re.compile(r"^(?:py|python)(\d)\.?(\d+)?$")


def read_tox(snap: Snapshot, found: Findings, python: str) -> None:
    """Read tox.ini at the repository root for the env running `python` (e.g. `"3.11"`)."""
    text = snap.read("tox.ini")
    if text is None:
        return
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        found.warn(f"tox.ini does not parse, not read: {exc}".splitlines()[0])
        return
    if not parser.has_section("testenv"):
        return
    envlist = parser.get("tox", "envlist", fallback="") if parser.has_section("tox") else ""
    active = active_factors(python, expand_envlist(envlist))
    for line in _lines(parser.get("testenv", "deps", fallback="")):
        chosen = _select(line, active)
        if chosen:
            _take_dep(found, chosen.replace("{toxinidir}", "."), snap)
    for line in _lines(parser.get("testenv", "extras", fallback="")):
        chosen = _select(line, active)
        if chosen:
            found.add_extras(re.findall(r"[\w.-]+", chosen), "tox.ini [testenv] extras")
    commands = [
        c for line in _lines(parser.get("testenv", "commands", fallback="")) if (c := _select(line, active))
    ]
    take_runner(found, "\n".join(commands), "tox.ini [testenv] commands")


def env_commands(text: str) -> dict[str, list[str]]:
    """Each tox env section's `commands` (`[testenv]`, `[testenv:NAME]`), every line without its
    factor prefixes whichever factors they name; empty when tox.ini does not parse."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    commands: dict[str, list[str]] = {}
    for section in parser.sections():
        if section == "testenv" or section.startswith("testenv:"):
            lines = []
            for line in _lines(parser.get(section, "commands", fallback="")):
                while match := _FACTOR_PREFIX.match(line):
                    line = line[match.end() :]
                lines.append(line)
            commands[section] = lines
    return commands


def python_factors(python: str) -> set[str]:
    major, _, minor = python.partition(".")
    return {"py", f"py{major}", f"py{major}{minor}", f"py{major}.{minor}", f"python{major}.{minor}"}


def active_factors(python: str, envs: list[str]) -> set[str]:
    """The factors of the tox env for `python`, given the expanded envlist."""
    ours = python_factors(python)
    split = [set(env.split("-")) for env in envs]
    matching = [factors for factors in split if factors & ours]
    if not matching:
        # no env names this Python: the envs for other Pythons show the non-Python factors
        matching = [factors for factors in split if any(_PYTHON_FACTOR.match(f) for f in factors)]
    common = set.intersection(*matching) if matching else set()
    return ours | {f for f in common if not _PYTHON_FACTOR.match(f)}


def expand_envlist(text: str) -> list[str]:
    names: list[str] = []
    for item in _split_top_level(",".join(_lines(text))):
        names.extend(expand_braces(item.strip()))
    return [n for n in names if n]


def expand_braces(text: str) -> list[str]:
    """`{py38,py39}-z` -> `py38-z`, `py39-z` (every brace group, as a product)."""
    parts = re.split(r"(\{[^{}]*\})", text)
    choices = [p[1:-1].split(",") if p.startswith("{") and p.endswith("}") else [p] for p in parts]
    return ["".join(combo).strip() for combo in itertools.product(*choices)]


def factor_condition_holds(condition: str, active: set[str]) -> bool:
    """tox's factor condition: `a,b` is a or b, `a-b` is a and b, `!a` is not a, braces expand."""
    for alternative in (alt for item in _split_top_level(condition) for alt in expand_braces(item)):
        factors = [f for f in alternative.split("-") if f]
        if factors and all((f[1:] not in active) if f.startswith("!") else (f in active) for f in factors):
            return True
    return False


def _select(line: str, active: set[str]) -> str | None:
    """The line without its factor prefixes when every prefix holds for `active`, else None."""
    rest = line
    while match := _FACTOR_PREFIX.match(rest):
        if not factor_condition_holds(match.group(1), active):
            log.debug("tox.ini: %r is for other factors than %s", line, sorted(active))
            return None
        rest = rest[match.end() :]
    return rest.strip() or None


def _take_dep(found: Findings, line: str, snap: Snapshot) -> None:
    source = "tox.ini [testenv] deps"
    if line.startswith("-") or ";" not in line:
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            found.warn(f"{source}: {line!r} dropped (unbalanced quotes)")
            return
        if line.startswith("-"):
            take_install_args(found, words, source, snap)
        else:
            for word in words:
                take_requirement(found, word, source, snap)
    else:
        take_requirement(found, line.split(" #", 1)[0], source, snap)


def _lines(value: str) -> list[str]:
    """Non-empty, non-comment lines, with backslash continuations joined."""
    joined = re.sub(r"\\\s*\n", " ", value)
    return [s for line in joined.splitlines() if (s := line.strip()) and not s.startswith("#")]


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside braces."""
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += char == "{"
        depth -= char == "}"
        if char == "," and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [i.strip() for i in items if i.strip()]
