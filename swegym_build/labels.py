"""Labels on every image and container this tool makes, so `swegym-build clean` removes exactly those."""

from __future__ import annotations

OWNER_LABEL = "swegym-build"
TIER_LABEL = "swegym-build.tier"


def tier_labels(tier: str, **extra: str) -> dict[str, str]:
    """The labels for an object of `tier` (rootfs, base, env, instance), plus `swegym-build.<key>` extras."""
    labels = {OWNER_LABEL: "1", TIER_LABEL: tier}
    labels.update({f"{OWNER_LABEL}.{key.replace('_', '-')}": value for key, value in extra.items()})
    return labels
