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
# a branch taken only on another OS installs what a Linux env must not (pywin32)
_OTHER_OS = re.compile(r"windows|win32|darwin|macos|\bnt\b", re.I)


def read_nox(snap: Snapshot, found: Findings) -> None:
    text = snap.read("noxfile.py")
    if text is None:
        return
    try:
        tree = ast.parse(text, filename="noxfile.py")
    except SyntaxError as exc:
        found.warn(f"{SOURCE} does not parse, not read: {exc.msg} (line {exc.lineno})")
        return
    for function in nox_test_sessions(tree):
        source = f"{SOURCE} session {function.name}"
        for call in _calls(function):
            method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
            if method == "install":
                take_install_args(found, _literals(call, found, source), source, snap)
            elif method == "run":
                take_runner(found, " ".join(_literals(call, None, source)), source)


def nox_test_sessions(tree: ast.Module) -> list[ast.FunctionDef]:
    """The test sessions (decorated `@nox.session`, not docs/lint; in a file without decorators,
    the functions taking a `session`) and the helpers of this file they call, in file order."""
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    decorated = [f for f in functions.values() if any("session" in ast.unparse(d) for d in f.decorator_list)]
    taking = [f for f in functions.values() if f.args.args and f.args.args[0].arg == "session"]
    sessions = [f for f in decorated or taking if not _NOT_TESTS.search(f.name)]
    chosen = {f.name for f in sessions}
    pending = list(sessions)
    while pending:
        for node in ast.walk(pending.pop()):
            name = node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None
            if name in functions and name not in chosen and not _NOT_TESTS.search(name):
                chosen.add(name)
                pending.append(functions[name])
    return sorted((functions[name] for name in chosen), key=lambda f: f.lineno)


def _calls(node: ast.AST) -> list[ast.Call]:
    """Method calls under `node`, in source order, leaving out branches for Windows or macOS."""
    calls: list[ast.Call] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _OTHER_OS.search(ast.unparse(child.test)):
            for branch in child.orelse:
                calls.extend(_calls(branch))
            continue
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
            calls.append(child)
        calls.extend(_calls(child))
    return sorted(calls, key=lambda c: (c.lineno, c.col_offset))


def _literals(call: ast.Call, found: Findings | None, source: str) -> list[str]:
    words: list[str] = []
    for arg in call.args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            words.append(arg.value)
        elif found is not None:
            found.warn(f"{source}: session.install argument `{ast.unparse(arg)}` dropped (not a literal)")
    return words
