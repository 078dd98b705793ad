"""Whether a recipe works: its env image collects the project's tests (see `collection`)."""

from __future__ import annotations

from swegym_build.verify.collection import (
    CollectionCheck,
    check_collection,
    collection_script,
    judge_collection,
)

__all__ = ["CollectionCheck", "check_collection", "collection_script", "judge_collection"]
