"""The exported folder: loadable splits, SWE-bench's columns, byte-identical re-exports, the card."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
import yaml

from swegym_build.errors import PublishError
from swegym_build.publish import COLUMNS, CardOptions, export_dataset
from tests.publish.helpers import load_split, make_instance

SWE_BENCH_COLUMNS = [
    "repo",
    "instance_id",
    "base_commit",
    "patch",
    "test_patch",
    "problem_statement",
    "hints_text",
    "created_at",
    "version",
    "FAIL_TO_PASS",
    "PASS_TO_PASS",
    "environment_setup_commit",
    # SWE-bench 5's harness reads these four instead of per-repository constants.
    "image",
    "eval_script",
    "log_parser",
    "eval_type",
]


def sample_tasks() -> list:
    return [
        make_instance(1),
        make_instance(2, problem_statement="Too short to be in Lite."),
        make_instance(3, repo="other/project"),
    ]


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_both_splits_load_with_datasets(tmp_path: Path) -> None:
    export_dataset(sample_tasks(), tmp_path / "out")
    train = load_split(tmp_path / "out", "train")
    lite = load_split(tmp_path / "out", "lite")
    assert train["instance_id"] == [
        "other__project-3",
        "swegym-demo__calculator-1",
        "swegym-demo__calculator-2",
    ]
    assert lite["instance_id"] == ["other__project-3", "swegym-demo__calculator-1"]


def test_rows_follow_swe_bench_so_its_harness_reads_them(tmp_path: Path) -> None:
    task = make_instance(1)
    export_dataset([task], tmp_path / "out")
    row = load_split(tmp_path / "out", "train")[0]
    assert list(row)[: len(SWE_BENCH_COLUMNS)] == SWE_BENCH_COLUMNS
    assert list(row) == [c.name for c in COLUMNS]
    for name in ("FAIL_TO_PASS", "PASS_TO_PASS", "PASS_TO_FAIL", "FAIL_TO_FAIL", "flaky_tests"):
        assert isinstance(row[name], str)
        assert json.loads(row[name]) == getattr(task, name)
    assert json.loads(row["install_config"]) == task.install_config
    assert row["pull_number"] == 1
    assert row["issue_numbers"] == [101]
    assert row["image"] == task.image_name
    assert row["log_parser"] == "parse_log_pytest_v2"
    assert row["eval_type"] == "pass_and_fail"
    assert ">>>>> Start Test Output" in row["eval_script"] and ">>>>> End Test Output" in row["eval_script"]


def test_the_jsonl_copy_holds_the_same_rows(tmp_path: Path) -> None:
    export_dataset(sample_tasks(), tmp_path / "out")
    for split in ("train", "lite"):
        lines = (tmp_path / "out" / "jsonl" / f"{split}.jsonl").read_text().splitlines()
        rows = load_split(tmp_path / "out", split).to_list()
        assert [json.loads(line) for line in lines] == rows


def test_the_same_tasks_export_to_the_same_bytes(tmp_path: Path) -> None:
    tasks = sample_tasks()
    export_dataset(tasks, tmp_path / "a", rejections=Counter(flaky=2, no_fail_to_pass=5))
    random.Random(7).shuffle(tasks)
    export_dataset(tasks, tmp_path / "b", rejections={"no_fail_to_pass": 5, "flaky": 2})
    first = folder_bytes(tmp_path / "a")
    assert first == folder_bytes(tmp_path / "b")
    assert sorted(first) == [
        "README.md",
        "data/lite-00000-of-00001.parquet",
        "data/train-00000-of-00001.parquet",
        "jsonl/lite.jsonl",
        "jsonl/train.jsonl",
    ]


def test_shards_and_stale_files_from_an_earlier_export(tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = export_dataset(sample_tasks(), out, rows_per_shard=1)
    assert "data/train-00002-of-00003.parquet" in summary.files
    assert load_split(out, "train").num_rows == 3
    export_dataset(sample_tasks(), out)
    assert sorted(p.name for p in (out / "data").iterdir()) == [
        "lite-00000-of-00001.parquet",
        "train-00000-of-00001.parquet",
    ]
    assert load_split(out, "train").num_rows == 3


def test_an_empty_lite_split_has_no_files_and_is_not_declared(tmp_path: Path) -> None:
    summary = export_dataset([make_instance(1, problem_statement="short")], tmp_path / "out")
    assert summary.files == ("README.md", "data/train-00000-of-00001.parquet", "jsonl/train.jsonl")
    readme = (tmp_path / "out" / "README.md").read_text()
    assert card_metadata(readme)["configs"][0]["data_files"] == [{"split": "train", "path": "data/train-*"}]
    assert load_split(tmp_path / "out", "train").num_rows == 1
    with pytest.raises(ValueError, match="lite"):
        load_split(tmp_path / "out", "lite")


def card_metadata(readme: str) -> dict:
    _, header, _ = readme.split("---\n", 2)
    return yaml.safe_load(header)


def test_the_card_declares_the_splits_and_reports_the_counts(tmp_path: Path) -> None:
    options = CardOptions(repo_id="swegym/demo", license="mit", gold_runs=(5,))
    export_dataset(
        sample_tasks(), tmp_path / "out", rejections=Counter(flaky=2, env_broken=1), options=options
    )
    readme = (tmp_path / "out" / "README.md").read_text()
    metadata = card_metadata(readme)
    assert metadata["license"] == "mit"
    assert metadata["pretty_name"]
    assert metadata["task_categories"] == ["text-generation"]
    assert "swe-bench" in metadata["tags"]
    assert metadata["configs"] == [
        {
            "config_name": "default",
            "data_files": [
                {"split": "train", "path": "data/train-*"},
                {"split": "lite", "path": "data/lite-*"},
            ],
        }
    ]
    assert "| `swegym-demo/calculator` | 2 | 1 |" in readme
    assert "| `other/project` | 1 | 1 |" in readme
    assert "| `flaky` | 2 |" in readme and "| `env_broken` | 1 |" in readme
    assert "| `short_problem_statement` | problem statement has 40 words or fewer | 1 |" in readme
    assert "5 times" in readme
    assert 'load_dataset("swegym/demo", split="train")' in readme
    for column in COLUMNS:
        assert f"| `{column.name}` | {column.card_type} |" in readme


@pytest.mark.parametrize(
    ("tasks", "message"),
    [
        ([make_instance(1), make_instance(1)], "swegym-demo__calculator-1: appears twice"),
        ([make_instance(1, FAIL_TO_PASS=[])], "swegym-demo__calculator-1: has no FAIL_TO_PASS"),
        ([make_instance(1, image_name=None)], "swegym-demo__calculator-1: has no image_name"),
        ([], "no validated tasks"),
    ],
)
def test_only_validated_tasks_with_images_are_exported(tasks: list, message: str, tmp_path: Path) -> None:
    with pytest.raises(PublishError, match=message):
        export_dataset(tasks, tmp_path / "out")
    assert not (tmp_path / "out").exists()
