"""Loading spec files: validation errors, defaults, the most-specific rule, install configs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from swegym_build.errors import SpecError
from swegym_build.records import InstallConfig
from swegym_build.specs import load_spec, load_spec_file, validate_all
from swegym_build.testpaths import is_test_path

GOOD = """\
    repo: acme/widget
    test_file_patterns: ["tests/", "test_*.py", "src/*/testing/**/*.py"]
    version: {file: widget/_version.py, pattern: 'v = "(.*)"'}
    defaults:
      python: "3.10"
      install: python -m pip install -e .
      test_cmd: pytest -rA
      log_parser: pytest
      env: {A: "1"}
    versions:
      "*": {}
      "1.0+": {python: "3.11"}
      "1.0-1.9": {python: "3.9", pip_constraints: ["numpy<2"]}
      "1.3": {python: "3.8", env: {B: "2"}}
      "0.9-0.10, 0.2": {install: [make init, make test-deps], log_parser: unittest}
"""


def write(folder: Path, body: str, name: str = "acme__widget.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_most_specific_range_wins(tmp_path: Path) -> None:
    spec = load_spec_file(write(tmp_path, GOOD))
    assert spec.for_version("1.3").python == "3.8"  # exact beats range
    assert spec.for_version("1.5").python == "3.9"  # closed range beats open range
    assert spec.for_version("1.9.2").python == "3.9"
    assert spec.for_version("1.10").python == "3.11"  # 1.10 is past 1.9, numerically
    assert spec.for_version("0.5").python == "3.10"  # only "*" matches
    assert spec.for_version("0.10").log_parser == "unittest"
    assert spec.for_version("0.2").install == ("make init", "make test-deps")


def test_entry_fields_replace_defaults_whole(tmp_path: Path) -> None:
    spec = load_spec_file(write(tmp_path, GOOD))
    assert spec.for_version("1.3").env == {"B": "2"}
    assert spec.for_version("1.5").env == {"A": "1"}
    assert spec.for_version("1.5").pip_constraints == ("numpy<2",)
    assert spec.for_version("1.3").pip_constraints == ()


def test_repo_level_fields(tmp_path: Path) -> None:
    spec = load_spec_file(write(tmp_path, GOOD))
    assert spec.version_override_fields() == {
        "version_file": "widget/_version.py",
        "pattern": 'v = "(.*)"',
        "tag_pattern": None,
    }
    assert is_test_path("tests/unit/test_a.py", spec.test_file_patterns) is True
    assert is_test_path("pkg/tests/helpers.py", spec.test_file_patterns) is True
    assert is_test_path("deep/down/test_b.py", spec.test_file_patterns) is True
    assert is_test_path("src/widget/testing/a/b.py", spec.test_file_patterns) is True
    assert is_test_path("src/widget/testing/b.py", spec.test_file_patterns) is True
    assert is_test_path("other/src/widget/testing/b.py", spec.test_file_patterns) is False
    assert is_test_path("widget/core.py", spec.test_file_patterns) is False


def test_no_test_file_patterns_leaves_the_default_rule(tmp_path: Path) -> None:
    body = GOOD.replace('    test_file_patterns: ["tests/", "test_*.py", "src/*/testing/**/*.py"]\n', "")
    assert load_spec_file(write(tmp_path, body)).test_file_patterns is None


def test_install_config_is_json_and_carries_the_cutoff(tmp_path: Path) -> None:
    recipe = load_spec_file(write(tmp_path, GOOD)).for_version("1.5")
    config = recipe.to_install_config(exclude_newer="2021-03-04T07:06:07+02:00")
    assert json.loads(json.dumps(config)) == config
    assert config["exclude_newer"] == "2021-03-04T05:06:07Z"
    assert config["python"] == "3.9"
    assert config["version_key"] == "1.0-1.9"
    assert config["install"] == ["python -m pip install -e ."]
    assert recipe.to_install_config()["exclude_newer"] is None
    assert recipe.to_install_config("2021-03-04")["exclude_newer"] == "2021-03-04"
    assert recipe.to_install_config("2021-03-04T05:06:07Z")["exclude_newer"] == "2021-03-04T05:06:07Z"


def test_collect_ignore_is_carried_only_by_the_recipes_that_set_it(tmp_path: Path) -> None:
    entry = '"1.3": {python: "3.8", env: {B: "2"}}'
    body = GOOD.replace(entry, '"1.3": {python: "3.8", collect_ignore: [gpu/*]}')
    spec = load_spec_file(write(tmp_path, body))
    config = spec.for_version("1.3").to_install_config()
    assert config["collect_ignore"] == ["gpu/*"]
    assert InstallConfig.from_dict(config).collect_ignore == ("gpu/*",)
    assert "collect_ignore" not in spec.for_version("1.5").to_install_config()  # other rows unchanged


def test_bad_cutoff_is_rejected(tmp_path: Path) -> None:
    recipe = load_spec_file(write(tmp_path, GOOD)).for_version("1.5")
    with pytest.raises(SpecError, match="'last tuesday' is not an ISO 8601"):
        recipe.to_install_config("last tuesday")


def test_unquoted_numbers_stay_strings(tmp_path: Path) -> None:
    # PyYAML would read 3.10 as the float 3.1 and make key 1.10 collide with 1.1
    body = GOOD.replace('python: "3.10"', "python: 3.10").replace(
        '"1.3": {python: "3.8"', '1.10: {python: "3.8"'
    )
    spec = load_spec_file(write(tmp_path, body))
    assert spec.for_version("0.5").python == "3.10"
    assert spec.for_version("1.10").python == "3.8"
    assert spec.for_version("1.1").python == "3.9"


def test_no_matching_range_names_file_and_version(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('      "*": {}\n', ""))
    with pytest.raises(SpecError) as info:
        load_spec_file(path).for_version("0.5")
    message = str(info.value)
    assert str(path) in message
    assert "'0.5'" in message
    assert "acme/widget" in message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # a field with the wrong type names the range and the key
        ('"1.3": {python: "3.8"', '"1.3": {python: [3]', ["version range '1.3'", "'python'"]),
        # an unknown key is refused (extra="forbid")
        (
            '"1.3": {python: "3.8"',
            '"1.3": {pyhton: "3.8"',
            ["version range '1.3'", "'pyhton'", "Extra inputs"],
        ),
        ("log_parser: pytest", "log_parser: nose", ["key 'defaults.log_parser'"]),
        ('"1.3": {python: "3.8"', '"1.3": {python: "3"', ["version range '1.3'", "major.minor"]),
        ("    versions:", "    colour: red\n    versions:", ["key 'colour'", "Extra inputs"]),
        ('"1.3": {python', '"1.3x": {python', ["'1.3x'"]),
        ('"1.3": {python', '"1.5-1.2": {python', ["'1.5-1.2'", "empty"]),
        # partial overlaps would make "most specific" depend on file order
        ('"1.3": {python', '"1.5-2.5": {python', ["'1.5-2.5'", "'1.0-1.9'", "partly overlap"]),
        ('"1.3": {python', '"1.0.0-1.9": {python', ["'1.0.0-1.9'", "'1.0-1.9'", "both cover"]),
        ('"1.3": {python', '"1.0-1.9": {python', ["duplicate key '1.0-1.9'"]),
        (
            "version: {file: widget/_version.py, pattern: 'v = \"(.*)\"'}",
            "version: {pattern: '(['}",
            ["version.pattern"],
        ),
    ],
)
def test_errors_name_file_key_and_range(tmp_path: Path, old: str, new: str, expected: list[str]) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(SpecError) as info:
        load_spec_file(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in expected:
        assert fragment in message


def test_missing_required_field_names_the_range(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("      test_cmd: pytest -rA\n", ""))
    with pytest.raises(SpecError) as info:
        load_spec_file(path)
    assert str(path) in str(info.value)
    assert "version range '*' has no test_cmd" in str(info.value)


def test_file_name_must_match_repo(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD, name="acme__gadget.yaml")
    with pytest.raises(SpecError, match=r"must be named acme__widget\.yaml"):
        load_spec_file(path)


def test_load_spec_finds_by_repo_and_returns_none_without_a_file(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    spec = load_spec("acme/widget", tmp_path)
    assert spec is not None and spec.source == tmp_path / "acme__widget.yaml"
    assert load_spec("ACME/Widget", tmp_path) is not None  # GitHub names are case-insensitive
    assert load_spec("acme/other", tmp_path) is None


def test_load_spec_honours_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, GOOD)
    monkeypatch.setenv("SWEGYM_SPECS_DIR", str(tmp_path))
    assert load_spec("acme/widget") is not None
    monkeypatch.setenv("SWEGYM_SPECS_DIR", str(tmp_path / "missing"))
    with pytest.raises(SpecError, match="does not exist"):
        load_spec("acme/widget")


def test_validate_all_reports_every_broken_file(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    write(
        tmp_path, GOOD.replace("acme/widget", "acme/one").replace("pytest -rA", "[unclosed"), "acme__one.yaml"
    )
    write(tmp_path, "repo: acme/two\n", "acme__two.yaml")
    with pytest.raises(SpecError) as info:
        validate_all(tmp_path)
    message = str(info.value)
    assert "2 invalid spec file(s)" in message
    assert "acme__one.yaml" in message and "acme__two.yaml" in message
    assert "acme__widget.yaml" not in message
