"""Find the version a Python module declares, by evaluating its constant parts with `ast`.

Never executes the module: only literals, names bound to literals at module level, and a few
string operations projects use to build a version (`".".join(map(str, VERSION_INFO))`,
`"%d.%d" % (1, 2)`, `"{}.{}".format(*v)`, `+`, f-strings, indexing) are understood. Names
imported from elsewhere (`from .version import __version__`) come back as `ImportRef`s for the
caller to follow.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from swegym_build.versions.normalize import is_placeholder, join_version_tuple

logger = logging.getLogger(__name__)

# In priority order: `__version__` is what `pkg.__version__` (and SWE-bench) reports.
VERSION_NAMES = ("__version__", "VERSION", "version", "__VERSION__")
VERSION_TUPLE_NAMES = ("__version_info__", "VERSION_INFO", "version_info")

_LOOKS_LIKE_VERSION = re.compile(r"^\s*[vV]?\d+(\.\d+)+")
_REGEX_FALLBACK = re.compile(r"""^(?:__version__|VERSION)\s*=\s*['"]([^'"\n]+)['"]""", re.MULTILINE)
_MAX_SEQUENCE = 16


@dataclass(frozen=True)
class ImportRef:
    """`from <level dots><module> import <name>`: the value lives in another module."""

    module: str
    level: int
    name: str


Found = str | ImportRef


class _Unknown(Exception):
    """The expression is not something we can evaluate statically."""


class _Imported(Exception):
    """The expression is a bare name imported from another module."""

    def __init__(self, ref: ImportRef) -> None:
        super().__init__(ref.name)
        self.ref = ref


def version_candidates(source: str, names: tuple[str, ...] = VERSION_NAMES) -> list[tuple[str, Found]]:
    """Version-like values bound to `names` (then to version-info tuples) at module level, best first.

    A value is either the declared string (tuples are joined: `(3, 0, 0, "alpha", 0)` ->
    `3.0.0.alpha.0`) or an `ImportRef` when the name is imported. Placeholders (`"unknown"`,
    `"0.0.0"`) are included; the caller decides what they mean. Sources that do not parse (Python 2
    setup scripts) fall back to a regex for `__version__ = "..."`.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return [("regex", m.group(1)) for m in _REGEX_FALLBACK.finditer(source)][:1]
    scope = _ModuleScope.collect(tree)
    found: list[tuple[str, Found]] = []
    for name in (*names, *VERSION_TUPLE_NAMES):
        # A name can be bound both ways (`__version__ = "1.2"` in one branch, imported from a
        # generated file in another); the later binding is tried first, the other is the fallback.
        bindings: list[tuple[int, Found]] = []
        if name in scope.imports:
            bindings.append(scope.imports[name])
        if name in scope.values:
            sequence, value = scope.values[name]
            text = _as_version_string(value)
            if text is not None:
                bindings.append((sequence, text))
        found.extend((name, binding) for _, binding in sorted(bindings, key=lambda b: b[0], reverse=True))
    return found


def evaluate_in_module(module: ast.Module, expression: ast.expr) -> Found | None:
    """Evaluate `expression` in `module`'s constant scope: a version string, an `ImportRef` or None."""
    scope = _ModuleScope.collect(module)
    try:
        return _as_version_string(scope.evaluate(expression))
    except _Imported as imported:
        return imported.ref
    except _Unknown:
        return None


