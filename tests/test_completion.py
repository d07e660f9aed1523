"""How a milestone gets done, and what doing it sets off.

Completion by the participant, by staff and by steps; conditional skips; bypass with a
reason; reopening; the on-completion actions and what happens when one cannot be carried
out; blocked pipeline statuses; and the write path every acting verb shares. Each test
drives the command line the way a coordinator's script would and reads back what they would
see: `show`, `outbox`, `alerts`, exit codes and messages.
"""

from __future__ import annotations

import json
from typing import Any

from conftest import ADMIN, Waypoint

ADVISOR = "avery@example.edu"
FINANCE = "lee@example.edu"

HEAD = """\
[program]
name = "Completion rules"
timezone = "America/Chicago"

[[staff]]
email = "avery@example.edu"
name = "Avery Advisor"
roles = ["advisor"]
[[staff]]
email = "lee@example.edu"
name = "Lee Finance"
roles = ["finance"]

[[cohorts]]
key = "fall"
name = "Fall 2026"
[[cohorts]]
key = "spring"
name = "Spring 2027"

[[templates]]
key = "congrats"
subject = "Well done, {{ person.name }}"
body = "You completed {{ milestone.title }}."
[[templates]]
key = "broken"
subject = "Well done, {{ person.name }}"
body = "Your advisor {{ advisor.name }} will be in touch."

[[campaigns]]
key = "welcome"
steps = [{ after = "0d", template = "congrats" }]
[[campaigns]]
key = "nudges"
steps = [{ after = "7d", template = "congrats" }]
"""

SAM = "s1"


def program(wp: Waypoint, milestones: str) -> None:
    """The common head (staff, cohorts, templates, campaigns) and these milestones."""
    wp.apply(HEAD + "\n" + milestones)


def sam(wp: Waypoint, cohort: str = "fall", **attrs: str) -> None:
    """Sam Student joins `cohort`, with these attributes."""
    columns = "".join(f",attr.{name}" for name in attrs)
    values = "".join(f",{value}" for value in attrs.values())
    wp.people(f"id,name,email,cohort{columns}\n"
              f"{SAM},Sam Student,sam@example.edu,{cohort}{values}\n")


def person(wp: Waypoint, who: str = SAM) -> dict[str, Any]:
    return wp.json("show", who)["person"]


def entries(result: dict[str, Any], **fields: Any) -> list[dict[str, Any]]:
    """The change entries of a command's result that carry all these fields."""
    assert result["ok"] is True
    return [ch for ch in result["changes"] if all(ch.get(k) == v for k, v in fields.items())]


def alerts(wp: Waypoint, kind: str | None = None) -> list[dict[str, Any]]:
    found = wp.json("alerts")["alerts"]
    return [a for a in found if kind is None or a["kind"] == kind]


def outbox(wp: Waypoint) -> list[dict[str, Any]]:
    return wp.json("outbox")["messages"]


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {text!r}"
    return lines[0]


# --- 1. completion by self, by staff, by steps -----------------------------------------------

SELF_AND_STAFF = """\
[[milestones]]
key = "check-in"
title = "First-week check-in"
cohorts = ["fall"]
complete_by = ["self"]

[[milestones]]
key = "id-check"
title = "Identity check"
cohorts = ["fall"]
complete_by = ["staff"]
"""


def test_a_participant_may_complete_a_self_completed_milestone(wp: Waypoint) -> None:
    program(wp, SELF_AND_STAFF)
    sam(wp)
    assert wp.state(SAM, "check-in") == "open"

    result = wp.json("complete", SAM, "check-in", "--by", SAM)

    assert entries(result, kind="progress", person=SAM, milestone="check-in", to="complete")
    shown = wp.show(SAM)["check-in"]
    assert shown["state"] == "complete"
    assert shown["completed_at"] is not None


def test_a_participant_may_complete_by_their_email_too(wp: Waypoint) -> None:
    program(wp, SELF_AND_STAFF)
    sam(wp)

    wp.json("complete", SAM, "check-in", "--by", "sam@example.edu")

    assert wp.state(SAM, "check-in") == "complete"


