"""Completion requests and their approval: submit, approve, deny, withdraw, the inbox.

A milestone that completes by `request` is submitted (by the participant or staff), then
approved or denied by eligible approvers: by role, by user, the cohort's staff (the
default), admins always; in ordered levels, each possibly needing N distinct approvers.
Each test drives the command line of CONTRACT.md the way a coordinator's script would and
reads back what they would see: `show` (state, approvals), `inbox`, exit codes and messages.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from conftest import ADMIN, Waypoint

ADVISOR = "avery@example.edu"  # advisor, staff of the fall cohort
OTHER_ADVISOR = "ollie@example.edu"  # advisor, staff of the spring cohort only
FINANCE = "lee@example.edu"
FINANCE_2 = "fran@example.edu"
HR = "hana@example.edu"

SAM = "s1"
ROBIN = "s2"

JOINED = "2026-08-20T09:00"
SUBMITTED = "2026-09-01T10:00"
DAY2 = "2026-09-02T09:30"
DAY3 = "2026-09-03T11:00"
DAY4 = "2026-09-04T14:00"

CHICAGO_SUMMER = timezone(timedelta(hours=-5))  # America/Chicago in September (CDT)

HEAD = """\
[program]
name = "Approvals"
timezone = "America/Chicago"

[[staff]]
email = "avery@example.edu"
name = "Avery Advisor"
roles = ["advisor"]
[[staff]]
email = "ollie@example.edu"
name = "Ollie Advisor"
roles = ["advisor"]
[[staff]]
email = "lee@example.edu"
name = "Lee Finance"
roles = ["finance"]
[[staff]]
email = "fran@example.edu"
name = "Fran Finance"
roles = ["finance"]
[[staff]]
email = "hana@example.edu"
name = "Hana People"
roles = ["hrbp"]

[[cohorts]]
key = "fall"
name = "Fall 2026"
staff = ["avery@example.edu"]
[[cohorts]]
key = "spring"
name = "Spring 2027"
staff = ["ollie@example.edu"]
"""


def program(wp: Waypoint, milestones: str) -> None:
    """The common head (staff, cohorts) and these milestones."""
    wp.apply(HEAD + "\n" + milestones)


def students(wp: Waypoint) -> None:
    """Sam Student (s1) and Robin Roe (s2) join the fall cohort."""
    wp.people("id,name,email,cohort,status\n"
              f"{SAM},Sam Student,sam@example.edu,fall,Applied\n"
              f"{ROBIN},Robin Roe,robin@example.edu,fall,Applied\n",
              "--at", JOINED)


def request(approval: str = "", key: str = "deposit", title: str = "Pay the deposit",
            extra: str = "") -> str:
    """A milestone of the fall cohort completed by request, with this [milestones.approval]."""
    text = (f'[[milestones]]\nkey = "{key}"\ntitle = "{title}"\ncohorts = ["fall"]\n'
            f'complete_by = ["request"]\n{extra}')
    if approval:
        text += "[milestones.approval]\n" + approval
    return text + "\n"


def setup(wp: Waypoint, approval: str = "", extra: str = "") -> None:
    """Program with one request milestone `deposit` (this approval table); Sam and Robin."""
    program(wp, request(approval, extra=extra))
    students(wp)


def act(wp: Waypoint, verb: str, by: str, *extra: str, at: str = DAY2,
        person: str = SAM, milestone: str = "deposit") -> Any:
    """A verb on one progress that must succeed."""
    return wp.json(verb, person, milestone, "--by", by, "--at", at, *extra)


def refused(wp: Waypoint, verb: str, by: str, *extra: str, at: str = DAY2,
            person: str = SAM, milestone: str = "deposit") -> str:
    """A verb on one progress that must be refused; its message."""
    return wp.refused(verb, person, milestone, "--by", by, "--at", at, *extra)


def submit(wp: Waypoint, by: str = SAM, at: str = SUBMITTED, **kw: Any) -> Any:
    return act(wp, "submit", by, at=at, **kw)


def inbox(wp: Waypoint, who: str) -> list[dict[str, Any]]:
    return wp.json("inbox", "--as", who)["items"]


def inbox_keys(wp: Waypoint, who: str) -> list[tuple[str, str, int]]:
    return sorted((i["person"], i["milestone"], i["level"]) for i in inbox(wp, who))


def state(wp: Waypoint, milestone: str = "deposit", person: str = SAM) -> str | None:
    return wp.state(person, milestone)


def approvals(wp: Waypoint, milestone: str = "deposit", person: str = SAM) -> list[dict[str, Any]]:
    return wp.show(person)[milestone]["approvals"]


def local(text: str) -> datetime:
    """A program-zone time as given to --at, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=CHICAGO_SUMMER)


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def assert_refused_unchanged(wp: Waypoint, verb: str, by: str, *extra: str,
                             at: str = DAY2, milestone: str = "deposit") -> str:
    """Refused with exit 1, on one line, and nothing about the participant changed."""
    before = wp.show(SAM)
    error = refused(wp, verb, by, *extra, at=at, milestone=milestone)
    assert len(error.strip().splitlines()) == 1, f"expected one line on stderr: {error!r}"
    assert wp.show(SAM) == before
    return error


