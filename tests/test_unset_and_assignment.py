"""Unset actions and unapprove (with their cascade), handing an approval to one person, and
approving a selection at once."""

from __future__ import annotations

from datetime import UTC, datetime

from app.models.store import open_store
from app.services.commands import ApproveMany
from app.services.write import execute

PROGRAM = """
[program]
name = "Improvement office"
timezone = "America/Chicago"

[[staff]]
email = "lee@example.edu"
name = "Lee Finance"
roles = ["finance"]

[[staff]]
email = "kim@example.edu"
name = "Kim Finance"
roles = ["finance"]

[[staff]]
email = "sam@example.edu"
name = "Sam Advisor"
roles = ["advisor"]

[[cohorts]]
key = "wave"
name = "Wave Q3"

[[milestones]]
key = "charter"
title = "Project charter"
cohorts = ["wave"]
complete_by = ["request"]
unset_on = ["impact_change", "detail_change"]

[milestones.approval]
approvers = { roles = ["finance"] }

[[milestones]]
key = "savings"
title = "Savings validated"
cohorts = ["wave"]
step = 2
after = ["charter"]
complete_by = ["request"]
unset_on = ["reopen"]

[milestones.approval]
approvers = { roles = ["finance"] }
"""


def approved_both(wp, program: str = PROGRAM) -> None:
    wp.apply(program)
    wp.people("id,name,email,cohort,impact.savings\np1,Pat Lee,pat@example.edu,wave,1000\n")
    for key in ("charter", "savings"):
        wp.json("submit", "p1", key, "--by", "p1")
        wp.json("approve", "p1", key, "--by", "lee@example.edu")
    assert wp.state("p1", "savings") == "complete"


def test_an_impact_change_returns_an_approved_milestone_to_ready_for_approval(wp):
    approved_both(wp)
    wp.json("set", "p1", "impact.savings=2500")
    assert wp.state("p1", "charter") == "submitted"


# The later milestone asks for no unset action of its own: only the cascade moves it.
NO_OWN_UNSET = PROGRAM.replace('unset_on = ["reopen"]\n', "")


def test_unsetting_cascades_to_every_later_milestone(wp):
    approved_both(wp, NO_OWN_UNSET)
    wp.json("set", "p1", "attr.sponsor=Dana")
    assert (wp.state("p1", "charter"), wp.state("p1", "savings")) == ("submitted", "submitted")


def test_each_step_back_is_a_regression_with_an_alert(wp):
    approved_both(wp)
    wp.json("set", "p1", "impact.savings=2500")
    kinds = [(a["kind"], a["milestone"]) for a in wp.json("alerts")["alerts"]]
    assert ("regression", "charter") in kinds and ("regression", "savings") in kinds


def test_an_unset_milestone_needs_its_approvals_again(wp):
    approved_both(wp)
    wp.json("set", "p1", "impact.savings=2500")
    items = wp.json("inbox", "--as", "lee@example.edu")["items"]
    assert {i["milestone"] for i in items} == {"charter", "savings"}
    wp.json("approve", "p1", "charter", "--by", "lee@example.edu")
    assert wp.state("p1", "charter") == "complete"


def test_a_reopen_of_an_earlier_milestone_unsets_those_that_ask_for_it(wp):
    approved_both(wp)
    wp.json("reopen", "p1", "charter")
    assert wp.state("p1", "savings") == "submitted"


def test_a_reopen_leaves_later_milestones_that_do_not_ask_for_it(wp):
    approved_both(wp, NO_OWN_UNSET)
    wp.json("reopen", "p1", "charter")
    assert wp.state("p1", "savings") == "complete"


def test_unapproving_cascades_to_later_milestones(wp):
    approved_both(wp, NO_OWN_UNSET)
    wp.json("unapprove", "p1", "charter", "--by", "lee@example.edu", "--note", "wrong figures")
    assert (wp.state("p1", "charter"), wp.state("p1", "savings")) == ("submitted", "submitted")


def test_only_those_who_approve_may_unapprove(wp):
    approved_both(wp)
    reason = wp.refused("unapprove", "p1", "charter", "--by", "sam@example.edu")
    assert "lee@example.edu" in reason
    assert wp.state("p1", "charter") == "complete"


def test_a_pending_approval_handed_to_one_person_is_theirs_alone(wp):
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,wave\n")
    wp.json("submit", "p1", "charter", "--by", "p1")
    wp.json("assign", "p1", "charter", "--to", "kim@example.edu", "--by", "lee@example.edu")
    assert wp.json("inbox", "--as", "lee@example.edu")["items"] == []
    assert len(wp.json("inbox", "--as", "kim@example.edu")["items"]) == 1
    assert "kim@example.edu" in wp.refused("approve", "p1", "charter", "--by", "lee@example.edu")
    wp.json("approve", "p1", "charter", "--by", "kim@example.edu")
    assert wp.state("p1", "charter") == "complete"


def test_the_person_handed_an_approval_is_told_by_mail(wp):
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,wave\n")
    wp.json("submit", "p1", "charter", "--by", "p1")
    wp.json("assign", "p1", "charter", "--to", "kim@example.edu", "--by", "lee@example.edu")
    (mail,) = wp.json("outbox")["messages"]
    assert (mail["to"], mail["status"]) == ("kim@example.edu", "queued")
    assert "Project charter" in mail["subject"] and "Pat Lee" in mail["subject"]


def test_an_approval_cannot_be_handed_to_someone_not_eligible(wp):
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,wave\n")
    wp.json("submit", "p1", "charter", "--by", "p1")
    reason = wp.refused("assign", "p1", "charter", "--to", "sam@example.edu")
    assert "sam@example.edu may not approve" in reason


def selection(wp, *people: str) -> None:
    wp.apply(PROGRAM)
    rows = "".join(f"{p},Person {p},{p}@example.edu,wave\n" for p in people)
    wp.people("id,name,email,cohort\n" + rows)
    for person in people:
        wp.json("submit", person, "charter", "--by", person)


def test_a_selection_from_the_inbox_is_approved_in_one_command(wp):
    selection(wp, "p1", "p2", "p3")
    store = open_store(wp.db)
    result = execute(store, ApproveMany(at=datetime.now(UTC), by="lee@example.edu",
                                        items=(("p1", "charter"), ("p2", "charter"))))
    store.close()
    assert result.ok, result.error
    assert [wp.state(p, "charter") for p in ("p1", "p2", "p3")] == [
        "complete", "complete", "submitted"]


def test_a_selection_with_one_that_cannot_be_approved_approves_none(wp):
    selection(wp, "p1", "p2")
    wp.json("approve", "p1", "charter", "--by", "lee@example.edu")
    store = open_store(wp.db)
    result = execute(store, ApproveMany(at=datetime.now(UTC), by="kim@example.edu",
                                        items=(("p1", "charter"), ("p2", "charter"))))
    store.close()
    assert not result.ok and "p1 · charter" in (result.error or "")
    assert wp.state("p2", "charter") == "submitted"


def test_a_selection_whose_last_request_cannot_be_approved_leaves_the_first_pending(wp):
    selection(wp, "p1", "p2")
    wp.json("approve", "p1", "charter", "--by", "lee@example.edu")
    store = open_store(wp.db)
    result = execute(store, ApproveMany(at=datetime.now(UTC), by="kim@example.edu",
                                        items=(("p2", "charter"), ("p1", "charter"))))
    store.close()
    assert not result.ok and "p1 · charter" in (result.error or "")
    assert wp.state("p2", "charter") == "submitted"
    assert wp.show("p2")["charter"]["approvals"] == []
