"""Submit triggers: a milestone submitted for approval by what happens to the participant.

`[milestones.approval] submit_when` lists the ways a request milestone is submitted: a
person (`submit`), a pipeline status, an attribute reaching given values, the previous
milestones' approval. When a trigger fires the milestone is ready for approval (submitted by
"system"), or approved at once where `when_ready = "approved"`. A trigger undone before
anyone acted puts the progress back; after an approver acted it stays.

Each test drives the command line of CONTRACT.md and reads back what a coordinator sees
(`show`, `inbox`, the changes a command reports); the history is read with plain SQL.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from conftest import ADMIN, Waypoint

ADVISOR = "avery@example.edu"  # staff of the fall cohort
FINANCE = "lee@example.edu"
HR = "hana@example.edu"
SAM = "s1"
ROBIN = "s2"

JOINED = "2026-08-20T09:00"
DAY1 = "2026-09-01T10:00"
DAY2 = "2026-09-02T09:30"
DAY3 = "2026-09-03T11:00"
DAY4 = "2026-09-04T14:00"

HEAD = """\
[program]
name = "Triggers"
timezone = "America/Chicago"

[[staff]]
email = "avery@example.edu"
name = "Avery Advisor"
roles = ["advisor"]
[[staff]]
email = "lee@example.edu"
name = "Lee Finance"
roles = ["finance"]
[[staff]]
email = "hana@example.edu"
name = "Hana People"
roles = ["hrbp"]

[[cohorts]]
key = "fall"
name = "Fall 2026"
staff = ["avery@example.edu"]
"""

ON_ACTIVE = 'submit_when = [{ status = "Active" }]\n'
ON_HIGH = 'submit_when = [{ attribute = "priority", values = ["High", "Urgent"] }]\n'
ON_PREVIOUS = 'submit_when = ["previous_approved"]\n'

INTERVIEW = """\
[[milestones]]
key = "interview"
title = "Admissions interview"
cohorts = ["fall"]
complete_by = ["request"]
"""


def request(approval: str, key: str = "deposit", title: str = "Pay the deposit",
            extra: str = "") -> str:
    """A request milestone of the fall cohort with this [milestones.approval] table."""
    return (f'[[milestones]]\nkey = "{key}"\ntitle = "{title}"\ncohorts = ["fall"]\n'
            f'complete_by = ["request"]\n{extra}[milestones.approval]\n{approval}\n')


def setup(wp: Waypoint, milestones: str) -> None:
    """The program with these milestones; Sam (s1) and Robin (s2) join fall as Applied."""
    wp.apply(HEAD + "\n" + milestones)
    wp.people("id,name,email,cohort,status\n"
              f"{SAM},Sam Student,sam@example.edu,fall,Applied\n"
              f"{ROBIN},Robin Roe,robin@example.edu,fall,Applied\n",
              "--at", JOINED)


def change(wp: Waypoint, *fields: str, at: str = DAY1, person: str = SAM) -> Any:
    return wp.json("set", person, *fields, "--at", at)


def act(wp: Waypoint, verb: str, by: str = ADMIN, *extra: str, at: str = DAY2,
        milestone: str = "deposit", person: str = SAM) -> Any:
    return wp.json(verb, person, milestone, "--by", by, "--at", at, *extra)


def state(wp: Waypoint, milestone: str = "deposit", person: str = SAM) -> str | None:
    return wp.state(person, milestone)


def moves(result: Any, milestone: str = "deposit") -> list[tuple[str | None, str]]:
    """The state changes a command reports for one of Sam's milestones."""
    return [(c["from"], c["to"]) for c in result["changes"]
            if c.get("kind") == "progress" and c.get("milestone") == milestone
            and c.get("person") == SAM and "to" in c]


def inbox(wp: Waypoint, who: str) -> list[tuple[str, str, int]]:
    return sorted((i["person"], i["milestone"], i["level"])
                  for i in wp.json("inbox", "--as", who)["items"])