# --- 1. submit --------------------------------------------------------------------------------

def test_a_participant_submits_a_request_milestone_for_approval(wp: Waypoint) -> None:
    setup(wp)
    assert state(wp) == "open"

    submit(wp, by=SAM)

    deposit = wp.show(SAM)["deposit"]
    assert deposit["state"] == "submitted"
    assert deposit["completed_at"] is None
    assert deposit["approvals"] == []
    assert state(wp, person=ROBIN) == "open", "only Sam's request was submitted"


def test_a_participant_may_submit_by_their_email(wp: Waypoint) -> None:
    setup(wp)

    submit(wp, by="sam@example.edu")

    assert state(wp) == "submitted"


def test_staff_may_submit_on_a_participants_behalf(wp: Waypoint) -> None:
    setup(wp)

    submit(wp, by=ADVISOR)
    submit(wp, by=ADMIN, person=ROBIN)

    assert state(wp) == "submitted"
    assert state(wp, person=ROBIN) == "submitted"


PREREQUISITE = """\
[[milestones]]
key = "interview"
title = "Admissions interview"
cohorts = ["fall"]
complete_by = ["staff"]
"""


def test_a_locked_milestone_cannot_be_submitted(wp: Waypoint) -> None:
    program(wp, PREREQUISITE + "\n" + request(extra='after = ["interview"]\n'))
    students(wp)
    assert state(wp) == "locked"

    assert_refused_unchanged(wp, "submit", SAM, at=SUBMITTED)

    assert state(wp) == "locked"
    assert inbox(wp, ADVISOR) == []


def test_any_time_lets_a_milestone_locked_by_prerequisites_be_submitted_and_approved(
        wp: Waypoint) -> None:
    program(wp, PREREQUISITE + "\n"
            + request("any_time = true\n", extra='after = ["interview"]\n'))
    students(wp)
    assert state(wp) == "locked"

    submit(wp, by=SAM)
    assert state(wp) == "submitted"
    act(wp, "approve", ADVISOR)

    assert state(wp) == "complete"
    assert state(wp, "interview") == "open", "the earlier milestone is still to do"


def test_a_milestone_that_does_not_complete_by_request_cannot_be_submitted(
        wp: Waypoint) -> None:
    program(wp, """\
[[milestones]]
key = "check-in"
title = "First-week check-in"
cohorts = ["fall"]
complete_by = ["self"]
""")
    students(wp)

    assert_refused_unchanged(wp, "submit", SAM, at=SUBMITTED, milestone="check-in")

    assert state(wp, "check-in") == "open"


# --- 2. who may approve -----------------------------------------------------------------------

def test_by_default_the_cohort_staff_approve(wp: Waypoint) -> None:
    setup(wp)
    submit(wp)

    act(wp, "approve", ADVISOR)

    assert state(wp) == "complete"


