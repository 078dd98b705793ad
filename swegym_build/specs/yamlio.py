"""The YAML dialect spec files (and the workflow files a draft reads) are parsed with."""

from __future__ import annotations

from typing import Any

import yaml

_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


class DuplicateKeyError(yaml.YAMLError):
    """A mapping repeats a key, which PyYAML would otherwise resolve by keeping the last one."""


class StringScalarLoader(yaml.SafeLoader):
    """A SafeLoader that reads every plain scalar but booleans and null as a string.

    Without this `python: 3.10` would load as the float 3.1 and a key `1.10:` would collide
    with `1.1:`; and a repeated key would silently drop a version range.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise DuplicateKeyError(f"duplicate key {key!r} at line {key_node.start_mark.line + 1}")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


StringScalarLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag not in _NUMBER_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str) -> Any:
    """Parse YAML text with `StringScalarLoader`; raises `yaml.YAMLError` on bad input."""
    # a SafeLoader subclass: constructs plain data only, never arbitrary objects
    return yaml.load(text, Loader=StringScalarLoader)
