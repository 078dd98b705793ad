"""push_to_hub against the stand-in for the hub's HTTP API: files, idempotency, tokens, dry run."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from swegym_build.errors import PublishError
from swegym_build.publish import PlannedFile, export_dataset, plan_upload, push_to_hub
from swegym_build.testing.fakehub import FakeHub
from swegym_build.testing.registry import _free_port
from tests.publish.helpers import load_split, make_instance

TOKEN = "hf_stand_in_token_0123456789"
REPO = "swegym/demo-tasks"


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub(TOKEN) as server:
        yield server


@pytest.fixture
def export(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    export_dataset([make_instance(1), make_instance(2, problem_statement="short")], folder)
    return folder


def local_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_push_stores_the_folder_and_it_loads_back(hub: FakeHub, export: Path, tmp_path: Path) -> None:
    result = push_to_hub(export, REPO, TOKEN, private=False, endpoint=hub.url)
    assert result.new_commit
    assert hub.commit_count(REPO) == 2  # the hub's initial commit, then ours
    stored = hub.files(REPO)
    assert {path: data for path, data in stored.items() if path != ".gitattributes"} == local_files(export)
    clone = hub.snapshot(REPO, tmp_path / "clone")
    assert load_split(clone, "train")["instance_id"] == [
        "swegym-demo__calculator-1",
        "swegym-demo__calculator-2",
    ]
    assert load_split(clone, "lite")["instance_id"] == ["swegym-demo__calculator-1"]
    assert hub.repo(REPO).head.oid == result.commit_oid
    assert not hub.repo(REPO).private


def test_pushing_the_same_export_again_makes_no_commit(hub: FakeHub, export: Path, tmp_path: Path) -> None:
    first = push_to_hub(export, REPO, TOKEN, private=True, endpoint=hub.url)
    # A fresh export of the same tasks, in another folder: byte-identical, so nothing to upload.
    again = tmp_path / "again"
    export_dataset([make_instance(2, problem_statement="short"), make_instance(1)], again)
    second = push_to_hub(again, REPO, TOKEN, private=True, endpoint=hub.url)
    assert hub.commit_count(REPO) == 2
    assert hub.count(method="POST", path_contains="/commit/") == 1
    assert (second.commit_oid, second.new_commit) == (first.commit_oid, False)
    assert hub.repo(REPO).private


def test_a_changed_export_is_one_new_commit_and_drops_stale_shards(hub: FakeHub, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    export_dataset([make_instance(1), make_instance(2), make_instance(3)], folder, rows_per_shard=2)
    push_to_hub(folder, REPO, TOKEN, private=False, endpoint=hub.url)
    assert "data/train-00001-of-00002.parquet" in hub.files(REPO)
    export_dataset([make_instance(1), make_instance(2)], folder, rows_per_shard=2)
    result = push_to_hub(folder, REPO, TOKEN, private=False, endpoint=hub.url)
    assert result.new_commit
    assert hub.commit_count(REPO) == 3
    assert sorted(p for p in hub.files(REPO) if p.startswith("data/")) == [
        "data/lite-00000-of-00001.parquet",
        "data/train-00000-of-00001.parquet",
    ]
    assert load_split(hub.snapshot(REPO, tmp_path / "clone"), "train").num_rows == 2


def test_a_wrong_token_is_a_clear_error(hub: FakeHub, export: Path) -> None:
    with pytest.raises(PublishError, match=r"refused the token \(401\)") as caught:
        push_to_hub(export, REPO, "hf_wrong", private=False, endpoint=hub.url)
    assert "hf_wrong" not in str(caught.value)
    assert not hub.repos


def test_the_token_comes_from_hf_token(hub: FakeHub, export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert push_to_hub(export, REPO, None, private=False, endpoint=hub.url).new_commit
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(PublishError, match="set HF_TOKEN"):
        push_to_hub(export, REPO, None, private=False, endpoint=hub.url)


def test_the_token_never_reaches_logs_or_files(
    hub: FakeHub,
    export: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    push_to_hub(export, REPO, TOKEN, private=False, endpoint=hub.url)
    push_to_hub(export, REPO, TOKEN, private=False, endpoint=hub.url)
    with pytest.raises(PublishError) as caught:
        push_to_hub(export, REPO, TOKEN[::-1], private=False, endpoint=hub.url)
    out, err = capfd.readouterr()
    assert caplog.records, "expected the push to log something"
    for text in (caplog.text, out, err, str(caught.value)):
        assert TOKEN not in text and TOKEN[::-1] not in text
    for data in [*local_files(export).values(), *hub.files(REPO).values()]:
        assert TOKEN.encode() not in data
    assert not any(TOKEN in repr(request) for request in hub.requests)


def test_the_dry_run_lists_what_would_be_uploaded(export: Path) -> None:
    (export / "data" / "train-00000-of-00001.parquet.partial").write_bytes(b"torn")
    (export / ".git").mkdir()
    (export / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    planned = plan_upload(export)
    assert [f.path for f in planned] == [
        "README.md",
        "data/lite-00000-of-00001.parquet",
        "data/train-00000-of-00001.parquet",
        "jsonl/lite.jsonl",
        "jsonl/train.jsonl",
    ]
    assert PlannedFile("README.md", (export / "README.md").stat().st_size) in planned
    assert all(f.size > 0 for f in planned)


def test_a_folder_without_a_card_is_refused(hub: FakeHub, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(PublishError, match=r"no README\.md"):
        push_to_hub(tmp_path / "empty", REPO, TOKEN, private=False, endpoint=hub.url)
    with pytest.raises(PublishError, match="not a folder"):
        plan_upload(tmp_path / "missing")


def test_an_unreachable_hub_is_a_clear_error(export: Path) -> None:
    nowhere = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(PublishError, match=f"to {nowhere}/datasets/{REPO} failed: .*refused"):
        push_to_hub(export, REPO, TOKEN, private=False, endpoint=nowhere)
