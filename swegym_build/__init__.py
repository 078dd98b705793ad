"""swegym-build: turn GitHub history into executable, validated software-engineering tasks."""

from swegym_build.errors import SwegymError
from swegym_build.records import TaskInstance

__version__ = "0.1.0"

__all__ = ["SwegymError", "TaskInstance", "__version__"]
