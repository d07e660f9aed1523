"""Optional milestones added by hand, and stage gate reviews."""

from __future__ import annotations

PROGRAM = """
[program]
name = "Student Success"
timezone = "America/Chicago"

[[staff]]
email = "mo@example.edu"
name = "Mo Manager"
roles = ["manager"]

[[staff]]
email = "ava@example.edu"
name = "Ava Advisor"
roles = ["advisor"]

[[cohorts]]
key = "fall"
name = "Fall 2026"

[[cohorts]]
key = "spring"
name = "Spring 2027"

[[gates]]
key = "intake"
name = "Intake"
reviewers = ["manager"]

[[milestones]]
key = "welcome"
title = "Welcome call"
cohorts = ["fall"]
gate = "intake"

[[milestones]]
key = "tutoring"
title = "Tutoring plan"
cohorts = ["fall"]
gate = "intake"

[milestones.optional]
added_by = ["manager"]

[[milestones]]
key = "housing"
title = "Housing form"
cohorts = ["spring"]

[milestones.optional]
added_by = ["manager"]
"""


def enrolled(wp) -> None:
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")


def test_an_optional_milestone_is_not_given_on_joining(wp):
    enrolled(wp)
    assert set(wp.show("p1")) == {"welcome"}


def test_a_permitted_role_adds_an_optional_milestone_to_one_participant(wp):
    enrolled(wp)
    wp.people("id,name,email,cohort\np2,Sam Roe,sam@example.edu,fall\n")
    payload = wp.json("add", "p1", "tutoring", "--by", "mo@example.edu")
    assert {"kind": "progress", "person": "p1", "milestone": "tutoring", "from": None,
            "to": "open"} in payload["changes"]
    assert wp.state("p1", "tutoring") == "open"
    assert wp.state("p2", "tutoring") is None


def test_a_role_not_permitted_may_not_add_an_optional_milestone(wp):
    enrolled(wp)
    reason = wp.refused("add", "p1", "tutoring", "--by", "ava@example.edu")
    assert "manager" in reason
    assert wp.state("p1", "tutoring") is None


def test_an_optional_milestone_of_another_cohort_cannot_be_added(wp):
    enrolled(wp)
    reason = wp.refused("add", "p1", "housing", "--by", "mo@example.edu")
    assert "none of Pat Lee's cohorts" in reason


def test_adding_a_milestone_twice_or_a_mandatory_one_is_refused(wp):
    enrolled(wp)
    wp.json("add", "p1", "tutoring", "--by", "mo@example.edu")
    assert "already has" in wp.refused("add", "p1", "tutoring", "--by", "mo@example.edu")
    assert "not optional" in wp.refused("add", "p1", "welcome")


def test_a_gate_reviewer_records_a_decision_with_its_readiness_checklist(wp):
    enrolled(wp)
    wp.json("complete", "p1", "welcome")
    payload = wp.json("review", "p1", "intake", "--decision", "go", "--note", "ready",
                      "--by", "mo@example.edu")
    (entry,) = [c for c in payload["changes"] if c["kind"] == "gate_review"]
    assert entry["decision"] == "go"
    assert entry["checklist"] == [
        {"milestone": "welcome", "title": "Welcome call", "state": "complete"}]
    (gate,) = wp.json("gates", "p1")["gates"]
    assert (gate["status"], gate["review"]["decision"], gate["review"]["by"]) == (
        "complete", "go", "mo@example.edu")


def test_only_the_gates_reviewers_may_review_it(wp):
    enrolled(wp)
    reason = wp.refused("review", "p1", "intake", "--decision", "hold",
                        "--by", "ava@example.edu")
    assert "manager" in reason
    assert wp.json("gates", "p1")["gates"][0]["review"] is None


def test_a_gate_decision_is_one_of_go_hold_recycle_stop(wp):
    enrolled(wp)
    code, _, err = wp.run("review", "p1", "intake", "--decision", "maybe")
    assert code == 2 and "maybe" in err


TRIGGERED = PROGRAM.replace('''[milestones.optional]
added_by = ["manager"]

[[milestones]]
key = "housing"''', '''[milestones.optional]
added_by = ["manager"]
attributes = { first_generation = ["yes"] }

[[milestones]]
key = "housing"''')


def test_applying_a_new_optional_trigger_gives_the_milestone_to_members_who_match(wp):
    enrolled(wp)
    wp.people("id,name,email,cohort,attr.first_generation\n"
              "p2,Sam Roe,sam@example.edu,fall,yes\n")
    assert wp.state("p2", "tutoring") is None
    payload = wp.apply(TRIGGERED)
    assert {"kind": "progress", "person": "p2", "milestone": "tutoring", "from": None,
            "to": "open"} in [{k: c.get(k) for k in ("kind", "person", "milestone", "from",
                                                     "to")} for c in payload["changes"]]
    assert wp.state("p2", "tutoring") == "open"
    assert wp.state("p1", "tutoring") is None


SUBMIT_ON_STATUS = PROGRAM + '''
[[milestones]]
key = "deposit"
title = "Deposit paid"
cohorts = ["fall"]
complete_by = ["request"]
'''


def test_applying_a_new_submit_trigger_submits_for_members_it_already_holds_for(wp):
    wp.apply(SUBMIT_ON_STATUS)
    wp.people("id,name,email,cohort,status\np1,Pat Lee,pat@example.edu,fall,Active\n"
              "p2,Sam Roe,sam@example.edu,fall,Applied\n")
    assert wp.state("p1", "deposit") == "open"
    wp.apply(SUBMIT_ON_STATUS + '''
[milestones.approval]
submit_when = [{ status = "Active" }]
''')
    assert (wp.state("p1", "deposit"), wp.state("p2", "deposit")) == ("submitted", "open")