def string_arguments(tree: ast.AST) -> Iterator[tuple[str, ...]]:
    """The string-constant positional arguments of every call, e.g. `("hydra", "__init__.py")`.

    Setup scripts locate their version file with calls such as
    `read(os.path.join(here, "conans", "__init__.py"))`; joining the constant parts recovers the path.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            parts = tuple(
                arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            )
            if parts:
                yield parts


def _as_version_string(value: object) -> str | None:
    if isinstance(value, str):
        return value if _LOOKS_LIKE_VERSION.match(value) or is_placeholder(value) else None
    if isinstance(value, tuple) and value and isinstance(value[0], int) and not isinstance(value[0], bool):
        return join_version_tuple(value)
    return None


@dataclass
class _ModuleScope:
    """The last evaluable value and the last import of each module-level name, with their order."""

    values: dict[str, tuple[int, object]]
    imports: dict[str, tuple[int, ImportRef]]

    @classmethod
    def collect(cls, tree: ast.Module) -> _ModuleScope:
        scope = cls({}, {})
        for sequence, statement in enumerate(_module_level(tree.body)):
            scope._bind(sequence, statement)
        return scope

    def _bind(self, sequence: int, statement: ast.stmt) -> None:
        if isinstance(statement, ast.ImportFrom):
            for alias in statement.names:
                local = alias.asname or alias.name
                self.imports[local] = (
                    sequence,
                    ImportRef(statement.module or "", statement.level, alias.name),
                )
            return
        if isinstance(statement, ast.Assign):
            targets = [t.id for t in statement.targets if isinstance(t, ast.Name)]
            value_node = statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets = [statement.target.id] if isinstance(statement.target, ast.Name) else []
            value_node = statement.value
        else:
            return
        try:
            value: object = self.evaluate(value_node)
        except _Imported as imported:
            for target in targets:
                self.imports[target] = (sequence, imported.ref)
            return
        except _Unknown:
            # A later computed assignment (`__version__ = _update_version_file()`) does not erase
            # what was declared: the declared literal is the version, the rest decorates it.
            return
        for target in targets:
            self.values[target] = (sequence, value)

    def evaluate(self, node: ast.expr) -> object:
        if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float):
            return node.value
        if isinstance(node, ast.Tuple | ast.List):
            if len(node.elts) > _MAX_SEQUENCE:
                raise _Unknown
            return tuple(self.evaluate(element) for element in node.elts)
        if isinstance(node, ast.Name):
            # Inside expressions a known literal beats an import we may not be able to follow.
            if node.id in self.values:
                return self.values[node.id][1]
            if node.id in self.imports:
                raise _Imported(self.imports[node.id][1])
            raise _Unknown
        if isinstance(node, ast.JoinedStr):
            return "".join(self._format_part(part) for part in node.values)
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        raise _Unknown

    def _format_part(self, part: ast.expr) -> str:
        if isinstance(part, ast.FormattedValue):
            return str(self._plain(part.value))
        return str(self._plain(part))

    def _plain(self, node: ast.expr) -> object:
        # Inside a larger expression an imported name is just unknown.
        try:
            return self.evaluate(node)
        except _Imported as imported:
            raise _Unknown from imported

    def _binop(self, node: ast.BinOp) -> object:
        left, right = self._plain(node.left), self._plain(node.right)
        if isinstance(node.op, ast.Add) and isinstance(left, str) and isinstance(right, str):
            return left + right
        if isinstance(node.op, ast.Add) and isinstance(left, tuple) and isinstance(right, tuple):
            return left + right
        if isinstance(node.op, ast.Mod) and isinstance(left, str):
            try:
                return left % right
            except (TypeError, ValueError) as exc:
                raise _Unknown from exc
        raise _Unknown

    def _subscript(self, node: ast.Subscript) -> object:
        container = self._plain(node.value)
        if not isinstance(container, tuple | str):
            raise _Unknown
        index = node.slice
        try:
            if isinstance(index, ast.Slice):
                bounds = [
                    None if b is None else self._plain(b) for b in (index.lower, index.upper, index.step)
                ]
                if not all(b is None or isinstance(b, int) for b in bounds):
                    raise _Unknown
                return container[slice(*bounds)]  # type: ignore[arg-type]  # checked just above
            position = self._plain(index)
            if not isinstance(position, int):
                raise _Unknown
            return container[position]
        except IndexError as exc:
            raise _Unknown from exc

    def _call(self, node: ast.Call) -> object:
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Constant | ast.Name):
            receiver = self._plain(func.value)
            if isinstance(receiver, str):
                return self._string_method(receiver, func.attr, node)
        if isinstance(func, ast.Name) and func.id in _BUILTINS and len(node.args) <= 2 and not node.keywords:
            return _BUILTINS[func.id](*(self._iterable_or_value(arg) for arg in node.args))
        return self._wrapped_version(node)

    def _string_method(self, receiver: str, method: str, node: ast.Call) -> object:
        if method == "join" and len(node.args) == 1:
            items = self._iterable_or_value(node.args[0])
            if isinstance(items, tuple) and all(isinstance(item, str) for item in items):
                return receiver.join(items)
        elif method == "format":
            args: list[object] = []
            for arg in node.args:
                if isinstance(arg, ast.Starred):
                    spread = self._plain(arg.value)
                    if not isinstance(spread, tuple):
                        raise _Unknown
                    args.extend(spread)
                else:
                    args.append(self._plain(arg))
            kwargs = {kw.arg: self._plain(kw.value) for kw in node.keywords if kw.arg is not None}
            try:
                return receiver.format(*args, **kwargs)
            except (IndexError, KeyError, ValueError) as exc:
                raise _Unknown from exc
        elif method in ("strip", "lstrip", "rstrip") and not node.args:
            return getattr(receiver, method)()
        raise _Unknown

    def _iterable_or_value(self, node: ast.expr) -> object:
        if isinstance(node, ast.GeneratorExp | ast.ListComp):
            return self._comprehension(node)
        if isinstance(node, ast.Name) and node.id in _CONVERTERS:
            return _CONVERTERS[node.id]
        return self._plain(node)

    def _comprehension(self, node: ast.GeneratorExp | ast.ListComp) -> tuple[object, ...]:
        # `str(x) for x in VERSION_INFO`: one generator, a plain target, no conditions.
        if len(node.generators) != 1:
            raise _Unknown
        generator = node.generators[0]
        if generator.ifs or not isinstance(generator.target, ast.Name):
            raise _Unknown
        items = self._plain(generator.iter)
        if not isinstance(items, tuple):
            raise _Unknown
        variable = generator.target.id
        saved = self.values.get(variable)
        results = []
        try:
            for item in items:
                self.values[variable] = (-1, item)
                results.append(self._plain(node.elt))
        finally:
            if saved is None:
                self.values.pop(variable, None)
            else:
                self.values[variable] = saved
        return tuple(results)

    def _wrapped_version(self, node: ast.Call) -> object:
        # `StrictStr("1.10.2")`, `_generate_version(BASE)`: a call we cannot follow whose only
        # version-like argument is the declared version; anything else stays unknown.
        values = []
        for arg in node.args:
            try:
                values.append(self._plain(arg))
            except _Unknown:
                continue
        versions = [v for v in values if isinstance(v, str) and _LOOKS_LIKE_VERSION.match(v)]
        if len(versions) == 1:
            return versions[0]
        raise _Unknown


def _map(function: object, items: object) -> tuple[object, ...]:
    if not callable(function) or not isinstance(items, tuple):
        raise _Unknown
    return tuple(function(item) for item in items)


def _to_str(value: object) -> str:
    if not isinstance(value, str | int | float):
        raise _Unknown
    return str(value)


_CONVERTERS: dict[str, Callable[[object], object]] = {"str": _to_str}
_BUILTINS: dict[str, Callable[..., object]] = {"str": _to_str, "map": _map}


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements run at import time, in order, including those under `if` and `try`.

    `try: from ._version import version as __version__ / except ImportError: __version__ = "unknown"`
    is the setuptools_scm idiom; both branches matter. Function and class bodies do not.
    """
    for statement in body:
        if isinstance(statement, ast.If):
            yield from _module_level(statement.body)
            yield from _module_level(statement.orelse)
        elif isinstance(statement, ast.Try):
            yield from _module_level(statement.body)
            for handler in statement.handlers:
                yield from _module_level(handler.body)
            yield from _module_level(statement.orelse)
            yield from _module_level(statement.finalbody)
        else:
            yield statement