def history(wp: Waypoint, milestone: str = "deposit", person: str = SAM
            ) -> list[tuple[str, str | None, str | None, str]]:
    """(kind, from, to, actor) of one progress's history, in order."""
    with sqlite3.connect(wp.db) as sql:
        return list(sql.execute(
            "SELECT ev.kind, ev.from_state, ev.to_state, ev.actor FROM progress_events ev "
            "JOIN progress pr ON pr.id = ev.progress_id "
            "JOIN people pe ON pe.id = pr.person_id JOIN milestones mi ON mi.id = pr.milestone_id "
            "WHERE pe.external_id = ? AND mi.key = ? ORDER BY ev.rowid", (person, milestone)))


# --- a pipeline status ------------------------------------------------------------------------

def test_a_status_change_submits_the_milestone_for_approval(wp: Waypoint) -> None:
    setup(wp, request(ON_ACTIVE))
    assert state(wp) == "open"

    result = change(wp, "status=Active")

    assert moves(result) == [("open", "submitted")]
    assert state(wp) == "submitted"
    assert inbox(wp, ADVISOR) == [(SAM, "deposit", 1)]
    assert state(wp, person=ROBIN) == "open", "only Sam became Active"
    assert history(wp)[-1] == ("ProgressSubmittedByTrigger", "open", "submitted", "system")


def test_a_status_change_to_another_value_submits_nothing(wp: Waypoint) -> None:
    setup(wp, request(ON_ACTIVE))

    change(wp, "status=Admitted")

    assert state(wp) == "open"
    assert inbox(wp, ADVISOR) == []


def test_someone_who_joins_already_active_has_it_submitted(wp: Waypoint) -> None:
    setup(wp, request(ON_ACTIVE))
    wp.people("id,name,email,status\ns3,Kim Active,kim@example.edu,Active\n", "--at", DAY1)

    result = wp.json("enroll", "s3", "fall", "--at", DAY2)

    assert wp.state("s3", "deposit") == "submitted"
    assert ("s3", "deposit", 1) in inbox(wp, ADVISOR)
    assert [(c["from"], c["to"]) for c in result["changes"]
            if c.get("person") == "s3" and c.get("milestone") == "deposit"] == [
        (None, "open"), ("open", "submitted")]


def test_a_milestone_submitted_by_its_triggers_refuses_the_submit_verb(wp: Waypoint) -> None:
    setup(wp, request(ON_ACTIVE))

    error = wp.refused("submit", SAM, "deposit", "--by", SAM, "--at", DAY1)

    assert "triggers" in error
    assert state(wp) == "open"


def test_a_person_or_a_trigger_whichever_comes_first(wp: Waypoint) -> None:
    setup(wp, request('submit_when = ["person", { status = "Active" }]\n'))

    act(wp, "submit", SAM, at=DAY1)
    change(wp, "status=Active", at=DAY2)
    change(wp, "status=Applied", person=ROBIN, at=DAY2)

    assert state(wp) == "submitted"
    assert [h[0] for h in history(wp)].count("ProgressSubmitted") == 1
    assert "ProgressSubmittedByTrigger" not in [h[0] for h in history(wp)]


# --- an attribute reaching a value -------------------------------------------------------------

def test_an_attribute_reaching_a_value_submits_it(wp: Waypoint) -> None:
    setup(wp, request(ON_HIGH))

    change(wp, "attr.priority=Low", at=DAY1)
    assert state(wp) == "open", "Low is not one of the values"

    result = change(wp, "attr.priority=Urgent", at=DAY2)

    assert moves(result) == [("open", "submitted")]
    assert inbox(wp, ADVISOR) == [(SAM, "deposit", 1)]


def test_another_attribute_changing_leaves_it_alone(wp: Waypoint) -> None:
    setup(wp, request(ON_HIGH))

    change(wp, "attr.progress=High")

    assert state(wp) == "open"


# --- the previous milestones' approval ----------------------------------------------------------