def test_a_participant_may_not_complete_a_milestone_only_staff_complete(wp: Waypoint) -> None:
    program(wp, SELF_AND_STAFF)
    sam(wp)
    before = wp.show(SAM)

    error = wp.refused("complete", SAM, "id-check", "--by", SAM)

    assert "Identity check" in one_line(error)
    assert "staff" in error
    assert wp.show(SAM) == before


def test_a_participant_may_not_complete_another_participants_milestone(wp: Waypoint) -> None:
    program(wp, SELF_AND_STAFF)
    wp.people("id,name,email,cohort\n"
              "s1,Sam Student,sam@example.edu,fall\n"
              "s2,Robin Roe,robin@example.edu,fall\n")

    error = wp.refused("complete", "s1", "check-in", "--by", "s2")

    assert "own" in one_line(error)
    assert wp.state("s1", "check-in") == "open"


def test_staff_may_complete_a_staff_completed_milestone(wp: Waypoint) -> None:
    program(wp, SELF_AND_STAFF)
    sam(wp)

    result = wp.json("complete", SAM, "id-check", "--by", ADVISOR, "--note", "passport seen")

    assert entries(result, milestone="id-check", to="complete")
    assert wp.state(SAM, "id-check") == "complete"


def test_staff_may_always_complete_by_hand(wp: Waypoint) -> None:
    program(wp, SELF_AND_STAFF)
    sam(wp)

    wp.json("complete", SAM, "check-in", "--by", ADVISOR)

    assert wp.state(SAM, "check-in") == "complete"


def test_completing_a_complete_milestone_again_is_refused(wp: Waypoint) -> None:
    program(wp, SELF_AND_STAFF)
    sam(wp)
    wp.json("complete", SAM, "id-check")

    error = wp.refused("complete", SAM, "id-check")

    assert "already complete" in one_line(error)


STEPS = """\
[[milestones]]
key = "paperwork"
title = "Enrollment paperwork"
cohorts = ["fall"]
complete_by = ["steps"]
steps = [{ title = "Upload ID" },
         { title = "Met a mentor", kind = "achievement", required = false },
         { title = "Sign honor code", required = true }]

[[milestones]]
key = "tour"
title = "Campus tour"
cohorts = ["fall"]
complete_by = ["staff"]
steps = [{ title = "Library" }, { title = "Labs" }]
"""


def test_ticking_every_required_step_completes_the_milestone(wp: Waypoint) -> None:
    program(wp, STEPS)
    sam(wp)

    first = wp.json("step", SAM, "paperwork", "Upload ID")
    assert entries(first, kind="step", milestone="paperwork", step="Upload ID")
    shown = wp.show(SAM)["paperwork"]
    assert shown["state"] == "started"
    assert [s["done"] for s in shown["steps"]] == [True, False, False]

    last = wp.json("step", SAM, "paperwork", "3")  # by its 1-based number

    assert entries(last, kind="step", step="Sign honor code")
    assert entries(last, milestone="paperwork", to="complete")
    shown = wp.show(SAM)["paperwork"]
    assert shown["state"] == "complete"
    assert [s["done"] for s in shown["steps"]] == [True, False, True]  # the optional one not


def test_optional_steps_alone_do_not_complete_the_milestone(wp: Waypoint) -> None:
    program(wp, STEPS)
    sam(wp)

    wp.json("step", SAM, "paperwork", "met a mentor")  # titles match whatever the case
    wp.json("step", SAM, "paperwork", "1")

    assert wp.state(SAM, "paperwork") == "started"


def test_a_participant_may_tick_their_own_steps(wp: Waypoint) -> None:
    program(wp, STEPS)
    sam(wp)

    wp.json("step", SAM, "paperwork", "Upload ID", "--by", SAM)
    wp.json("step", SAM, "paperwork", "Sign honor code", "--by", "sam@example.edu")

    assert wp.state(SAM, "paperwork") == "complete"


