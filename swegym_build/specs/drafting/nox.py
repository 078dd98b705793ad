"""noxfile.py: the string literals of `session.install(...)` in the test sessions, read with `ast`.

The file is parsed, never executed. Arguments that are not literals (variables, f-strings,
`*args`) cannot be known statically and are dropped with a warning.
"""

from __future__ import annotations

import ast
import re

from swegym_build.specs.drafting.requirements import take_install_args
from swegym_build.specs.drafting.runner import take_runner
from swegym_build.specs.drafting.snapshot import Findings, Snapshot

SOURCE = "noxfile.py"
# sessions that build docs or lint do not install what the tests need
_NOT_TESTS = re.compile(r"doc|lint|format|release|bench|typ|mypy|coverage|build|publish|pre_?commit", re.I)


def read_nox(snap: Snapshot, found: Findings) -> None:
    text = snap.read("noxfile.py")
    if text is None:
        return
    try:
        tree = ast.parse(text, filename="noxfile.py")
    except SyntaxError as exc:
        found.warn(f"{SOURCE} does not parse, not read: {exc.msg} (line {exc.lineno})")
        return
    functions = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]
    for function in sorted(functions, key=lambda f: f.lineno):
        if _NOT_TESTS.search(function.name):
            continue
        source = f"{SOURCE} session {function.name}"
        for call in _calls(function):
            method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
            if method == "install":
                take_install_args(found, _literals(call, found, source), source, snap)
            elif method == "run":
                take_runner(found, " ".join(_literals(call, None, source)), source)


def _calls(function: ast.FunctionDef) -> list[ast.Call]:
    calls = [n for n in ast.walk(function) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    return sorted(calls, key=lambda c: (c.lineno, c.col_offset))


def _literals(call: ast.Call, found: Findings | None, source: str) -> list[str]:
    words: list[str] = []
    for arg in call.args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            words.append(arg.value)
        elif found is not None:
            found.warn(f"{source}: session.install argument `{ast.unparse(arg)}` dropped (not a literal)")
    return words