def test_by_default_staff_of_another_cohort_may_not_approve(wp: Waypoint) -> None:
    setup(wp)
    submit(wp)

    error = assert_refused_unchanged(wp, "approve", OTHER_ADVISOR)

    assert ADVISOR in error, "the refusal names who may approve instead"
    assert state(wp) == "submitted"


def test_by_default_staff_outside_the_cohort_may_not_deny_either(wp: Waypoint) -> None:
    setup(wp)
    submit(wp)

    error = assert_refused_unchanged(wp, "deny", FINANCE, "--note", "no")

    assert ADVISOR in error
    assert state(wp) == "submitted"


def test_approvers_by_role(wp: Waypoint) -> None:
    setup(wp, 'approvers = { roles = ["finance"] }\n')
    submit(wp)

    error = assert_refused_unchanged(wp, "approve", ADVISOR)
    assert "finance" in error or FINANCE in error or FINANCE_2 in error

    act(wp, "approve", FINANCE_2)
    assert state(wp) == "complete"


def test_approvers_by_user(wp: Waypoint) -> None:
    setup(wp, f'approvers = {{ users = ["{HR}"] }}\n')
    submit(wp)

    error = assert_refused_unchanged(wp, "approve", FINANCE)
    assert HR in error

    act(wp, "approve", HR)
    assert state(wp) == "complete"


def test_naming_approvers_replaces_the_cohort_staff(wp: Waypoint) -> None:
    setup(wp, 'approvers = { roles = ["finance"], cohort_staff = false }\n')
    submit(wp)

    error = assert_refused_unchanged(wp, "approve", ADVISOR)

    assert "finance" in error or FINANCE in error or FINANCE_2 in error


def test_cohort_staff_may_be_named_alongside_roles(wp: Waypoint) -> None:
    setup(wp, 'approvers = { roles = ["finance"], cohort_staff = true }\n')
    submit(wp)
    submit(wp, person=ROBIN, by=ROBIN)

    error = assert_refused_unchanged(wp, "approve", OTHER_ADVISOR)
    assert ADVISOR in error or "finance" in error or FINANCE in error

    act(wp, "approve", ADVISOR)
    act(wp, "approve", FINANCE, person=ROBIN)
    assert state(wp) == "complete"
    assert state(wp, person=ROBIN) == "complete"


def test_admins_may_always_approve(wp: Waypoint) -> None:
    setup(wp, f'approvers = {{ users = ["{HR}"] }}\n')
    submit(wp)

    act(wp, "approve", ADMIN, "--note", "HR is away")

    assert state(wp) == "complete"


def test_an_admin_override_records_its_reason(wp: Waypoint) -> None:
    setup(wp, f'approvers = {{ users = ["{HR}"] }}\n')
    submit(wp)

    error = refused(wp, "approve", ADMIN)
    assert "override" in error and "--note" in error

    act(wp, "approve", ADMIN, "--note", "HR is away")
    (decision,) = wp.show(SAM)["deposit"]["approvals"]
    assert (decision["by"], decision["note"]) == (ADMIN, "HR is away")


def test_admins_may_always_deny(wp: Waypoint) -> None:
    setup(wp, 'approvers = { roles = ["finance"] }\n')
    submit(wp)

    act(wp, "deny", ADMIN, "--note", "missing receipt")

    assert state(wp) == "denied"


def test_a_participant_may_not_approve_their_own_request(wp: Waypoint) -> None:
    setup(wp)
    submit(wp)

    error = assert_refused_unchanged(wp, "approve", SAM)

    assert ADVISOR in error
    assert state(wp) == "submitted"


# --- 3. approval completes; show lists the decisions ------------------------------------------

def test_approving_records_the_decision_and_completes(wp: Waypoint) -> None:
    setup(wp, 'approvers = { roles = ["finance"] }\n')
    submit(wp)

    act(wp, "approve", FINANCE, "--note", "receipt seen", at=DAY2)

    deposit = wp.show(SAM)["deposit"]
    assert deposit["state"] == "complete"
    assert deposit["completed_at"] is not None
    assert when(deposit["completed_at"]) == local(DAY2)
    [decision] = deposit["approvals"]
    assert decision["level"] == 1
    assert decision["by"] == FINANCE
    assert decision["decision"] == "approved"
    assert decision["note"] == "receipt seen"
    assert when(decision["at"]) == local(DAY2)