def test_ticking_steps_of_a_milestone_that_does_not_complete_by_steps_leaves_it_to_staff(
    wp: Waypoint,
) -> None:
    program(wp, STEPS)
    sam(wp)

    wp.json("step", SAM, "tour", "Library")
    wp.json("step", SAM, "tour", "Labs")

    assert wp.state(SAM, "tour") == "started"
    wp.json("complete", SAM, "tour", "--by", ADVISOR)
    assert wp.state(SAM, "tour") == "complete"


def test_an_unknown_step_is_refused_with_the_steps_it_has(wp: Waypoint) -> None:
    program(wp, STEPS)
    sam(wp)

    error = one_line(wp.refused("step", SAM, "paperwork", "Upload passport"))

    assert "Upload passport" in error
    assert "1. Upload ID" in error and "3. Sign honor code" in error
    assert wp.state(SAM, "paperwork") == "open"


def test_ticking_a_step_twice_is_refused(wp: Waypoint) -> None:
    program(wp, STEPS)
    sam(wp)
    wp.json("step", SAM, "paperwork", "Upload ID")
    before = wp.show(SAM)

    error = wp.refused("step", SAM, "paperwork", "1")

    assert "already ticked" in one_line(error)
    assert wp.show(SAM) == before


# --- 2. skip when attributes match --------------------------------------------------------------

SKIP = """\
[[milestones]]
key = "placement"
title = "Placement test"
cohorts = ["fall"]
skip_when = { source = ["internal", "referral"] }

[[milestones]]
key = "advising"
title = "First advising meeting"
cohorts = ["fall"]
after = ["placement"]
"""


def test_a_milestone_is_skipped_on_assignment_when_the_attributes_match(wp: Waypoint) -> None:
    program(wp, SKIP)
    wp.people("id,name,email,cohort,attr.source\n"
              "s1,Sam Student,sam@example.edu,fall,internal\n"
              "s2,Robin Roe,robin@example.edu,fall,web\n")

    assert wp.state("s1", "placement") == "skipped"
    assert wp.state("s2", "placement") == "open"


def test_changing_the_attribute_re_evaluates_the_skip(wp: Waypoint) -> None:
    program(wp, SKIP)
    sam(wp, source="web")
    assert wp.state(SAM, "placement") == "open"

    result = wp.json("set", SAM, "attr.source=referral")

    assert entries(result, kind="person", field="attr.source", to="referral")
    assert entries(result, milestone="placement", **{"from": "open", "to": "skipped"})
    assert wp.state(SAM, "placement") == "skipped"

    result = wp.json("set", SAM, "attr.source=web")

    assert entries(result, milestone="placement", **{"from": "skipped", "to": "open"})
    assert wp.state(SAM, "placement") == "open"


def test_a_skipped_milestone_counts_as_done_for_its_children(wp: Waypoint) -> None:
    program(wp, SKIP)
    wp.people("id,name,email,cohort,attr.source\n"
              "s1,Sam Student,sam@example.edu,fall,internal\n"
              "s2,Robin Roe,robin@example.edu,fall,web\n")
    assert wp.state("s1", "advising") == "open"
    assert wp.state("s2", "advising") == "locked"

    wp.json("set", "s2", "attr.source=internal")
    assert wp.state("s2", "advising") == "open"

    wp.json("set", "s2", "attr.source=web")  # the skip undone before anyone acted
    assert wp.state("s2", "advising") == "locked"


def test_a_completed_milestone_stays_complete_when_its_skip_attributes_later_match(
    wp: Waypoint,
) -> None:
    program(wp, SKIP)
    sam(wp, source="web")
    wp.json("complete", SAM, "placement")

    wp.json("set", SAM, "attr.source=internal")

    assert wp.state(SAM, "placement") == "complete"


# --- 3. bypass by permitted roles, with a reason ------------------------------------------------

