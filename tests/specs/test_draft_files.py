"""Drafting reads tox.ini, noxfile.py and CI workflows right: each failure seen on real
repositories (tox factor prefixes passed to pip, requirement files named as packages, CI
variables as apt packages, apt names a Debian release lacks, one '*' for years of history) is
built into a generated bare history here and the drafted recipe is checked."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import pytest

from swegym_build.specs import draft_spec, load_spec_file, write_draft
from swegym_build.specs.drafting.metadata import setup_py_extras
from swegym_build.specs.drafting.tox import active_factors, expand_envlist, factor_condition_holds
from tests.versions.githistory import GitHistory

DATE_2023 = "2023-06-01T12:00:00+00:00"
PYPROJECT = '[project]\nname = "widget"\nrequires-python = ">=3.8"\n[tool.pytest.ini_options]\n'


def files(**named: str) -> dict[str, str | None]:
    """Keyword names to paths: `tox_ini` -> `tox.ini`, `ci` -> the workflow file."""
    paths = {"tox_ini": "tox.ini", "noxfile": "noxfile.py", "ci": ".github/workflows/ci.yml"}
    return {paths.get(k, k.replace("__", "/")): textwrap.dedent(v) for k, v in named.items()}


def ci_matrix(*pythons: str) -> str:
    listed = ", ".join(f'"{p}"' for p in pythons)
    return textwrap.dedent(
        f"""\
        on: [push]
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                python-version: [{listed}]
            steps:
              - run: pytest
        """
    )


@pytest.fixture
def history(tmp_path: Path) -> GitHistory:
    return GitHistory(tmp_path / "mirror.git")


def test_tox_factor_prefixes_are_selected_for_the_drafted_python(history: GitHistory) -> None:
    commit = history.commit(
        {
            "pyproject.toml": PYPROJECT,
            ".github/workflows/ci.yml": ci_matrix("3.9", "3.11"),
            "requirements/test.txt": "freezegun\n",
            "constraints.txt": "numpy<2\n",
            "plugins/helper/setup.py": "from setuptools import setup\nsetup(name='helper')\n",
            **files(
                tox_ini="""\
                [tox]
                envlist = py{39,311}-{min,dev}, doctesting, du12

                [testenv]
                deps =
                    min: dev: pytest==6.0
                    doctesting: PyYAML
                    du12: docutils==0.12
                    !pypy: numpy
                    pypy: cffi-pypy-only
                    {py38,py311}-z: zpkg
                    {py38,py311}: tomli; python_version < "3.12"
                    py39: only-for-39
                    hypothesis>=6 \\
                        pytest-mock
                    -r{toxinidir}/requirements/test.txt
                    -c {toxinidir}/constraints.txt
                    {toxinidir}[extra1]
                    {toxinidir}/plugins/helper
                    {envtmpdir}/built.whl
                extras = testing
                commands = pytest {posargs}
                """
            ),
        },
        date=DATE_2023,
    )
    spec = draft_spec(history.path, commit, "acme/widget")
    recipe = spec.for_version("1.0")
    assert recipe.python == "3.11"
    # Only what the py311 env installs: no factor prefix, no other factor's deps
    assert recipe.pip_packages == (
        "numpy",
        'tomli; python_version < "3.12"',
        "hypothesis>=6",
        "pytest-mock",
        "pytest",
    )
    assert recipe.install == (
        "python -m pip install -r requirements/test.txt -c constraints.txt",
        "python -m pip install -e '.[extra1,testing]' -c constraints.txt",
        "python -m pip install './plugins/helper' -c constraints.txt",
    )
    assert not any(":" in p.split(";")[0] for p in recipe.pip_packages)
    assert any("tox.ini" in w and "{envtmpdir}/built.whl" in w for w in spec.warnings)


def test_tox_factors_every_env_of_the_python_shares_are_kept() -> None:
    envs = expand_envlist("py{39,311}-test\n  lint, py311-test-cov")
    assert envs == ["py39-test", "py311-test", "lint", "py311-test-cov"]
    active = active_factors("3.11", envs)
    assert {"py311", "py3", "test"} <= active and "cov" not in active and "lint" not in active
    assert factor_condition_holds("test", active)
    assert factor_condition_holds("!pypy", active)
    assert factor_condition_holds("py38,py311", active)
    assert factor_condition_holds("{py38,py311}-test", active)
    assert not factor_condition_holds("py311-cov", active)
    assert not factor_condition_holds("!py311", active)


def test_requirement_files_are_never_passed_as_package_names(history: GitHistory) -> None:
    commit = history.commit(
        {
            "setup.py": "from setuptools import setup\nsetup(name='w', python_requires='>=3.8')\n",
            "requirements-dev.txt": "pytest\n",
            "requirements/ci.txt": "coverage\n",
            **files(
                tox_ini="""\
                [testenv]
                deps =
                    requirements/ci.txt
                    requirements/missing.txt
                """,
                ci="""\
                on: [push]
                jobs:
                  test:
                    runs-on: ubuntu-latest
                    strategy:
                      matrix:
                        python-version: ["3.11"]
                    steps:
                      - run: pip install requirements-dev.txt && pip install -r requirements/ci.txt
                      - run: python -m pytest tests
                """,
            ),
        },
        date=DATE_2023,
    )
    spec = draft_spec(history.path, commit, "acme/w")
    recipe = spec.for_version("1.0")
    assert not any(p.endswith(".txt") for p in recipe.pip_packages)
    assert recipe.install[:2] == (
        "python -m pip install -r requirements/ci.txt",
        "python -m pip install -r requirements-dev.txt",
    )
    assert any("tox.ini" in w and "requirements/missing.txt" in w and "dropped" in w for w in spec.warnings)
    assert any(".github/workflows/ci.yml" in w and "requirements-dev.txt" in w for w in spec.warnings)


def test_ci_variables_are_resolved_from_env_and_matrix_or_dropped(history: GitHistory) -> None:
    commit = history.commit(
        {
            "pyproject.toml": PYPROJECT,
            "requirements/full.txt": "scipy\n",
            **files(
                ci="""\
                on: [push]
                env:
                  APT_DEPS: libxml2-dev
                jobs:
                  test:
                    runs-on: ubuntu-latest
                    strategy:
                      matrix:
                        python-version: ["3.9", "3.11"]
                        deps: [full]
                        os: [ubuntu-latest, ubuntu-20.04]
                    env:
                      EXTRA: pytest-xdist
                    steps:
                      - run: |
                          sudo apt-get update
                          sudo apt-get install -y --no-install-recommends $DIST_PREREQ ${APT_DEPS} enchant \\
                            python3.8-dev
                      - run: pip install -r requirements/${{ matrix.deps }}.txt
                      - run: python -m pip install "pkg-${{ matrix.os }}" $EXTRA ${{ env.MISSING }}
                      - run: python -m pip install -e .[test] tox > /dev/null
                  docs:
                    runs-on: ubuntu-latest
                    steps:
                      - run: pip install sphinx && sudo apt-get install -y pandoc
                """
            ),
        },
        date=DATE_2023,
    )
    spec = draft_spec(history.path, commit, "acme/widget")
    recipe = spec.for_version("1.0")
    assert recipe.python == "3.11"
    # $DIST_PREREQ is set nowhere: dropped; enchant is enchant-2 in bookworm (Python 3.11's base);
    # python3.8-dev does not exist there; the docs job's pandoc is not a test dependency
    assert recipe.apt_packages == ("libxml2-dev", "enchant-2")
    assert recipe.pip_packages == ("pytest-xdist", "pytest")
    assert recipe.install == (
        "python -m pip install -r requirements/full.txt",
        "python -m pip install -e '.[test]'",
    )
    warnings = "\n".join(spec.warnings)
    assert ".github/workflows/ci.yml" in warnings
    for dropped in ("$DIST_PREREQ", "matrix.os", "env.MISSING", "'enchant'", "python3.8-dev"):
        assert dropped in warnings
    # each unresolved expression is reported once, by the expression; a redirection is no package
    assert len([w for w in spec.warnings if "`${{ matrix.os }}` in" in w]) == 1
    assert "unresolved" not in warnings.replace("an unresolved variable", "") and "/dev/null" not in warnings


def test_enchant_is_mapped_on_every_base_release(history: GitHistory) -> None:
    ci = ci_matrix("3.9").replace(
        "- run: pytest", "- run: sudo apt-get install -y enchant libenchant-dev\n      - run: pytest"
    )
    commit = history.commit(
        {"setup.py": "setup(python_requires='>=3.6,<3.10')\n", ".github/workflows/ci.yml": ci}, date=DATE_2023
    )
    recipe = draft_spec(history.path, commit, "acme/w").for_version("1.0")
    assert recipe.python == "3.9"
    assert recipe.apt_packages == ("enchant-2", "libenchant-2-dev")


def test_nox_install_literals_are_read_without_running_the_file(history: GitHistory) -> None:
    commit = history.commit(
        {
            "pyproject.toml": PYPROJECT,
            "requirements/test.txt": "pytest\n",
            **files(
                noxfile="""\
                import nox
                raise SystemExit("a noxfile is never executed by the drafter")
                DEPS = ["hidden"]

                def install_project(session):
                    session.install(".[test]", "pytest-cov", "requirements/test.txt")
                    if sys.platform == "win32":
                        session.install("pywin32")
                    else:
                        session.install("uvloop")

                def unused_helper(session):
                    session.install("never-called")

                @nox.session(python=["3.9", "3.11"])
                def tests(session):
                    session.install("-r", "requirements/test.txt", "--upgrade", "pip")
                    install_project(session)
                    session.install(*DEPS)
                    session.run("pytest", "-x")

                @nox.session
                def docs(session):
                    session.install("sphinx")
                """
            ),
        },
        date=DATE_2023,
    )
    spec = draft_spec(history.path, commit, "acme/widget")
    recipe = spec.for_version("1.0")
    # the helper the session calls is read (its Linux branch only); pip itself is not a test dep
    assert recipe.pip_packages == ("pytest-cov", "uvloop", "pytest")
    assert recipe.install == (
        "python -m pip install -r requirements/test.txt",
        "python -m pip install -e '.[test]'",
    )
    assert any("noxfile.py session tests" in w and "*DEPS" in w for w in spec.warnings)
    assert "sphinx" not in recipe.pip_packages


def test_one_entry_per_era_of_python_support(history: GitHistory, tmp_path: Path) -> None:
    old_setup = (
        "from setuptools import setup\nsetup(name='w', python_requires='>=3.6', classifiers=[\n"
        "    'Programming Language :: Python :: 3.6',\n    'Programming Language :: Python :: 3.7',\n])\n"
    )
    v1_0 = history.commit(
        {"setup.py": old_setup, ".github/workflows/ci.yml": ci_matrix("3.6", "3.7")},
        date="2019-03-01T00:00:00+00:00",
    )
    v1_1 = history.commit({"README": "1.1\n"}, date="2019-09-01T00:00:00+00:00")
    v2_0 = history.commit(
        {
            "setup.py": old_setup.replace(">=3.6", ">=3.8"),
            ".github/workflows/ci.yml": ci_matrix("3.9", "3.10", "3.11"),
        },
        date=DATE_2023,
    )
    versions = {"2.0": v2_0, "1.10": v1_1, "1.0": v1_0}
    spec = draft_spec(history.path, v2_0, "acme/w", versions=versions)
    assert [e.key for e in spec.entries] == ["0-1.10", "*"]
    old, new = spec.for_version("1.0"), spec.for_version("2.0")
    assert spec.for_version("1.10") == old
    assert new.python == "3.11"
    assert "3.7" in spec.provenance["0-1.10 python"]
    assert old.python != new.python
    assert v1_1[:12] in spec.provenance["0-1.10 read at"]

    out = tmp_path / "acme__w.yaml"
    write_draft(spec, out)
    reloaded = load_spec_file(out)
    assert [reloaded.for_version(v) for v in ("1.0", "2.0")] == [old, new]
    # the same history drafts the same file again
    again = tmp_path / "again" / "acme__w.yaml"
    write_draft(draft_spec(history.path, v2_0, "acme/w", versions=dict(reversed(versions.items()))), again)
    assert again.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


def test_versions_with_one_recipe_share_one_star_entry(history: GitHistory) -> None:
    first = history.commit({"pyproject.toml": PYPROJECT}, date=DATE_2023)
    second = history.commit({"README": "x\n"}, date="2023-07-01T00:00:00+00:00")
    spec = draft_spec(history.path, second, "acme/widget", versions={"0.1": first, "0.2": second})
    assert [e.key for e in spec.entries] == ["*"]


@pytest.mark.parametrize(
    ("matrix", "date", "expected"),
    [
        # 3.10 is the newest tested, but 3.9 was tested too and the base images provide it
        (("3.8", "3.9", "3.10"), DATE_2023, "3.9"),
        # 3.11 came out a month before: not yet settled, the newest settled tested one is used
        (("3.9", "3.10", "3.11"), "2022-11-20T00:00:00+00:00", "3.9"),
        (("3.9", "3.10", "3.11"), DATE_2023, "3.11"),
    ],
)
def test_python_is_the_newest_settled_tested_one_the_bases_provide(
    history: GitHistory, matrix: tuple[str, ...], date: str, expected: str
) -> None:
    commit = history.commit(
        {"pyproject.toml": PYPROJECT, ".github/workflows/ci.yml": ci_matrix(*matrix)}, date=date
    )
    spec = draft_spec(history.path, commit, "acme/widget")
    assert spec.for_version("1.0").python == expected
    assert "CI matrix" in spec.provenance["python"]


def test_only_jobs_that_run_tests_are_read(history: GitHistory) -> None:
    commit = history.commit(
        {
            "pyproject.toml": PYPROJECT,
            "docs/requirements.txt": "sphinx\n",
            "requirements/test.txt": "hypothesis\n",
            "pkg/__init__.py": "",
            **files(
                ci="""\
                on: [push]
                jobs:
                  test:
                    runs-on: ubuntu-latest
                    steps:
                      - run: pip install -r requirements/test.txt -r docs/requirements.txt ./pkg
                      - run: pip install ${{ fromJSON(needs.setup.outputs.deps) }} dirty-equals
                      - run: pip install ${{ matrix.case }} pdm
                      - run: make test
                    strategy:
                      matrix:
                        case: ${{ fromJSON(needs.find.outputs.cases) }}
                  gpu:
                    runs-on: [self-hosted, linux]
                    container:
                      image: nvcr.io/nvidia/pytorch:24.10-py3
                    steps:
                      - run: apt-get install -y libopenslide0 && pip install gpu-only && pytest
                  variants:
                    runs-on: ubuntu-latest
                    strategy:
                      matrix:
                        python: ["3.11"]
                        debug_build: [true, false]
                    steps:
                      - if: ${{ matrix.debug_build }}
                        run: sudo apt-get install -y gdb lcov && pip install debug-only
                      - if: matrix.python == '3.11'
                        run: pip install freezegun
                      - if: ${{ endsWith(matrix.python, '-dev') }}
                        run: sudo apt-get install -y libssl-dev
                      - run: pytest
                  downstream:
                    runs-on: ubuntu-latest
                    steps:
                      - uses: actions/checkout@v4
                        with:
                          repository: someone/library-using-widget
                      - run: pip install -e .[test,ci] && pytest
                  coverage-upload:
                    runs-on: ubuntu-latest
                    steps:
                      - run: pip install smokeshow && smokeshow upload htmlcov
                """,
                **{
                    ".github__workflows__docs.yml": """\
                    on: [push]
                    jobs:
                      build:
                        runs-on: ubuntu-latest
                        steps:
                          - run: pip install sphinx-theme && pytest --doctest-glob='*.rst' docs
                    """
                },
            ),
        },
        date=DATE_2023,
    )
    spec = draft_spec(history.path, commit, "acme/widget")
    recipe = spec.for_version("1.0")
    # not the coverage upload job, not the docs workflow, not the docs requirements, not the
    # self-hosted GPU container job, not a step for one matrix variant or a dev Python, not the
    # job testing a downstream project checked out in its place; the unresolvable
    # expression is dropped whole (no fragment of it becomes a package)
    assert recipe.pip_packages == ("dirty-equals", "freezegun", "pytest")
    assert recipe.apt_packages == ()
    assert recipe.install == ("python -m pip install -r requirements/test.txt", "python -m pip install -e .")
    warnings = "\n".join(spec.warnings)
    assert "docs/requirements.txt" in warnings and "fromJSON(needs.setup.outputs.deps)" in warnings
    assert "'./pkg' dropped (no installable project at that path" in warnings


def test_test_dependency_groups_are_installed(history: GitHistory) -> None:
    pyproject = PYPROJECT + textwrap.dedent(
        """\
        [dependency-groups]
        linting = ["ruff"]
        testing-extra = ["cloudpickle"]
        testing = ["pytest-mock>=3", {include-group = "testing-extra"}]
        docs = ["mkdocs"]
        """
    )
    commit = history.commit({"pyproject.toml": pyproject}, date=DATE_2023)
    recipe = draft_spec(history.path, commit, "acme/widget").for_version("1.0")
    assert recipe.pip_packages == ("pytest-mock>=3", "cloudpickle", "pytest")


PRETTY_EXTRA = 'optional-dependencies.test = ["pytest-pretty>=1"]\n'


@pytest.mark.parametrize(
    ("extra_files", "expected"),
    [
        # pydantic 2.x: pytest-pretty in a test extra replaced the report validate reads
        ({"pyproject.toml": PYPROJECT.replace("[tool.pytest", PRETTY_EXTRA + "[tool.pytest")},
         "pytest -rA -p no:pretty"),
        ({"requirements/test.txt": "pytest_sugar==0.9\npytest\n"}, "pytest -rA -p no:sugar"),
        ({"requirements/test.txt": "pytest-prettyprinter\n"}, "pytest -rA"),  # another package
        ({}, "pytest -rA"),
    ],
)  # fmt: skip
def test_output_rewriting_pytest_plugins_are_blocked_in_the_test_command(
    history: GitHistory, extra_files: dict[str, str], expected: str
) -> None:
    commit = history.commit({"pyproject.toml": PYPROJECT, **extra_files}, date=DATE_2023)
    spec = draft_spec(history.path, commit, "acme/widget")
    assert spec.for_version("1.0").test_cmd == expected
    if expected != "pytest -rA":
        assert any(key.startswith("test_cmd -p no:") for key in spec.provenance)


def test_setup_actions_of_test_jobs_give_their_apt_packages(history: GitHistory) -> None:
    # hydra's tests need Java (actions/setup-java), bokeh's build needs Node (actions/setup-node):
    # neither has an apt-get line, so a draft that reads only `run:` steps builds no working env
    ci = ci_matrix("3.11").replace(
        "- run: pytest",
        "- uses: actions/setup-java@v4\n"
        "        with: {distribution: temurin, java-version: '17'}\n"
        "      - uses: actions/setup-node@v3\n"
        "      - uses: actions/setup-go@v5\n"
        "        if: runner.os == 'Windows'\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: pytest",
    )
    commit = history.commit({"pyproject.toml": PYPROJECT, ".github/workflows/ci.yml": ci}, date=DATE_2023)
    spec = draft_spec(history.path, commit, "acme/w")
    recipe = spec.for_version("1.0")
    assert recipe.apt_packages == ("default-jdk-headless", "nodejs", "npm")
    assert "uses actions/setup-java" in spec.provenance["apt_packages"]


def test_one_package_pinned_differently_by_a_ci_matrix_is_installed_once_unpinned(
    history: GitHistory,
) -> None:
    # MONAI's matrix installs torch==1.7.1 ... torch==1.12.1, one per job: pip cannot install them all
    ci = textwrap.dedent(
        """\
        on: [push]
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                python-version: ["3.11"]
            steps:
              - run: pip install torch==1.12.1 torchvision==0.13.1 requests
              - run: pip install torch==1.7.1 'numpy>=1.20'
              - run: pip install "torch[cuda]" requests 'numpy>=1.20'
              - run: pytest
        """
    )
    commit = history.commit({"pyproject.toml": PYPROJECT, ".github/workflows/ci.yml": ci}, date=DATE_2023)
    spec = draft_spec(history.path, commit, "acme/w")
    assert spec.for_version("1.0").pip_packages == (
        "torch[cuda]",
        "torchvision==0.13.1",
        "requests",
        "numpy>=1.20",
        "pytest",
    )
    assert len([w for w in spec.warnings if "torch asked for" in w]) == 1


def test_circleci_apt_installs_are_read(history: GitHistory) -> None:
    # hydra until 2022 ran its tests on CircleCI, which installs the JRE its build needs (antlr)
    circleci = textwrap.dedent(
        """\
        version: 2.1
        commands:
          linux:
            steps:
              - run:
                  name: Preparing environment - Other dependency
                  command: |
                    sudo apt-get update
                    sudo apt-get install -y expect openjdk-11-jre
          win:
            steps:
              - run: choco install -y --no-progress openssl javaruntime
        jobs:
          test_linux:
            docker: [{image: cimg/base:stable}]
            steps:
              - linux
              - run: sudo apt install -y --no-install-recommends rsync $EXTRA
              - run: pytest
        """
    )
    commit = history.commit(
        {
            "pyproject.toml": PYPROJECT,
            ".circleci/config.yml": circleci,
            ".github/workflows/ci.yml": ci_matrix("3.11"),
        },
        date=DATE_2023,
    )
    spec = draft_spec(history.path, commit, "acme/w")
    assert spec.for_version("1.0").apt_packages == ("expect", "default-jre", "rsync")
    assert any("'$EXTRA' dropped" in w for w in spec.warnings)


def test_a_warning_repeated_by_drafts_at_other_commits_is_logged_once(
    history: GitHistory, caplog: pytest.LogCaptureFixture
) -> None:
    workflow = ci_matrix("3.11").replace(
        "- run: pytest", '- run: python -m pip install "pkg-${{ matrix.missing }}"\n      - run: pytest'
    )
    first = history.commit(
        {"pyproject.toml": PYPROJECT, ".github/workflows/ci.yml": workflow}, date=DATE_2023
    )
    second = history.commit({"README.md": "changed\n"}, date=DATE_2023)
    with caplog.at_level(logging.WARNING):
        drafts = [draft_spec(history.path, commit, "acme/widget") for commit in (first, second)]
    logged = [r.getMessage() for r in caplog.records if "matrix.missing" in r.getMessage()]
    assert len(logged) == 1
    # each draft's header still names it
    assert all(any("matrix.missing" in w for w in spec.warnings) for spec in drafts)


@pytest.mark.parametrize(
    "extras",
    [
        "extras_require={'tests': ['pytest', 'six'], 'docs': ['sphinx']},",
        "extras_require={\n        'docs': ['sphinx'],\n        'tests': ['pytest'],\n    },",
        "extras_require=dict(docs=['sphinx'], tests=['pytest']), package_data={'testing': ['*.txt']},",
    ],
    ids=["one line", "over lines", "dict call"],
)
def test_the_test_extra_of_a_setup_py_dict_is_installed(history: GitHistory, extras: str) -> None:
    setup = f"from setuptools import setup\n\nsetup(\n    name='widget',\n    {extras}\n)\n"
    commit = history.commit({"setup.py": setup, "tests/test_w.py": ""}, date=DATE_2023)
    recipe = draft_spec(history.path, commit, "acme/widget").for_version("1.0")
    assert recipe.install == ("python -m pip install -e '.[tests]'",)
    # another dict of the call (package_data's `testing`) is no extra
    assert sorted(setup_py_extras(setup)) == ["docs", "tests"]