CHILD_AND_ACTIONS = """\
[milestones.on_complete]
pipeline_status = "Admitted"

[[milestones]]
key = "housing"
title = "Choose housing"
cohorts = ["fall"]
complete_by = ["self"]
after = ["deposit"]
"""


def test_approval_sets_off_the_on_complete_actions_and_opens_children(wp: Waypoint) -> None:
    program(wp, request() + CHILD_AND_ACTIONS)
    students(wp)
    assert state(wp, "housing") == "locked"
    submit(wp)
    assert state(wp, "housing") == "locked", "a submitted parent is not a complete one"
    assert wp.json("show", SAM)["person"]["status"] == "Applied"

    act(wp, "approve", ADVISOR)

    assert state(wp) == "complete"
    assert state(wp, "housing") == "open"
    assert wp.json("show", SAM)["person"]["status"] == "Admitted"
    assert wp.json("show", ROBIN)["person"]["status"] == "Applied"


# --- 4. ordered levels ------------------------------------------------------------------------

TWO_LEVELS = 'levels = [{ roles = ["hrbp"] }, { roles = ["finance"] }]\n'


def test_a_later_level_is_not_asked_before_the_earlier_level_approves(wp: Waypoint) -> None:
    setup(wp, TWO_LEVELS)
    submit(wp)

    error = assert_refused_unchanged(wp, "approve", FINANCE)

    assert "hrbp" in error or HR in error, "the refusal names who acts first"
    assert state(wp) == "submitted"
    assert approvals(wp) == []


def test_levels_approve_in_order_and_the_last_completes(wp: Waypoint) -> None:
    setup(wp, TWO_LEVELS)
    submit(wp)

    act(wp, "approve", HR, "--note", "fine by HR", at=DAY2)
    assert state(wp) == "submitted", "level 2 still has to approve"

    act(wp, "approve", FINANCE, at=DAY3)

    assert state(wp) == "complete"
    decisions = [(a["level"], a["by"], a["decision"]) for a in approvals(wp)]
    assert sorted(decisions) == [(1, HR, "approved"), (2, FINANCE, "approved")]
    first = next(a for a in approvals(wp) if a["level"] == 1)
    assert first["note"] == "fine by HR"
    assert when(first["at"]) == local(DAY2)


def test_an_earlier_level_approver_may_not_act_at_a_later_level(wp: Waypoint) -> None:
    setup(wp, TWO_LEVELS)
    submit(wp)
    act(wp, "approve", HR)

    error = assert_refused_unchanged(wp, "approve", HR, at=DAY3)

    assert "finance" in error or FINANCE in error or FINANCE_2 in error
    assert state(wp) == "submitted"


# --- 5. N of M --------------------------------------------------------------------------------

TWO_OF_THREE = (f'levels = [{{ users = ["{FINANCE}", "{FINANCE_2}", "{HR}"], '
                'min_approvals = 2 }]\n')


def test_a_level_needing_two_approvers_waits_for_the_second(wp: Waypoint) -> None:
    setup(wp, TWO_OF_THREE)
    submit(wp)

    act(wp, "approve", FINANCE, at=DAY2)
    assert state(wp) == "submitted", "one approval of the two needed"

    act(wp, "approve", HR, at=DAY3)

    assert state(wp) == "complete"
    assert sorted((a["level"], a["by"]) for a in approvals(wp)) == [(1, HR), (1, FINANCE)]


def test_the_same_person_may_not_approve_the_same_level_twice(wp: Waypoint) -> None:
    setup(wp, TWO_OF_THREE)
    submit(wp)
    act(wp, "approve", FINANCE, at=DAY2)

    assert_refused_unchanged(wp, "approve", FINANCE, at=DAY3)

    assert state(wp) == "submitted"
    assert [a["by"] for a in approvals(wp)] == [FINANCE]


