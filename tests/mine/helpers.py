"""Running the mine stage in-process against a fake GitHub, as the CLI does."""

from __future__ import annotations

from swegym_build.github.client import open_github
from swegym_build.github.http_cache import HttpCache
from swegym_build.github.transport import ApiStats, GitHubTransport, RetryPolicy
from swegym_build.jsonl import read_jsonl
from swegym_build.mine.miner import MineOptions, MineSummary, mine
from swegym_build.records import TaskInstance
from swegym_build.state import StateStore
from swegym_build.testing.fakegithub import FakeGitHub
from swegym_build.workspace import Workspace

FAST_RETRIES = RetryPolicy(attempts=4, backoff_base=0.05, backoff_max=0.2, secondary_default=0.5)


def run_mine(
    fake: FakeGitHub,
    workspace: Workspace,
    repo: str = "swegym-demo/calculator",
    token: str | None = None,
    policy: RetryPolicy = FAST_RETRIES,
    on_wait=None,
    **options,
) -> MineSummary:
    stats = ApiStats()
    transport = GitHubTransport(
        cache=HttpCache(workspace.http_cache_db), stats=stats, policy=policy, on_wait=on_wait
    )
    gh = open_github(fake.url, transport, token)
    state = StateStore(workspace.state_db)
    try:
        return mine(gh, fake.url, workspace, state, MineOptions(repo=repo, **options), stats, token)
    finally:
        state.close()


def raw_instances(workspace: Workspace, repo: str = "swegym-demo/calculator") -> list[TaskInstance]:
    return [TaskInstance.from_dict(row) for row in read_jsonl(workspace.raw_file(repo))]
