"""The build stage: base, env and instance images with content-addressed tags."""

from swegym_build.images.base_image import BaseImage, ensure_base_image

__all__ = ["BaseImage", "ensure_base_image"]
