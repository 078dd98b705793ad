import pytest

from swegym_build.errors import ValidationError
from swegym_build.records import InstallConfig
from swegym_build.validate.evalscript import targets_to_run
from swegym_build.validate.safety import check_patch, touched_files, unsafe_paths

GOOD = """diff --git a/pkg/ops.py b/pkg/ops.py
index 1111111..2222222 100644
--- a/pkg/ops.py
+++ b/pkg/ops.py
@@ -1 +1 @@
-x = 1
+x = 2
"""


def _new_file(path: str, body: str = "+x\n") -> str:
    header = f"diff --git a/{path} b/{path}\nnew file mode 100644\n"
    return f"{header}--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n{body}"


def test_a_patch_inside_the_repository_is_fine() -> None:
    assert unsafe_paths(GOOD) == []
    check_patch("o__r-1", "patch", GOOD)


@pytest.mark.parametrize(
    "patch",
    [
        _new_file("../outside.py"),
        _new_file("pkg/../../outside.py"),
        _new_file(".git/hooks/post-checkout"),
        "diff --git a//etc/passwd b//etc/passwd\n--- a//etc/passwd\n+++ b//etc/passwd\n",
        "diff --git a/a.py b/a.py\nrename from a.py\nrename to ../a.py\n",
    ],
)
def test_paths_leaving_the_repository_are_refused(patch: str) -> None:
    with pytest.raises(ValidationError, match="o__r-1: patch refused: path outside the repository"):
        check_patch("o__r-1", "patch", patch)


def test_a_symlink_leading_out_is_refused_one_inside_is_not() -> None:
    out = ("diff --git a/pkg/link b/pkg/link\nnew file mode 120000\n--- /dev/null\n+++ b/pkg/link\n"
           "@@ -0,0 +1 @@\n+../../etc\n\\ No newline at end of file\n")  # fmt: skip
    inside = out.replace("+../../etc", "+../docs")
    assert unsafe_paths(out) == ["symlink pkg/link leads outside the repository: ../../etc"]
    assert unsafe_paths(inside) == []


def test_test_targets_are_the_test_modules_left_in_the_tree() -> None:
    patch = _new_file("tests/test_a.py") + _new_file("tests/data/x.bin") + (
        "diff --git a/tests/test_old.py b/tests/test_old.py\ndeleted file mode 100644\n"
        "--- a/tests/test_old.py\n+++ /dev/null\n"
    )  # fmt: skip
    assert touched_files(patch) == ["tests/test_a.py", "tests/data/x.bin"]
    expected = {"pytest": ["tests/test_a.py"], "unittest": ["tests.test_a"], "exit_code": []}
    for parser, targets in expected.items():
        assert targets_to_run(patch, InstallConfig(python="3.11", test_cmd="t", log_parser=parser)) == targets


def test_a_package_init_or_conftest_beside_test_modules_is_not_a_target() -> None:
    """pytest given a package's __init__.py runs the whole package: tests the patch never touched."""
    patch = (
        _new_file("tests/svc/__init__.py")
        + _new_file("tests/svc/conftest.py")
        + _new_file("tests/svc/test_db.py")
    )
    pytest_config = InstallConfig(python="3.11", test_cmd="t", log_parser="pytest")
    assert targets_to_run(patch, pytest_config) == ["tests/svc/test_db.py"]
    # with nothing else to run, they are what the patch's tests are
    alone = _new_file("tests/svc/__init__.py")
    assert targets_to_run(alone, pytest_config) == ["tests/svc/__init__.py"]


def _git_binary_literal(content: bytes) -> str:
    """`literal N` + base85 lines, as `git diff --binary` writes them."""
    import base64
    import zlib

    data = zlib.compress(content)
    lines = []
    for at in range(0, len(data), 52):
        chunk = data[at : at + 52]
        length = chunk and "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[len(chunk) - 1]
        lines.append(length + base64.b85encode(chunk.ljust(-(-len(chunk) // 4) * 4, b"\0")).decode())
    return f"literal {len(content)}\n" + "\n".join(lines) + "\n\n"


def _binary_symlink(path: str, target: bytes) -> str:
    return (f"diff --git a/{path} b/{path}\nnew file mode 120000\nindex 0000000..1111111\nGIT binary patch\n"
            f"{_git_binary_literal(target)}literal 0\nHcmV?d00001\n\n")  # fmt: skip


def test_a_binary_symlink_to_root_is_refused_one_inside_is_not() -> None:
    assert unsafe_paths(_binary_symlink("pkg/root", b"/")) == [
        "symlink pkg/root leads outside the repository: /"
    ]
    assert unsafe_paths(_binary_symlink("pkg/up", b"../..")) == [
        "symlink pkg/up leads outside the repository: ../.."
    ]
    assert unsafe_paths(_binary_symlink("pkg/git", b"../.git")) == [
        "symlink pkg/git leads outside the repository: ../.git"
    ]
    assert unsafe_paths(_binary_symlink("pkg/docs", b"../docs")) == []


def test_a_binary_delta_on_a_symlink_is_refused() -> None:
    patch = "diff --git a/l b/l\nnew mode 120000\nGIT binary patch\ndelta 5\nAcmZ?wbYf%x\n\n"
    assert unsafe_paths(patch) == ["symlink l as a binary delta or an unreadable binary patch"]


def test_a_space_in_the_diff_git_line_cannot_hide_a_git_write() -> None:
    # A binary diff has no ---/+++ lines: git takes the name from this line, split where both
    # halves agree: `x b/.git/hooks/post-checkout`, whose `.git` component git refuses.
    header = "diff --git a/x b/.git/hooks/post-checkout b/x b/.git/hooks/post-checkout\n"
    body = _git_binary_literal(b"#!/bin/sh\nid\n") + "literal 0\nHcmV?d00001\n\n"
    hidden = header + "new file mode 100755\nGIT binary patch\n" + body
    problems = unsafe_paths(hidden)
    assert problems == ["path outside the repository: x b/.git/hooks/post-checkout"]
    # No split names one file: every half is checked.
    assert "path outside the repository: .git/config" in unsafe_paths("diff --git a/ok.py b/.git/config\n")


def test_quoted_paths_are_unquoted_as_git_does() -> None:
    # \056git is ".git" in octal; a tab and UTF-8 bytes are escaped the same way.
    quoted = '"a/pkg/\\056git/config"'
    patch = f'diff --git {quoted} "b/pkg/\\056git/config"\n--- {quoted}\n+++ "b/pkg/\\056git/config"\n'
    assert unsafe_paths(patch) == ["path outside the repository: pkg/.git/config"]
    name = "caf\\303\\251 x.py"
    fine = f'diff --git "a/{name}" "b/{name}"\n--- "a/{name}"\n+++ "b/{name}"\n'
    assert unsafe_paths(fine) == [] and touched_files(fine) == ["café x.py"]


@pytest.mark.parametrize("component", [".GIT", ".git.", "git~1"])
def test_git_dir_spellings_at_any_depth_are_refused(component: str) -> None:
    with pytest.raises(ValidationError, match="path outside the repository"):
        check_patch("o__r-1", "patch", _new_file(f"sub/{component}/hooks/pre-commit"))


def test_a_binary_file_without_plus_lines_is_a_touched_file() -> None:
    patch = (
        "diff --git a/tests/data.bin b/tests/data.bin\nnew file mode 100644\nGIT binary patch\n"
        + _git_binary_literal(b"\0\1")
    )
    assert touched_files(patch) == ["tests/data.bin"]