def test_the_previous_milestones_approval_submits_the_next(wp: Waypoint) -> None:
    setup(wp, INTERVIEW + "\n" + request(ON_PREVIOUS, extra='after = ["interview"]\n'))
    act(wp, "submit", SAM, at=DAY1, milestone="interview")
    assert state(wp) == "locked"

    result = act(wp, "approve", ADVISOR, at=DAY2, milestone="interview")

    assert state(wp, "interview") == "complete"
    assert moves(result) == [("locked", "open"), ("open", "submitted")]
    assert inbox(wp, ADVISOR) == [(SAM, "deposit", 1)]
    assert state(wp, person=ROBIN) == "locked"


def test_without_after_the_previous_are_the_milestones_of_the_step_before(wp: Waypoint) -> None:
    setup(wp, INTERVIEW + "step = 1\n\n"
          + request("", key="essay", title="Essay", extra="step = 1\n")
          + request(ON_PREVIOUS, extra="step = 2\n"))
    assert state(wp) == "open"
    act(wp, "complete", ADMIN, at=DAY1, milestone="interview")
    assert state(wp) == "open", "the essay, of the same step, is not complete yet"

    act(wp, "complete", ADMIN, at=DAY2, milestone="essay")

    assert state(wp) == "submitted"


def test_a_trigger_that_holds_while_locked_submits_when_the_milestone_opens(
        wp: Waypoint) -> None:
    setup(wp, INTERVIEW + "\n" + request(ON_ACTIVE, extra='after = ["interview"]\n'))
    change(wp, "status=Active", at=DAY1)
    assert state(wp) == "locked", "not before its prerequisites are met"

    act(wp, "complete", ADMIN, at=DAY2, milestone="interview")

    assert state(wp) == "submitted"


def test_any_time_lets_a_trigger_submit_a_milestone_still_locked(wp: Waypoint) -> None:
    setup(wp, INTERVIEW + "\n"
          + request(ON_ACTIVE + "any_time = true\n", extra='after = ["interview"]\n'))

    change(wp, "status=Active")

    assert state(wp) == "submitted"
    assert state(wp, "interview") == "open"


def test_a_milestone_waiting_for_a_manual_start_is_not_submitted(wp: Waypoint) -> None:
    setup(wp, request(ON_ACTIVE + "any_time = true\n", extra='starts = "manual"\n'))

    change(wp, "status=Active")

    assert state(wp) == "locked"


# --- when_ready = "approved" ---------------------------------------------------------------------

CHILD = """\
[milestones.on_complete]
pipeline_status = "Admitted"

[[milestones]]
key = "housing"
title = "Choose housing"
cohorts = ["fall"]
complete_by = ["self"]
after = ["deposit"]
"""


def test_when_ready_approved_completes_it_without_an_approver(wp: Waypoint) -> None:
    setup(wp, request(ON_HIGH + 'when_ready = "approved"\n') + CHILD)

    change(wp, "attr.priority=High")

    deposit = wp.show(SAM)["deposit"]
    assert deposit["state"] == "complete"
    assert deposit["approvals"] == []
    assert inbox(wp, ADVISOR) == []
    assert state(wp, "housing") == "open"
    assert wp.json("show", SAM)["person"]["status"] == "Admitted"
    assert history(wp)[-1] == ("ProgressAutoApproved", "open", "complete", "system")


def test_when_ready_approved_approves_by_itself_when_prerequisites_are_met(
        wp: Waypoint) -> None:
    setup(wp, INTERVIEW + "\n" + request(ON_PREVIOUS + 'when_ready = "approved"\n',
                                         extra='after = ["interview"]\n') + CHILD)
    act(wp, "submit", SAM, at=DAY1, milestone="interview")

    act(wp, "approve", ADVISOR, at=DAY2, milestone="interview")

    assert state(wp) == "complete"
    assert state(wp, "housing") == "open"


def test_an_approved_milestone_stays_complete_when_its_trigger_is_undone(wp: Waypoint) -> None:
    setup(wp, request(ON_HIGH + 'when_ready = "approved"\n'))
    change(wp, "attr.priority=High", at=DAY1)

    change(wp, "attr.priority=Low", at=DAY2)

    assert state(wp) == "complete"


# --- a trigger undone --------------------------------------------------------------------------

