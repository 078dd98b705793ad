"""Grading predictions (an agent's patch per task) on validate's hardened runner.

`grade(row, patch)` is the one-call API for training loops; `run_evaluate` grades a predictions
file against a dataset and writes SWE-bench's report shapes.
"""

from __future__ import annotations

from swegym_build.evaluate.grade import Report, grade, grade_instance

__all__ = ["Report", "grade", "grade_instance"]
