"""A fake GitHub REST API over real HTTP on 127.0.0.1, and the worlds it serves.

Used by the tests, the benchmarks and the offline demo: PyGithub talks to it through its base URL.
"""

from swegym_build.testing.fakegithub.server import FakeGitHub, Fault
from swegym_build.testing.fakegithub.world import FakeComment, FakeIssue, FakePull, FakeRepo, World

__all__ = ["FakeComment", "FakeGitHub", "FakeIssue", "FakePull", "FakeRepo", "Fault", "World"]