BYPASS = """\
[[milestones]]
key = "deposit"
title = "Enrollment deposit"
cohorts = ["fall"]
bypass_roles = ["finance"]

[[milestones]]
key = "immunization"
title = "Immunization record"
cohorts = ["fall"]

[[milestones]]
key = "housing"
title = "Housing form"
cohorts = ["fall"]
after = ["deposit"]
"""


def test_a_permitted_role_may_bypass_with_a_reason(wp: Waypoint) -> None:
    program(wp, BYPASS)
    sam(wp)

    result = wp.json("bypass", SAM, "deposit", "--by", FINANCE, "--note", "fee waiver granted")

    assert entries(result, milestone="deposit", **{"from": "open", "to": "skipped"})
    shown = wp.show(SAM)
    assert shown["deposit"]["state"] == "skipped"
    assert shown["housing"]["state"] == "open"  # a bypass counts as done for children


def test_an_admin_may_bypass_any_bypassable_milestone(wp: Waypoint) -> None:
    program(wp, BYPASS)
    sam(wp)

    wp.json("bypass", SAM, "deposit", "--by", ADMIN, "--note", "board decision")

    assert wp.state(SAM, "deposit") == "skipped"


def test_staff_without_a_bypass_role_are_refused(wp: Waypoint) -> None:
    program(wp, BYPASS)
    sam(wp)
    before = wp.show(SAM)

    error = one_line(wp.refused("bypass", SAM, "deposit", "--by", ADVISOR, "--note", "hardship"))

    assert "finance" in error and "Enrollment deposit" in error
    assert wp.show(SAM) == before


def test_a_participant_may_not_bypass_their_own_milestone(wp: Waypoint) -> None:
    program(wp, BYPASS)
    sam(wp)

    wp.refused("bypass", SAM, "deposit", "--by", SAM, "--note", "I paid elsewhere")

    assert wp.state(SAM, "deposit") == "open"


def test_a_bypass_without_a_reason_is_refused(wp: Waypoint) -> None:
    program(wp, BYPASS)
    sam(wp)

    error = one_line(wp.refused("bypass", SAM, "deposit", "--by", FINANCE))
    assert "reason" in error and "--note" in error
    blank = one_line(wp.refused("bypass", SAM, "deposit", "--by", FINANCE, "--note", "  "))
    assert "reason" in blank

    assert wp.state(SAM, "deposit") == "open"
    assert wp.state(SAM, "housing") == "locked"


def test_a_mandatory_milestone_cannot_be_bypassed(wp: Waypoint) -> None:
    program(wp, BYPASS)
    sam(wp)

    error = one_line(wp.refused("bypass", SAM, "immunization", "--note", "admin says so"))

    assert "Immunization record" in error and "mandatory" in error
    assert wp.state(SAM, "immunization") == "open"
    wp.refused("skip", SAM, "immunization")
    assert wp.state(SAM, "immunization") == "open"


# --- 4. reopen ----------------------------------------------------------------------------------

REOPEN = """\
[[milestones]]
key = "application"
title = "Application"
cohorts = ["fall"]

[[milestones]]
key = "interview"
title = "Interview"
cohorts = ["fall"]
after = ["application"]

[[milestones]]
key = "essay"
title = "Essay"
cohorts = ["fall"]
after = ["application"]
"""


def test_a_reopened_milestone_goes_back_and_alerts_staff_at_once(wp: Waypoint) -> None:
    program(wp, REOPEN)
    sam(wp)
    wp.json("complete", SAM, "application", "--at", "2026-09-01T10:00")
    assert alerts(wp, "regression") == []

    result = wp.json("reopen", SAM, "application", "--note", "transcript missing",
                     "--at", "2026-09-02T10:00")

    assert entries(result, milestone="application", **{"from": "complete", "to": "open"})
    shown = wp.show(SAM)["application"]
    assert shown["state"] == "open"
    assert shown["completed_at"] is None
    [alert] = alerts(wp, "regression")  # at once: no scheduler run needed
    assert alert["person"] == SAM and alert["milestone"] == "application"
    assert alert["at"].startswith("2026-09-02")


