"""Approvers delegating for a date range; ready and approval deadlines making a request past due."""

from __future__ import annotations

PROGRAM = """
[program]
name = "Hiring"
timezone = "America/Chicago"

[[staff]]
email = "lee@example.edu"
name = "Lee Finance"
roles = ["finance"]

[[staff]]
email = "sam@example.edu"
name = "Sam Advisor"
roles = ["advisor"]

[[cohorts]]
key = "req"
name = "Requisition"

[[milestones]]
key = "offer"
title = "Offer approval"
cohorts = ["req"]
complete_by = ["request"]

[milestones.approval]
approvers = { roles = ["finance"] }
ready_deadline = "5d"
approval_deadline = "10d"
"""


def hired(wp) -> None:
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,req\n", "--at",
              "2026-09-01T09:00")


def test_a_delegate_approves_for_their_colleague_within_the_dates(wp):
    hired(wp)
    wp.json("submit", "p1", "offer", "--by", "p1", "--at", "2026-09-02T09:00")
    wp.json("delegate", "--by", "lee@example.edu", "--to", "sam@example.edu",
            "--start", "2026-09-03", "--end", "2026-09-05", "--at", "2026-09-02T10:00")
    items = wp.json("inbox", "--as", "sam@example.edu", "--at", "2026-09-04T10:00")["items"]
    assert [(i["person"], i["milestone"]) for i in items] == [("p1", "offer")]
    wp.json("approve", "p1", "offer", "--by", "sam@example.edu", "--at", "2026-09-04T10:00")
    assert wp.state("p1", "offer") == "complete"
    (decision,) = wp.show("p1")["offer"]["approvals"]
    assert (decision["by"], decision["decision"]) == ("sam@example.edu", "approved")


def test_a_delegation_gives_nothing_outside_its_dates(wp):
    hired(wp)
    wp.json("submit", "p1", "offer", "--by", "p1", "--at", "2026-09-02T09:00")
    wp.json("delegate", "--by", "lee@example.edu", "--to", "sam@example.edu",
            "--start", "2026-09-03", "--end", "2026-09-05")
    assert wp.json("inbox", "--as", "sam@example.edu", "--at", "2026-09-06T10:00") == {
        "items": []}
    reason = wp.refused("approve", "p1", "offer", "--by", "sam@example.edu",
                        "--at", "2026-09-06T10:00")
    assert "finance" in reason
    assert wp.state("p1", "offer") == "submitted"


def test_a_delegation_that_ends_before_it_starts_is_refused(wp):
    hired(wp)
    reason = wp.refused("delegate", "--by", "lee@example.edu", "--to", "sam@example.edu",
                        "--start", "2026-09-05", "--end", "2026-09-03")
    assert "ends" in reason and "2026-09-03" in reason


def test_delegating_to_someone_unknown_names_them(wp):
    hired(wp)
    reason = wp.refused("delegate", "--by", "lee@example.edu", "--to", "who@example.edu",
                        "--start", "2026-09-03", "--end", "2026-09-05")
    assert "who@example.edu" in reason


def test_a_request_not_submitted_by_its_ready_deadline_is_past_due(wp):
    hired(wp)
    assert wp.show("p1", "--at", "2026-09-06T12:00")["offer"]["past_due"] is False
    assert wp.show("p1", "--at", "2026-09-07T12:00")["offer"]["past_due"] is True


def test_a_request_not_approved_by_its_approval_deadline_is_past_due(wp):
    hired(wp)
    wp.json("submit", "p1", "offer", "--by", "p1", "--at", "2026-09-02T09:00")
    assert wp.show("p1", "--at", "2026-09-12T12:00")["offer"]["past_due"] is False
    assert wp.show("p1", "--at", "2026-09-13T12:00")["offer"]["past_due"] is True
    item, = wp.json("inbox", "--as", "lee@example.edu")["items"]
    assert item["deadline"] == "2026-09-12"
    wp.json("approve", "p1", "offer", "--by", "lee@example.edu", "--at", "2026-09-14T09:00")
    assert wp.show("p1", "--at", "2026-09-20T12:00")["offer"]["past_due"] is False


STEPS = PROGRAM.replace('complete_by = ["request"]\n', '''complete_by = ["request"]
steps = [{ title = "Salary band checked" }, { title = "Budget line named" }]
''')


def test_the_inbox_shows_each_requests_evidence_steps_and_history(wp):
    wp.apply(STEPS)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,req\n")
    wp.json("step", "p1", "offer", "1", "--by", "p1")
    wp.json("submit", "p1", "offer", "--by", "p1", "--note", "band B")
    (item,) = wp.json("inbox", "--as", "lee@example.edu", "--evidence")["items"]
    assert [(s["title"], s["done"]) for s in item["steps"]] == [
        ("Salary band checked", True), ("Budget line named", False)]
    kinds = [event["kind"] for event in item["history"]]
    assert kinds[-1] == "ProgressSubmitted" and item["history"][-1]["note"] == "band B"
    assert "steps" not in wp.json("inbox", "--as", "lee@example.edu")["items"][0]
