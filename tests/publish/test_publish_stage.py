"""The publish stage end to end: validated sample -> registry on loopback -> stand-in hub."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import docker
import pytest

from swegym_build.containment import ContainerLimits
from swegym_build.handoff import read_published, read_versioned
from swegym_build.publish.stage import PublishOptions, run_publish
from swegym_build.state import StateStore
from swegym_build.testing.fakehub import FakeHub
from swegym_build.testing.registry import LocalRegistry
from swegym_build.validate.stage import ValidateOptions, run_validate
from swegym_build.workspace import Workspace
from tests.publish.helpers import load_split

pytestmark = pytest.mark.docker
TOKEN = "hf_test_token_0123456789"


def test_dry_run_tags_images_locally_and_writes_a_loadable_folder(
    validated_sample: Workspace, docker_client: docker.DockerClient
) -> None:
    summary = run_publish(validated_sample, StateStore(validated_sample.state_db),
                          PublishOptions(repo_id="acme/dry", namespace="acme", dry_run=True))  # fmt: skip

    assert summary.pushed is None and summary.planned
    rows = load_split(summary.export.folder, "train")
    assert sorted(rows["instance_id"]) == [f"swegym-demo__calculator-{n}" for n in (10, 13, 2, 21)]
    for row in rows:
        assert row["image"] == f"acme/sweb.eval.x86_64.{row['instance_id'].replace('__', '_1776_')}:latest"
        docker_client.images.get(row["image"])  # the image a row names exists
    assert summary.export.stats.rejections["validate: no_fail_to_pass"] == 2
    assert summary.export.stats.rejections["validate: timeout"] == 1
    assert "no_fail_to_pass" in (summary.export.folder / "README.md").read_text()
    # The hand-off to whoever comes next: published/<dataset>.jsonl, and a publish row per task.
    published = {record.instance_id: record for record in read_published(validated_sample, "acme/dry")}
    lite = set(load_split(summary.export.folder, "lite")["instance_id"])
    for row in rows:
        record = published.pop(row["instance_id"])
        assert record.image == row["image"] and record.commit_url is None
        assert record.splits == ["train", "lite"] if row["instance_id"] in lite else ["train"]
    assert not published
    records = StateStore(validated_sample.state_db).records()
    published_ids = [r.instance_id for r in records if r.stage == "publish" and r.status == "kept"]
    assert sorted(published_ids) == sorted(rows["instance_id"])


def test_publish_pushes_images_to_the_registry_and_the_dataset_to_the_hub(
    validated_sample: Workspace,
    docker_client: docker.DockerClient,
    registry: LocalRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    state = StateStore(validated_sample.state_db)
    with FakeHub(TOKEN) as hub:
        options = PublishOptions(repo_id="acme/tasks", namespace="acme", registry=registry.address,
                                 hub_url=hub.url)  # fmt: skip
        first = run_publish(validated_sample, state, options)
        second = run_publish(validated_sample, state, options)
        stored = hub.files("acme/tasks")

    assert first.pushed is not None and first.pushed.new_commit
    assert second.pushed is not None and not second.pushed.new_commit  # pushing the same data changes nothing
    assert "README.md" in stored and any(name.startswith("data/train-") for name in stored)
    rows = [json.loads(line) for line in stored["jsonl/train.jsonl"].decode().splitlines()]
    for row in rows:
        name = row["image"]
        assert name.startswith(f"{registry.address}/acme/sweb.eval.x86_64.")
        assert name == first.image_names[row["instance_id"]]
    # A pushed image comes back from the registry as the same image.
    name = rows[0]["image"]
    local_id = docker_client.images.get(name).id
    docker_client.images.remove(name)
    assert docker_client.images.pull(name).id == local_id


def test_the_card_states_the_runs_validate_made(
    validated_sample: Workspace, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    workspace = Workspace.resolve(shutil.copytree(validated_sample.root, tmp_path / "ws"))
    state = StateStore(workspace.state_db)
    rerun = read_versioned(workspace, None, ["swegym-demo__calculator-2"])
    judged = run_validate(
        workspace, state, rerun, ValidateOptions(runs=5, limits=ContainerLimits(timeout=120))
    )
    assert judged.outcomes == {"kept": 1}

    summary = run_publish(workspace, state, PublishOptions(repo_id="acme/runs", dry_run=True))

    card = (summary.export.folder / "README.md").read_text()
    assert "before and after the gold patch, 3 or 5 times" in card  # three rows ran 3 times, one 5