def test_a_child_opened_by_a_reopened_milestone_locks_again_unless_acted_on(
    wp: Waypoint,
) -> None:
    program(wp, REOPEN)
    sam(wp)
    wp.json("complete", SAM, "application")
    assert wp.state(SAM, "interview") == "open"
    wp.json("start", SAM, "essay", "--by", SAM)

    wp.json("reopen", SAM, "application", "--note", "wrong term")

    shown = wp.show(SAM)
    assert shown["interview"]["state"] == "locked"
    assert "Application" in shown["interview"]["locked_reason"]
    assert shown["essay"]["state"] == "started"  # someone acted on it: it stays


def test_reopening_what_is_not_complete_is_refused(wp: Waypoint) -> None:
    program(wp, REOPEN)
    sam(wp)

    error = one_line(wp.refused("reopen", SAM, "application"))

    assert "nothing to reopen" in error
    assert alerts(wp) == []


def test_a_participant_may_not_reopen(wp: Waypoint) -> None:
    program(wp, REOPEN)
    sam(wp)
    wp.json("complete", SAM, "application")

    wp.refused("reopen", SAM, "application", "--by", SAM)

    assert wp.state(SAM, "application") == "complete"
    assert alerts(wp, "regression") == []


# --- 5. on-completion actions -------------------------------------------------------------------

MOVE = """\
[[milestones]]
key = "bridge"
title = "Bridge program"
cohorts = ["fall"]
[milestones.on_complete]
move_to = "spring"

[[milestones]]
key = "fall-only"
title = "Fall orientation"
cohorts = ["fall"]

[[milestones]]
key = "spring-only"
title = "Spring orientation"
cohorts = ["spring"]
"""


def test_completion_moves_the_participant_to_another_cohort(wp: Waypoint) -> None:
    program(wp, MOVE)
    sam(wp)

    result = wp.json("complete", SAM, "bridge")

    assert entries(result, kind="membership", cohort="fall", joined=False)
    assert entries(result, kind="membership", cohort="spring", joined=True)
    assert entries(result, milestone="spring-only", to="open")
    assert person(wp)["cohorts"] == ["spring"]
    assert set(wp.show(SAM)) == {"spring-only"}  # the fall milestones go with the fall cohort


def test_completion_by_the_participant_sets_off_the_actions_too(wp: Waypoint) -> None:
    program(wp, MOVE.replace('cohorts = ["fall"]\n[milestones', 'cohorts = ["fall"]\n'
                             'complete_by = ["self"]\n[milestones', 1))
    sam(wp)

    wp.json("complete", SAM, "bridge", "--by", SAM)

    assert person(wp)["cohorts"] == ["spring"]


def test_completion_removes_the_participant_from_the_cohort(wp: Waypoint) -> None:
    program(wp, """\
[[milestones]]
key = "exit-interview"
title = "Exit interview"
cohorts = ["fall"]
[milestones.on_complete]
remove_from_cohort = true

[[milestones]]
key = "spring-only"
title = "Spring orientation"
cohorts = ["spring"]
""")
    sam(wp)
    wp.json("enroll", SAM, "spring")

    result = wp.json("complete", SAM, "exit-interview")

    assert entries(result, kind="membership", cohort="fall", joined=False)
    assert not entries(result, kind="membership", cohort="spring")
    assert person(wp)["cohorts"] == ["spring"]
    assert set(wp.show(SAM)) == {"spring-only"}


def test_completion_sets_the_pipeline_status(wp: Waypoint) -> None:
    program(wp, """\
[[milestones]]
key = "offer"
title = "Accept the offer"
cohorts = ["fall"]
[milestones.on_complete]
pipeline_status = "Admitted"
""")
    wp.people("id,name,email,cohort,status\ns1,Sam Student,sam@example.edu,fall,Applied\n")

    result = wp.json("complete", SAM, "offer")

    assert entries(result, kind="person", field="status", to="Admitted")
    assert person(wp)["status"] == "Admitted"