def test_two_of_a_role_need_two_distinct_people(wp: Waypoint) -> None:
    setup(wp, 'levels = [{ roles = ["finance"], min_approvals = 2 }]\n')
    submit(wp)

    act(wp, "approve", FINANCE_2, at=DAY2)
    assert state(wp) == "submitted"
    assert_refused_unchanged(wp, "approve", FINANCE_2, at=DAY3)
    act(wp, "approve", FINANCE, at=DAY3)

    assert state(wp) == "complete"


# --- 6. one person at several levels ----------------------------------------------------------

def test_one_person_eligible_at_several_levels_approves_them_all_at_once(wp: Waypoint) -> None:
    setup(wp, f'levels = [{{ roles = ["finance"] }}, {{ users = ["{FINANCE}", "{HR}"] }}]\n')
    submit(wp)

    act(wp, "approve", FINANCE)

    assert state(wp) == "complete"
    assert sorted((a["level"], a["by"], a["decision"]) for a in approvals(wp)) == [
        (1, FINANCE, "approved"), (2, FINANCE, "approved")]


def test_approving_several_levels_at_once_counts_once_towards_a_later_two_of_m(
        wp: Waypoint) -> None:
    setup(wp, f'levels = [{{ roles = ["finance"] }}, '
              f'{{ users = ["{FINANCE}", "{FINANCE_2}", "{HR}"], min_approvals = 2 }}]\n')
    submit(wp)

    act(wp, "approve", FINANCE, at=DAY2)
    assert state(wp) == "submitted", "level 2 needs a second, different approver"
    assert_refused_unchanged(wp, "approve", FINANCE, at=DAY3)

    act(wp, "approve", HR, at=DAY3)

    assert state(wp) == "complete"


# --- 7. notes required ------------------------------------------------------------------------

def test_a_denial_needs_a_note_where_required(wp: Waypoint) -> None:
    setup(wp, 'note_required = ["deny"]\n')
    submit(wp)

    error = assert_refused_unchanged(wp, "deny", ADVISOR)
    assert "note" in error.lower()

    act(wp, "deny", ADVISOR, "--note", "the receipt is unreadable", at=DAY3)
    assert state(wp) == "denied"


def test_where_only_a_denial_needs_a_note_an_approval_needs_none(wp: Waypoint) -> None:
    setup(wp, 'note_required = ["deny"]\n')
    submit(wp)

    act(wp, "approve", ADVISOR)

    assert state(wp) == "complete"


def test_an_approval_needs_a_note_where_required(wp: Waypoint) -> None:
    setup(wp, 'note_required = ["approve"]\n')
    submit(wp)
    submit(wp, person=ROBIN, by=ROBIN)

    error = assert_refused_unchanged(wp, "approve", ADVISOR)
    assert "note" in error.lower()

    act(wp, "approve", ADVISOR, "--note", "all in order", at=DAY3)
    assert state(wp) == "complete"
    act(wp, "deny", ADVISOR, at=DAY3, person=ROBIN)
    assert state(wp, person=ROBIN) == "denied", "a denial needs no note here"


# --- 8. denied and resubmitted ----------------------------------------------------------------

def test_a_denial_puts_the_milestone_to_denied_and_is_recorded(wp: Waypoint) -> None:
    setup(wp)
    submit(wp)

    act(wp, "deny", ADVISOR, "--note", "wrong amount", at=DAY2)

    deposit = wp.show(SAM)["deposit"]
    assert deposit["state"] == "denied"
    assert deposit["completed_at"] is None
    [decision] = deposit["approvals"]
    assert (decision["level"], decision["by"], decision["decision"], decision["note"]) == (
        1, ADVISOR, "denied", "wrong amount")
    assert when(decision["at"]) == local(DAY2)


def test_a_denied_milestone_may_be_resubmitted_and_approved(wp: Waypoint) -> None:
    setup(wp)
    submit(wp)
    act(wp, "deny", ADVISOR, "--note", "wrong amount", at=DAY2)

    submit(wp, by=SAM, at=DAY3)
    assert state(wp) == "submitted"

    act(wp, "approve", ADVISOR, at=DAY4)
    assert state(wp) == "complete"


