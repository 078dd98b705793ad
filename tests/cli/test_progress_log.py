"""Off a terminal (a log file, CI) long stages write progress as lines, not only a final table."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console

from swegym_build import display
from swegym_build.commands import build as build_command
from swegym_build.driver import DETAIL, Outcome, StageReport
from swegym_build.images.stage import BuildSummary


@pytest.fixture
def log_console(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    out = io.StringIO()
    monkeypatch.setattr(display, "console", Console(file=out, force_terminal=False, width=200))
    return out


def test_every_finished_instance_is_a_line_with_its_verdict(log_console: io.StringIO) -> None:
    with display.stage_progress("validate (3 instances)") as progress:
        for done, verdict in enumerate(["kept", "no_fail_to_pass", "timeout"], 1):
            progress(f"validated {done}/3: calc-{done} {verdict}")
    lines = log_console.getvalue().splitlines()
    assert [line.split(" ", 1)[1] for line in lines[1:-1]] == [
        "validate (3 instances): validated 1/3: calc-1 kept",
        "validate (3 instances): validated 2/3: calc-2 no_fail_to_pass",
        "validate (3 instances): validated 3/3: calc-3 timeout",
    ]
    assert lines[0].endswith("started") and "finished in" in lines[-1]


def test_a_long_silent_step_gets_a_heartbeat_naming_it(
    log_console: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(display, "LOG_INTERVAL", 0.2)
    with display.stage_progress("build (1 instances)") as progress:
        progress("env image owner/repo 1.0")
        time.sleep(0.7)
    beats = [line for line in log_console.getvalue().splitlines() if "still working" in line]
    assert beats and all("env image owner/repo 1.0" in line for line in beats)


def test_a_fast_stream_is_thinned_but_not_silenced(log_console: io.StringIO) -> None:
    with display.stage_progress("versions", throttle=3600) as progress:
        for done in range(1, 501):
            progress(f"owner/repo {done}/500")
    lines = log_console.getvalue().splitlines()
    assert len(lines) < 10
    assert lines[0].endswith("versions: started")
    assert lines[-2].endswith("versions: owner/repo 500/500")


def test_an_env_failure_shared_by_many_instances_is_reported_once(log_console: io.StringIO) -> None:
    env_log = "pip install failed\nERROR: No matching distribution found for moto==9"
    report = StageReport("build")
    cause = f"getmoto/moto 5.0: {env_log}"
    for n in range(1, 35):
        report.add(Outcome(f"getmoto__moto-{n}", "getmoto/moto", "env_build_failed", env_log, cause=cause))
    report.add(Outcome("getmoto__moto-99", "getmoto/moto", "instance_build_failed", "git apply failed"))
    summary = BuildSummary(report)
    display.show(build_command.view(summary))
    out = log_console.getvalue()
    assert out.count("No matching distribution found for moto==9") == 1
    assert "env_build_failed (34 instances: getmoto__moto-1, getmoto__moto-2" in out
    assert "and 29 more" in out
    assert out.count("git apply failed") == 1


def test_a_builds_own_output_lines_stay_out_of_the_log_but_in_the_heartbeat(
    log_console: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(display, "LOG_INTERVAL", 0.2)
    with display.stage_progress("build (1 instances)") as progress:
        progress("env image owner/repo 1.0")
        for step in range(1, 40):
            progress(f"{DETAIL}Step {step}/40 : RUN pip install thing{step}")
        time.sleep(0.7)
        progress("instance image owner__repo-1")
    lines = log_console.getvalue().splitlines()
    assert not [line for line in lines if "Step" in line and "still working" not in line]
    assert any("still working" in line and "Step 39/40" in line for line in lines)
    assert lines[-2].endswith("build (1 instances): instance image owner__repo-1")