CAMPAIGNS = """\
[[milestones]]
key = "apply"
title = "Apply"
cohorts = ["fall"]
[milestones.on_complete]
start_campaign = "nudges"

[[milestones]]
key = "admitted"
title = "Admitted"
cohorts = ["fall"]
[milestones.on_complete]
start_campaign = "welcome"
stop_campaigns = ["nudges"]
"""


def test_completion_starts_and_stops_campaigns(wp: Waypoint) -> None:
    program(wp, CAMPAIGNS)
    sam(wp)

    started = wp.json("complete", SAM, "apply")
    assert entries(started, kind="campaign", person=SAM, campaign="nudges", started=True)

    switched = wp.json("complete", SAM, "admitted")

    assert entries(switched, kind="campaign", person=SAM, campaign="nudges", started=False)
    assert entries(switched, kind="campaign", person=SAM, campaign="welcome", started=True)
    assert len(entries(switched, kind="campaign")) == 2


def test_completion_queues_a_completion_mail_from_its_template(wp: Waypoint) -> None:
    program(wp, """\
[[milestones]]
key = "orientation"
title = "Complete orientation form"
cohorts = ["fall"]
[milestones.on_complete]
email_template = "congrats"
""")
    sam(wp)
    assert outbox(wp) == []

    result = wp.json("complete", SAM, "orientation", "--at", "2026-09-01T10:00")

    assert entries(result, kind="mail", to="sam@example.edu", subject="Well done, Sam Student")
    [mail] = outbox(wp)
    assert mail["to"] == "sam@example.edu"
    assert mail["kind"] == "completion"
    assert mail["subject"] == "Well done, Sam Student"
    assert mail["status"] == "queued"
    assert mail["created_at"].startswith("2026-09-01")


# --- 6. an action that cannot be carried out ----------------------------------------------------


def test_a_completion_mail_that_cannot_be_rendered_raises_a_staff_alert(wp: Waypoint) -> None:
    program(wp, """\
[[milestones]]
key = "orientation"
title = "Complete orientation form"
cohorts = ["fall"]
[milestones.on_complete]
email_template = "broken"
pipeline_status = "Oriented"
""")
    sam(wp)

    code, out, err = wp.run("--json", "complete", SAM, "orientation")

    assert code == 0, err
    result = json.loads(out)
    assert entries(result, milestone="orientation", to="complete")
    assert not entries(result, kind="mail")
    assert wp.state(SAM, "orientation") == "complete"  # the completion stands
    assert person(wp)["status"] == "Oriented"  # and so do the actions that could be done
    assert outbox(wp) == []
    [alert] = [a for a in alerts(wp) if a["kind"] != "regression"]
    assert alert["person"] == SAM and alert["milestone"] == "orientation"
    assert "broken" in alert["message"]


def test_a_completion_mail_to_a_participant_without_email_raises_a_staff_alert(
    wp: Waypoint,
) -> None:
    program(wp, """\
[[milestones]]
key = "orientation"
title = "Complete orientation form"
cohorts = ["fall"]
[milestones.on_complete]
email_template = "congrats"
""")
    wp.people("id,name,email,cohort\ns1,Sam Student,,fall\n")

    wp.json("complete", SAM, "orientation")

    assert wp.state(SAM, "orientation") == "complete"
    assert outbox(wp) == []
    [alert] = alerts(wp)
    assert alert["person"] == SAM and "email" in alert["message"]