def test_a_resubmitted_milestone_starts_again_at_level_one(wp: Waypoint) -> None:
    setup(wp, TWO_LEVELS)
    submit(wp)
    act(wp, "approve", HR, at=DAY2)
    act(wp, "deny", FINANCE, "--note", "budget not confirmed", at=DAY2)
    assert state(wp) == "denied"

    submit(wp, by=SAM, at=DAY3)

    assert state(wp) == "submitted"
    assert_refused_unchanged(wp, "approve", FINANCE, at=DAY3)
    assert inbox_keys(wp, FINANCE) == []
    assert inbox_keys(wp, HR) == [(SAM, "deposit", 1)]
    act(wp, "approve", HR, at=DAY4)
    act(wp, "approve", FINANCE, at=DAY4)
    assert state(wp) == "complete"


# --- 9. withdraw ------------------------------------------------------------------------------

def test_the_submitter_may_withdraw_before_anyone_acted(wp: Waypoint) -> None:
    setup(wp)
    submit(wp, by=SAM)

    act(wp, "withdraw", SAM, at=DAY2)

    assert state(wp) == "open"
    assert inbox(wp, ADVISOR) == []


def test_withdrawing_a_started_milestone_returns_it_to_started(wp: Waypoint) -> None:
    setup(wp)
    act(wp, "start", SAM, at=JOINED)
    submit(wp, by=SAM)

    act(wp, "withdraw", SAM, at=DAY2)

    assert state(wp) == "started"


def test_a_withdrawn_request_may_be_submitted_again(wp: Waypoint) -> None:
    setup(wp)
    submit(wp, by=SAM)
    act(wp, "withdraw", SAM, at=DAY2)

    submit(wp, by=SAM, at=DAY3)

    assert state(wp) == "submitted"


def test_withdraw_is_refused_after_an_approver_acted(wp: Waypoint) -> None:
    setup(wp, TWO_LEVELS)
    submit(wp, by=SAM)
    act(wp, "approve", HR, at=DAY2)

    assert_refused_unchanged(wp, "withdraw", SAM, at=DAY3)

    assert state(wp) == "submitted"


def test_only_the_submitter_may_withdraw(wp: Waypoint) -> None:
    setup(wp)
    submit(wp, by=SAM)

    assert_refused_unchanged(wp, "withdraw", ROBIN, at=DAY2)

    assert state(wp) == "submitted"


# --- 10. when_ready = "approved" --------------------------------------------------------------

def test_when_ready_approved_completes_on_submit(wp: Waypoint) -> None:
    program(wp, request('when_ready = "approved"\n') + CHILD_AND_ACTIONS)
    students(wp)

    submit(wp, by=SAM)

    assert state(wp) == "complete"
    assert state(wp, "housing") == "open"
    assert wp.json("show", SAM)["person"]["status"] == "Admitted"
    assert inbox(wp, ADVISOR) == []


# --- 11. the inbox ----------------------------------------------------------------------------

def test_the_inbox_lists_a_submitted_request_for_its_approvers(wp: Waypoint) -> None:
    setup(wp, 'approvers = { roles = ["finance"] }\napproval_deadline = "10d"\n')
    assert inbox(wp, FINANCE) == []

    submit(wp, at=SUBMITTED)

    [item] = inbox(wp, FINANCE)
    assert (item["person"], item["milestone"], item["level"]) == (SAM, "deposit", 1)
    assert when(item["submitted_at"]) == local(SUBMITTED)
    assert item["deadline"] == "2026-09-11"
    assert [i["person"] for i in inbox(wp, FINANCE_2)] == [SAM]
    assert inbox(wp, ADVISOR) == [], "not an approver of this milestone"
    assert inbox(wp, HR) == []


def test_the_inbox_deadline_is_null_without_an_approval_deadline(wp: Waypoint) -> None:
    setup(wp)
    submit(wp)

    [item] = inbox(wp, ADVISOR)

    assert item["deadline"] is None
    assert inbox(wp, OTHER_ADVISOR) == [], "staff of another cohort"


