import pytest

from swegym_build.images.tiers import project_installs


@pytest.mark.parametrize(
    "command",
    [
        "python -m pip install -e .",
        "pip install -e '.[test,dev]'",
        'pip install -e ".[all]"',
        "python -m pip install .",
        "pip install --editable .",
        "python setup.py develop",
        "python -m pip install -e . --no-build-isolation",
    ],
)
def test_installs_of_the_project_itself_are_rerun_by_an_instance(command: str) -> None:
    assert project_installs([command]) == [command]


@pytest.mark.parametrize(
    "command",
    [
        "python -m pip install -r requirements/tests.txt",
        "pip install numpy==1.26 'pytest<8'",
        "python -m pip install -r requirements-dev.txt",
        "apt-get install -y libxml2-dev",
        "pip install ./vendored/dependency",
    ],
)
def test_dependency_installs_stay_in_the_env_tier(command: str) -> None:
    assert project_installs([command]) == []