def test_a_status_the_completion_may_not_set_yet_raises_a_staff_alert(wp: Waypoint) -> None:
    program(wp, """\
[[milestones]]
key = "orientation"
title = "Complete orientation form"
cohorts = ["fall"]
[milestones.on_complete]
pipeline_status = "Enrolled"
email_template = "congrats"

[[milestones]]
key = "deposit"
title = "Enrollment deposit"
cohorts = ["fall"]
blocks_statuses = ["Enrolled"]
""")
    wp.people("id,name,email,cohort,status\ns1,Sam Student,sam@example.edu,fall,Admitted\n")

    result = wp.json("complete", SAM, "orientation")

    assert not entries(result, kind="person", field="status")
    assert wp.state(SAM, "orientation") == "complete"
    assert person(wp)["status"] == "Admitted"
    assert [m["kind"] for m in outbox(wp)] == ["completion"]  # the other actions still ran
    [alert] = alerts(wp)
    assert alert["milestone"] == "orientation"
    assert "Enrollment deposit" in alert["message"]


# --- 7. blocks_statuses -------------------------------------------------------------------------

BLOCKS = """\
[[milestones]]
key = "deposit"
title = "Enrollment deposit"
cohorts = ["fall"]
blocks_statuses = ["Enrolled", "Active"]
"""


def test_a_status_blocked_by_an_incomplete_milestone_is_refused_naming_it(wp: Waypoint) -> None:
    program(wp, BLOCKS)
    wp.people("id,name,email,cohort,status\ns1,Sam Student,sam@example.edu,fall,Admitted\n")

    error = one_line(wp.refused("set", SAM, "status=Enrolled"))  # the admin is bound too

    assert "Enrollment deposit" in error and "Enrolled" in error
    assert person(wp)["status"] == "Admitted"
    wp.json("set", SAM, "status=Deferred")  # statuses not listed are free
    assert person(wp)["status"] == "Deferred"


def test_a_blocked_status_may_be_set_once_the_milestone_is_complete(wp: Waypoint) -> None:
    program(wp, BLOCKS)
    sam(wp)
    wp.json("complete", SAM, "deposit")

    result = wp.json("set", SAM, "status=Enrolled")

    assert entries(result, kind="person", field="status", to="Enrolled")
    assert person(wp)["status"] == "Enrolled"


def test_an_import_setting_a_blocked_status_is_refused(wp: Waypoint) -> None:
    program(wp, BLOCKS)
    sam(wp)

    code, _, err = wp.run("--json", "import",
                          str(wp.file("id,name,email,status\ns1,Sam Student,sam@example.edu,"
                                      "Active\n", ".csv")))

    assert code == 1
    assert "Enrollment deposit" in err
    assert person(wp)["status"] is None


# --- 8. the write path --------------------------------------------------------------------------

WRITE = """\
[[milestones]]
key = "orientation"
title = "Orientation"
cohorts = ["fall"]
due = { after_assignment = "14d" }
steps = [{ title = "Watch the video" }, { title = "Take the quiz" }]
complete_by = ["steps", "staff"]

[[milestones]]
key = "deposit"
title = "Enrollment deposit"
cohorts = ["fall"]
bypass_roles = ["finance"]
blocks_statuses = ["Enrolled"]

[[milestones]]
key = "advising"
title = "Advising"
cohorts = ["fall"]
skip_when = { source = ["internal"] }

[[milestones]]
key = "spring-only"
title = "Spring orientation"
cohorts = ["spring"]
"""


def test_every_acting_verb_reports_what_changed(wp: Waypoint) -> None:
    program(wp, WRITE)
    sam(wp)
    wp.json("set", SAM, "status=Admitted")

    def changed(*argv: str, **fields: Any) -> None:
        result = wp.json(*argv)
        assert set(result) == {"ok", "changes"}
        assert entries(result, **fields), f"{argv}: no change with {fields} in {result}"

    changed("start", SAM, "orientation", person=SAM, milestone="orientation", to="started")
    changed("step", SAM, "orientation", "1", kind="step", milestone="orientation")
    changed("extend", SAM, "orientation", "--until", "2099-01-31",
            milestone="orientation", due_to="2099-01-31")
    changed("complete", SAM, "orientation", milestone="orientation", to="complete")
    changed("reopen", SAM, "orientation", "--note", "quiz lost",
            milestone="orientation", **{"from": "complete", "to": "open"})
    changed("skip", SAM, "deposit", "--by", FINANCE, milestone="deposit", to="skipped")
    changed("reopen", SAM, "deposit", milestone="deposit", to="open")
    changed("bypass", SAM, "deposit", "--by", FINANCE, "--note", "waived",
            milestone="deposit", to="skipped")
    changed("set", SAM, "status=Enrolled", kind="person", field="status", to="Enrolled")
    changed("set", SAM, "attr.source=internal", milestone="advising", to="skipped")
    changed("enroll", SAM, "spring", kind="membership", cohort="spring", joined=True)
    changed("unenroll", SAM, "spring", kind="membership", cohort="spring", joined=False)