def test_a_trigger_undone_before_anyone_acted_puts_the_progress_back(wp: Waypoint) -> None:
    setup(wp, request(ON_ACTIVE))
    change(wp, "status=Active", at=DAY1)

    result = change(wp, "status=Applied", at=DAY2)

    assert moves(result) == [("submitted", "open")]
    assert state(wp) == "open"
    assert inbox(wp, ADVISOR) == []
    assert history(wp)[-1] == ("ProgressTriggerUndone", "submitted", "open", "system")
    assert wp.show(SAM)["deposit"]["approvals"] == []


def test_a_started_progress_goes_back_to_started(wp: Waypoint) -> None:
    setup(wp, request(ON_HIGH))
    act(wp, "start", SAM, at=DAY1)
    change(wp, "attr.priority=High", at=DAY2)
    assert state(wp) == "submitted"

    change(wp, "attr.priority=", at=DAY3)

    assert state(wp) == "started"


def test_a_reopened_previous_milestone_puts_the_next_back_to_waiting(wp: Waypoint) -> None:
    setup(wp, INTERVIEW.replace('["request"]', '["staff"]') + "\n"
          + request(ON_PREVIOUS, extra='after = ["interview"]\n'))
    act(wp, "complete", ADMIN, at=DAY1, milestone="interview")
    assert state(wp) == "submitted"

    act(wp, "reopen", ADMIN, at=DAY2, milestone="interview")

    assert state(wp) == "locked"
    assert history(wp)[-1][:3] == ("ProgressTriggerUndone", "submitted", "locked")

    act(wp, "complete", ADMIN, at=DAY3, milestone="interview")

    assert state(wp) == "submitted", "completed again: submitted again"


def test_the_progress_stays_submitted_while_another_trigger_holds(wp: Waypoint) -> None:
    setup(wp, request('submit_when = [{ status = "Active" }, '
                      '{ attribute = "priority", values = ["High"] }]\n'))
    change(wp, "status=Active", "attr.priority=High", at=DAY1)

    change(wp, "status=Applied", at=DAY2)
    assert state(wp) == "submitted", "priority is still High"

    change(wp, "attr.priority=Low", at=DAY3)
    assert state(wp) == "open"


def test_a_persons_own_submission_is_not_taken_back_by_a_trigger(wp: Waypoint) -> None:
    setup(wp, request('submit_when = ["person", { status = "Active" }]\n'))
    act(wp, "submit", SAM, at=DAY1)

    change(wp, "status=Active", at=DAY2)
    change(wp, "status=Applied", at=DAY3)

    assert state(wp) == "submitted"


# --- after an approver acted --------------------------------------------------------------------

TWO_LEVELS = ('levels = [{ roles = ["hrbp"] }, { roles = ["finance"] }]\n')


def test_after_an_approver_acted_the_progress_stays_submitted(wp: Waypoint) -> None:
    setup(wp, request(ON_ACTIVE + TWO_LEVELS))
    change(wp, "status=Active", at=DAY1)
    act(wp, "approve", HR, at=DAY2)

    result = change(wp, "status=Applied", at=DAY3)

    assert moves(result) == []
    assert state(wp) == "submitted"
    assert [a["by"] for a in wp.show(SAM)["deposit"]["approvals"]] == [HR]
    assert inbox(wp, FINANCE) == [(SAM, "deposit", 2)]


def test_a_denied_request_stays_denied_and_a_new_trigger_resubmits_it(wp: Waypoint) -> None:
    setup(wp, request(ON_ACTIVE))
    change(wp, "status=Active", at=DAY1)
    act(wp, "deny", ADVISOR, at=DAY2)

    change(wp, "status=Applied", at=DAY3)
    assert state(wp) == "denied"

    change(wp, "status=Active", at=DAY4)

    assert state(wp) == "submitted"
    assert inbox(wp, ADVISOR) == [(SAM, "deposit", 1)]
    assert [a["decision"] for a in wp.show(SAM)["deposit"]["approvals"]] == ["denied"], \
        "the earlier round's denial is kept in the record"