def test_the_inbox_shows_a_later_level_only_after_the_earlier_approved(wp: Waypoint) -> None:
    setup(wp, TWO_LEVELS)
    submit(wp)

    assert inbox_keys(wp, HR) == [(SAM, "deposit", 1)]
    assert inbox_keys(wp, FINANCE) == []

    act(wp, "approve", HR)

    assert inbox_keys(wp, HR) == []
    assert inbox_keys(wp, FINANCE) == [(SAM, "deposit", 2)]


HR_THEN_COHORT_STAFF = 'levels = [{ roles = ["hrbp"] }, { cohort_staff = true }]\n'


def test_a_later_level_of_cohort_staff_shows_to_the_participants_cohort_staff_only(
        wp: Waypoint) -> None:
    setup(wp, HR_THEN_COHORT_STAFF)
    submit(wp)
    submit(wp, person=ROBIN, by=ROBIN)

    act(wp, "approve", HR)

    assert inbox_keys(wp, ADVISOR) == [(SAM, "deposit", 2)], "Robin's still waits on HR"
    assert inbox_keys(wp, OTHER_ADVISOR) == [], "staff of another cohort"
    assert inbox_keys(wp, HR) == [(ROBIN, "deposit", 1)]


def test_a_later_level_stays_out_of_the_inbox_of_an_approver_who_may_not_see_it(
        wp: Waypoint) -> None:
    setup(wp, HR_THEN_COHORT_STAFF, extra='visible_to = ["hrbp"]\n')
    submit(wp)

    act(wp, "approve", HR)

    assert inbox_keys(wp, ADVISOR) == [], "restricted to hrbp: the advisor does not see it"
    assert inbox_keys(wp, ADMIN) == [(SAM, "deposit", 2)]


def test_a_colleague_standing_in_for_cohort_staff_sees_the_cohorts_requests(
        wp: Waypoint) -> None:
    setup(wp)
    submit(wp)
    wp.json("delegate", "--by", ADVISOR, "--to", FINANCE, "--start", "2026-09-02",
            "--end", "2026-09-03", "--at", SUBMITTED)

    def keys(at: str) -> list[tuple[str, str, int]]:
        items = wp.json("inbox", "--as", FINANCE, "--at", at)["items"]
        return [(i["person"], i["milestone"], i["level"]) for i in items]

    assert keys(DAY2) == [(SAM, "deposit", 1)]
    assert keys(DAY4) == [], "the delegation has ended"
    assert inbox_keys(wp, HR) == []


def test_an_approver_who_already_approved_the_level_no_longer_sees_it(wp: Waypoint) -> None:
    setup(wp, TWO_OF_THREE)
    submit(wp)

    act(wp, "approve", FINANCE)

    assert inbox_keys(wp, FINANCE) == []
    assert inbox_keys(wp, FINANCE_2) == [(SAM, "deposit", 1)]
    assert inbox_keys(wp, HR) == [(SAM, "deposit", 1)]


def test_a_completed_request_leaves_the_inbox(wp: Waypoint) -> None:
    setup(wp)
    submit(wp)
    submit(wp, person=ROBIN, by=ROBIN)
    assert inbox_keys(wp, ADVISOR) == [(SAM, "deposit", 1), (ROBIN, "deposit", 1)]

    act(wp, "approve", ADVISOR)

    assert inbox_keys(wp, ADVISOR) == [(ROBIN, "deposit", 1)]


def test_an_admins_inbox_lists_what_they_may_act_on(wp: Waypoint) -> None:
    setup(wp, f'approvers = {{ users = ["{HR}"] }}\n')
    submit(wp)
    submit(wp, person=ROBIN, by=ROBIN)
    act(wp, "approve", HR)

    assert inbox_keys(wp, ADMIN) == [(ROBIN, "deposit", 1)]


def test_a_denied_request_leaves_the_inbox(wp: Waypoint) -> None:
    setup(wp)
    submit(wp)

    act(wp, "deny", ADVISOR, "--note", "wrong amount")

    assert inbox_keys(wp, ADVISOR) == []