def test_a_command_that_changes_nothing_says_so_with_an_empty_list(wp: Waypoint) -> None:
    program(wp, WRITE)
    sam(wp, source="web")

    assert wp.json("set", SAM, "attr.source=web") == {"ok": True, "changes": []}


def test_a_refused_command_says_why_on_one_line_and_changes_nothing(wp: Waypoint) -> None:
    program(wp, WRITE)
    sam(wp)
    wp.json("step", SAM, "orientation", "1")
    before = wp.json("show", SAM)
    mail_before, alerts_before = outbox(wp), alerts(wp)

    code, out, err = wp.run("--json", "bypass", SAM, "deposit", "--by", ADVISOR, "--note", "x")

    assert code == 1
    payload = json.loads(out)
    assert payload["ok"] is False and payload["error"]
    assert one_line(err).endswith(payload["error"])
    assert wp.json("show", SAM) == before
    assert (outbox(wp), alerts(wp)) == (mail_before, alerts_before)


def test_a_refusal_part_way_through_a_command_keeps_none_of_it(wp: Waypoint) -> None:
    program(wp, WRITE)
    sam(wp, source="web")
    before = wp.json("show", SAM)

    # the attribute would skip 'advising'; the bad impact stage refuses the whole command
    error = one_line(wp.refused("set", SAM, "attr.source=internal", "impact.savings.guess=5"))

    assert "guess" in error
    assert wp.json("show", SAM) == before
    assert wp.state(SAM, "advising") == "open"


def test_a_refusal_without_json_prints_the_reason_and_nothing_else(wp: Waypoint) -> None:
    program(wp, WRITE)
    sam(wp)

    code, out, err = wp.run("set", SAM, "status=Enrolled")

    assert code == 1
    assert out == ""
    assert "Enrollment deposit" in one_line(err)


def test_wrong_usage_exits_2(wp: Waypoint) -> None:
    program(wp, WRITE)
    sam(wp)
    before = wp.json("show", SAM)

    for argv in (
        ("complete", SAM),  # no milestone
        ("step", SAM, "orientation"),  # no step
        ("bypass", SAM, "deposit", "--reason", "waived"),  # the reason goes in --note
        ("extend", SAM, "orientation"),  # no --until
        ("set", SAM),  # nothing to set
        ("complete", SAM, "orientation", "--bogus"),
    ):
        code, _, err = wp.run(*argv)
        assert code == 2, f"{argv} exited {code}"
        assert err, argv

    assert wp.json("show", SAM) == before


def test_an_unknown_person_or_milestone_is_named_in_the_refusal(wp: Waypoint) -> None:
    program(wp, WRITE)
    sam(wp)

    assert "nobody@example.edu" in one_line(wp.refused("complete", "nobody@example.edu",
                                                       "orientation"))
    assert "s404" in one_line(wp.refused("step", "s404", "orientation", "1"))
    assert "orientaton" in one_line(wp.refused("complete", SAM, "orientaton"))
    assert "Spring orientation" in one_line(wp.refused("complete", SAM, "spring-only"))
    assert "stranger@example.edu" in one_line(
        wp.refused("complete", SAM, "orientation", "--by", "stranger@example.edu"))
    assert wp.state(SAM, "orientation") == "open"
