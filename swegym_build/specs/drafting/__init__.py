"""The readers behind `swegym_build.specs.draft`: one module per kind of file or decision.

Nothing here executes repository code: files come from `git show` and are parsed as text, INI,
TOML, YAML or a Python AST.
"""
