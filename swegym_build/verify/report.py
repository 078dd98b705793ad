"""The per-(repository, version) verification table shown by `build` and `status`."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table

from swegym_build.verify.loop import EnvVerification
from swegym_build.verify.records import read_verifications, verified_repos
from swegym_build.workspace import Workspace


def recipe_summary(recipe: dict[str, object]) -> str:
    """A recipe in one line: Python, install commands, test command."""
    install = "; ".join(str(c) for c in recipe.get("install", []) or [])  # type: ignore[attr-defined]
    return f"py{recipe.get('python')} | {install or '(no install)'} | {recipe.get('test_cmd')}"


def verification_table(verifications: Iterable[EnvVerification], title: str = "recipes") -> Table:
    table = Table(title=title)
    for column in ("repo", "version", "recipe from", "status", "attempts", "recipe used / why not"):
        table.add_column(column)
    for v in verifications:
        if v.winner is not None:
            used = f"{v.winner.label}: {recipe_summary(v.winner.recipe)}"
        else:
            last = v.attempts[-1] if v.attempts else None
            used = (
                f"{last.outcome}: {last.detail.splitlines()[0][:120] if last.detail else ''}" if last else ""
            )
            if v.suggestion is not None:
                used += f" (would verify: {v.suggestion.label})"
        colour = "green" if v.status == "verified" else "red" if v.status == "failed" else "yellow"
        table.add_row(v.repo, v.version, v.origin, f"[{colour}]{v.status}[/{colour}]",
                      f"{len(v.attempts)}", used)  # fmt: skip
    return table


def status_verifications(workspace: Workspace, repo: str | None = None) -> None:
    """Print the verification table of the workspace (`swegym-build status`), if it has any."""
    from swegym_build.display import console

    repos = [repo] if repo else verified_repos(workspace)
    found = [v for r in repos for v in read_verifications(workspace, r).values()]
    if found:
        console.print(verification_table(found, f"recipes ({workspace.root / 'verified'})"))
