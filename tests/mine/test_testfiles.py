import pytest

from swegym_build.testpaths import is_test_path


@pytest.mark.parametrize(
    "path",
    [
        "tests/test_ops.py",
        "test/helpers.py",
        "pkg/testing/utils.py",
        "web/e2e/login.spec.js",
        "pkg/tests/data/fixture.bin",
        "pkg/test_ops.py",
        "pkg/ops_test.py",
        "conftest.py",
        "pkg/conftest.py",
        "pkg/tests.py",
    ],
)
def test_recognised_as_test(path: str) -> None:
    assert is_test_path(path)


@pytest.mark.parametrize(
    "path",
    ["latest.py", "pkg/latest.py", "pkg/contest.py", "pkg/testament/ops.py", "docs/testing.md", "pkg/ops.py"],
)
def test_not_a_test(path: str) -> None:
    assert not is_test_path(path)


def test_spec_patterns_override_the_default() -> None:
    patterns = ["moto/core/tests_helpers/*", "*/unit/*"]
    assert is_test_path("moto/core/tests_helpers/x.py", patterns)
    assert is_test_path("src/unit/ops.py", patterns)
    assert not is_test_path("tests/test_ops.py", patterns)
