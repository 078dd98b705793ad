"""The build stage: base, env and instance images with content-addressed tags."""

from swegym_build.images.base_image import BaseImage, ensure_base_image
from swegym_build.images.python_provider import python_versions_available

__all__ = ["BaseImage", "ensure_base_image", "python_versions_available"]
