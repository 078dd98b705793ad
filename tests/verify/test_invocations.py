"""The folders a project's own pytest runs point at, read from its Makefile, tox, nox and CI
files, and the collection that follows them (a real pytest run)."""

from __future__ import annotations

from pathlib import Path

from swegym_build.verify.collection import collection_paths, judge_collection
from swegym_build.verify.invocations import invoked_roots
from tests.verify.test_collection import GOOD, PYTEST, run_here
from tests.verify.tree import write_tree

TREE = ["pkg/__init__.py", "pkg/core.py", "tests/test_core.py", "sdk/client/test_client.py", "docs/conf.py"]


def roots(files: dict[str, str]) -> frozenset[str] | None:
    return invoked_roots([*TREE, *files], files.get)


def test_a_makefile_run_names_its_folder_and_a_run_with_a_make_variable_is_left_out() -> None:
    makefile = (
        "PARALLEL = $(shell ls tests)\n"
        "test:\n\tpytest -sv -rs --cov=pkg --cov-report xml ./tests/ $(EXCLUDE)\n"
        "test-fast:\n\t@MODE=1 python -m pytest -n 4 --dist loadscope $(PARALLEL)\n"
        "only:\n\tpytest -sv -k 'core or tests' tests/test_core.py::test_one\n"
    )
    assert roots({"Makefile": makefile}) == {"tests"}
    # a variable hides where the first two runs point: alone, they name nothing
    assert roots({"Makefile": makefile.rsplit("only:", 1)[0]}) is None


def test_a_run_on_the_whole_tree_lifts_the_restriction() -> None:
    assert roots({"Makefile": "test:\n\tpytest tests\nall:\n\tpytest -v\n"}) is None
    assert roots({"Makefile": "test:\n\tpytest tests\nall:\n\tpytest .\n"}) is None
    # an install of pytest is not a run of it
    assert roots({"Makefile": "dev:\n\tpip install pytest\ntest:\n\tpytest tests\n"}) == {"tests"}


def test_workflow_runs_follow_cd_and_working_directory_and_skip_non_test_jobs() -> None:
    workflow = """
jobs:
  unit:
    runs-on: ubuntu-latest
    steps:
      - run: |
          mkdir ~/.aws
          cd sdk/client
          pytest -sv .
      - run: pytest ${{ env.SPECIFIER }}
  integration:
    runs-on: ubuntu-latest
    defaults:
      run:
        working-directory: tests
    steps:
      - run: pytest -x
  docs:
    runs-on: ubuntu-latest
    steps:
      - run: pytest --doctest-modules pkg
"""
    assert roots({".github/workflows/ci.yml": workflow}) == {"sdk", "tests"}
    unknown = workflow.replace("cd sdk/client", "cd $CLIENT_DIR").replace("working-directory: tests", "x: y")
    # a folder out of reach makes its run unknown; a run at the top is the whole tree
    assert roots({".github/workflows/ci.yml": unknown}) is None


def test_the_folder_before_a_variable_is_known() -> None:
    workflow = "jobs:\n  examples:\n    steps:\n      - run: pytest -v examples/${{ matrix.example }}\n"
    files = {".github/workflows/ci.yml": workflow, "examples/plot/test_plot.py": ""}
    assert roots(files) == {"examples"}
    # a variable at the start hides the folder too
    assert roots({**files, ".github/workflows/ci.yml": workflow.replace("examples/", "")}) is None


def test_tox_commands_and_nox_sessions_name_their_folders() -> None:
    tox = (
        "[testenv]\ncommands =\n    py39: cov: pytest --cov=pkg \\\n        {posargs:{toxinidir}/tests}\n"
        "[testenv:docs]\ncommands = pytest --doctest-glob='*.rst' docs\n"
        "[testenv:docs]\ncommands = pytest docs\n"  # a duplicate section does not hide the rest
    )
    assert roots({"tox.ini": tox}) == {"tests"}
    assert roots({"tox.ini": "[testenv]\ncommands = {envpython} -m pytest {toxinidir}/sdk\n"}) == {"sdk"}
    # `{posargs}` is empty unless the user passes arguments: a run on the whole tree
    assert (
        roots({"tox.ini": "[testenv]\ncommands = pytest {posargs}\n[testenv:x]\ncommands = pytest sdk\n"})
        is None
    )
    nox = (
        "import nox\n\n@nox.session\ndef tests(session):\n"
        "    session.run('pytest', 'tests/test_core.py', *session.posargs)\n\n"
        "@nox.session\ndef docs(session):\n    session.run('pytest', '--doctest-modules', 'pkg')\n"
    )
    assert roots({"noxfile.py": nox}) == {"tests"}


def test_runs_behind_shell_keywords_launchers_and_redirections_are_read() -> None:
    script = (
        "jobs:\n  unit:\n    runs-on: ubuntu-latest\n    container: python:3.11\n    steps:\n"
        "      - run: |\n"
        '          if [ -n "$CI" ]; then pytest sdk; fi\n'
        "          timeout 600 pytest --hypothesis-profile ci tests > report.txt 2> errors.txt\n"
        "          pytest tests --junitxml=reports/${{ matrix.python }}.xml\n"
        "  bench:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest pkg\n"
    )
    # a job in a container counts; a benchmark job does not; a variable in an option's value is no path
    assert roots({".github/workflows/ci.yml": script}) == {"sdk", "tests"}
    assert roots({"Makefile": "bench:\n\tpytest pkg\ntest:\n\tpytest > out.txt\n"}) is None
    # a folder the tree does not have: the run is not known
    assert roots({"Makefile": "test:\n\tcd .. && pytest\nunit:\n\tpytest tests\n"}) == {"tests"}


def test_a_source_module_named_like_a_test_stays_out_of_the_collection(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        # a source module of the API it implements (a "test state"), importing what only a full
        # install has: collected, it is an error the project's own runs never meet
        "pkg/test_state/__init__.py": "",
        "pkg/test_state/test_state_program.py": "import antlr_runtime_of_another_version\n",
        "tests/__init__.py": "",
        "tests/test_good.py": GOOD,
        "Makefile": "test:\n\tpytest -sv ./tests/ $(TEST_EXCLUDE)\nserver:\n\tpytest -sv ./tests/\n",
    }
    write_tree(tmp_path, files)
    without_makefile = {k: v for k, v in files.items() if k != "Makefile"}
    assert collection_paths(list(without_makefile), without_makefile.get) == ("pkg", "tests")
    assert not judge_collection(*run_here(tmp_path, PYTEST, ("pkg", "tests"))).verified

    paths = collection_paths(list(files), files.get)
    assert paths == ("tests",)
    check = judge_collection(*run_here(tmp_path, PYTEST, paths))
    assert check.verified and check.tests == 2, check.log


def test_a_restriction_that_would_leave_no_tests_is_not_applied_and_test_folders_stay() -> None:
    files = {"Makefile": "test:\n\tpytest docs\n"}
    assert roots(files) == {"docs"}
    assert collection_paths([*TREE, *files], files.get) == ("sdk", "tests")
    # a run of one folder leaves out the other roots, but not one named as a test folder
    only_sdk = {"Makefile": "test:\n\tpytest sdk\n"}
    assert collection_paths([*TREE, "pkg/test_state/test_program.py", *only_sdk], only_sdk.get) == (
        "sdk",
        "tests",
    )
