from swegym_build.validate.parsers import TestStatus
from swegym_build.validate.verdict import RunStatuses, judge

P, F, E, S, XF, XP = (
    TestStatus.PASSED,
    TestStatus.FAILED,
    TestStatus.ERROR,
    TestStatus.SKIPPED,
    TestStatus.XFAIL,
    TestStatus.XPASS,
)


def test_fail_to_pass_and_pass_to_pass_need_every_run_to_agree() -> None:
    run = RunStatuses(before={"t::fixed": F, "t::kept": P}, after={"t::fixed": P, "t::kept": P})
    verdict = judge([run, run, run])
    assert verdict.kept and verdict.FAIL_TO_PASS == ["t::fixed"] and verdict.PASS_TO_PASS == ["t::kept"]


def test_a_test_absent_before_and_passing_after_is_fail_to_pass() -> None:
    run = RunStatuses(before={}, after={"t::new": P})
    assert judge([run, run]).FAIL_TO_PASS == ["t::new"]


def test_flaky_tests_are_kept_out_of_every_list() -> None:
    runs = [
        RunStatuses(before={"t::f": F, "t::flaky": P}, after={"t::f": P, "t::flaky": P}),
        RunStatuses(before={"t::f": F, "t::flaky": F}, after={"t::f": P, "t::flaky": P}),
    ]
    verdict = judge(runs)
    assert verdict.flaky_tests == ["t::flaky"] and verdict.FAIL_TO_PASS == ["t::f"] and verdict.kept
    assert "t::flaky" not in verdict.PASS_TO_PASS + verdict.FAIL_TO_FAIL


def test_only_flaky_tests_change_means_flaky_only() -> None:
    runs = [
        RunStatuses(before={"t::x": F}, after={"t::x": P}),
        RunStatuses(before={"t::x": F}, after={"t::x": F}),
    ]
    assert judge(runs).reason == "flaky_only"


def test_pass_to_fail_rejects_even_with_fail_to_pass() -> None:
    run = RunStatuses(before={"t::a": F, "t::b": P}, after={"t::a": P, "t::b": F})
    verdict = judge([run])
    assert verdict.reason == "pass_to_fail" and verdict.PASS_TO_FAIL == ["t::b"]


def test_skips_and_errors_fail() -> None:
    run = RunStatuses(before={"t::s": S, "t::e": E}, after={"t::s": P, "t::e": P})
    verdict = judge([run])
    assert verdict.FAIL_TO_PASS == ["t::e", "t::s"]


def test_xfail_and_xpass_are_in_their_own_list_only() -> None:
    run = RunStatuses(
        before={"t::x": XF, "t::fixed": XF, "t::f": F}, after={"t::x": XF, "t::fixed": XP, "t::f": P}
    )
    verdict = judge([run])
    assert verdict.xfail_tests == ["t::fixed", "t::x"]
    assert verdict.PASS_TO_PASS == [] and verdict.FAIL_TO_PASS == ["t::f"] and verdict.FAIL_TO_FAIL == []


def test_nothing_after_is_a_broken_environment() -> None:
    assert judge([RunStatuses(before={"t::a": F}, after={})]).reason == "env_broken"


def test_no_change_is_no_fail_to_pass() -> None:
    run = RunStatuses(before={"t::a": P}, after={"t::a": P})
    assert judge([run]).reason == "no_fail_to_pass"
