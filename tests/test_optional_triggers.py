"""Optional milestones triggered by attribute values and impacts over a threshold, added when
the trigger holds and removed again when it is undone before anyone acted."""

from __future__ import annotations

PROGRAM = """
[program]
name = "Improvement projects"
timezone = "America/Chicago"

[[staff]]
email = "mo@example.edu"
name = "Mo Manager"
roles = ["manager"]

[[cohorts]]
key = "fall"
name = "Fall 2026"

[[cohorts]]
key = "spring"
name = "Spring 2027"

[[milestones]]
key = "charter"
title = "Project charter"
cohorts = ["fall", "spring"]
complete_by = ["self", "staff"]

[[milestones]]
key = "executive-review"
title = "Executive review"
cohorts = ["fall"]
complete_by = ["self", "staff"]
[milestones.optional]
added_by = ["manager"]
attributes = { priority = ["High"], progress = ["Off Track"] }

[[milestones]]
key = "escalation"
title = "Escalation call"
cohorts = ["fall"]
[milestones.optional]
attributes = { priority = ["High", "Urgent"], progress = ["Off Track"] }
match = "any"

[[milestones]]
key = "finance-review"
title = "Finance review"
cohorts = ["fall"]
[milestones.optional]
impact = { key = "savings", over = 10000, by_location = { Austin = 5000 }, stage = "actual" }

[[milestones]]
key = "forecast-check"
title = "Forecast check"
cohorts = ["fall"]
[milestones.optional]
attributes = { priority = ["High"] }
impact = { key = "savings", over = 20000, stage = "forecast" }
"""

PEOPLE = """\
id,name,email,cohort,location
p1,Pat Lee,pat@example.edu,fall,Austin
p2,Sam Roe,sam@example.edu,fall,Dallas
p3,Kim Day,kim@example.edu,spring,Austin
"""


def enrolled(wp) -> None:
    wp.apply(PROGRAM)
    wp.people(PEOPLE)


def test_an_attribute_combination_adds_the_optional_milestone(wp):
    enrolled(wp)
    assert set(wp.show("p1")) == {"charter"}
    wp.json("set", "p1", "attr.priority=High")
    assert wp.state("p1", "executive-review") is None  # only half of the combination
    payload = wp.json("set", "p1", "attr.progress=Off Track")
    assert {"kind": "progress", "person": "p1", "milestone": "executive-review", "from": None,
            "to": "open"} in payload["changes"]
    assert wp.state("p1", "executive-review") == "open"
    assert wp.state("p2", "executive-review") is None


def test_any_of_the_attributes_is_enough_when_match_is_any(wp):
    enrolled(wp)
    wp.json("set", "p1", "attr.priority=Urgent")
    assert wp.state("p1", "escalation") == "open"
    assert wp.state("p1", "executive-review") is None  # all of them, and Urgent is not High
    wp.json("set", "p2", "attr.progress=Off Track")
    assert wp.state("p2", "escalation") == "open"


def test_an_impact_over_its_threshold_adds_it(wp):
    enrolled(wp)
    wp.json("set", "p2", "impact.savings=10000")
    assert wp.state("p2", "finance-review") is None  # over, not at
    wp.json("set", "p2", "impact.savings=12000")
    assert wp.state("p2", "finance-review") == "open"


def test_an_impact_counts_at_the_stage_its_trigger_names(wp):
    enrolled(wp)
    wp.json("set", "p2", "attr.priority=High", "impact.savings=25000")  # actual, not forecast
    assert wp.state("p2", "forecast-check") is None
    wp.json("set", "p2", "impact.savings.forecast=25000")
    assert wp.state("p2", "forecast-check") == "open"


def test_the_threshold_of_the_participants_location_applies(wp):
    enrolled(wp)
    wp.json("set", "p1", "impact.savings=6000")  # Austin: 5000
    wp.json("set", "p2", "impact.savings=6000")  # Dallas: the default 10000
    assert wp.state("p1", "finance-review") == "open"
    assert wp.state("p2", "finance-review") is None


def test_a_move_to_another_location_moves_the_threshold(wp):
    enrolled(wp)
    wp.json("set", "p2", "impact.savings=6000")
    wp.people("id,name,email,location\np2,Sam Roe,sam@example.edu,Austin\n")
    assert wp.state("p2", "finance-review") == "open"


def test_an_import_sets_off_the_trigger(wp):
    enrolled(wp)
    wp.people("id,name,email,attr.priority,attr.progress,impact.savings\n"
              "p2,Sam Roe,sam@example.edu,High,Off Track,15000\n")
    assert {"executive-review", "escalation", "finance-review"} <= set(wp.show("p2"))


def test_undoing_an_attribute_before_anyone_acted_removes_the_optional_milestone(wp):
    enrolled(wp)
    wp.json("set", "p1", "attr.priority=High", "attr.progress=Off Track")
    assert wp.state("p1", "executive-review") == "open"
    payload = wp.json("set", "p1", "attr.progress=On Track")
    removed = [ch for ch in payload["changes"] if ch.get("milestone") == "executive-review"]
    assert removed and removed[0]["from"] == "open" and removed[0]["to"] is None
    assert wp.state("p1", "executive-review") is None
    wp.json("set", "p1", "attr.progress=Off Track")  # and it comes back afresh
    assert wp.state("p1", "executive-review") == "open"


def test_lowering_an_impact_before_anyone_acted_removes_it(wp):
    enrolled(wp)
    wp.json("set", "p2", "impact.savings=12000")
    wp.json("set", "p2", "impact.savings=9000")
    assert wp.state("p2", "finance-review") is None


def test_after_someone_acted_the_optional_milestone_stays(wp):
    enrolled(wp)
    wp.json("set", "p1", "attr.priority=High", "attr.progress=Off Track")
    wp.json("start", "p1", "executive-review", "--by", "p1")
    wp.json("set", "p1", "attr.priority=Low", "attr.progress=On Track")
    assert wp.state("p1", "executive-review") == "started"
    wp.json("set", "p1", "impact.savings=6000")
    wp.json("complete", "p1", "finance-review")
    wp.json("set", "p1", "impact.savings=0")
    assert wp.state("p1", "finance-review") == "complete"


def test_one_added_by_hand_stays_whatever_the_attributes_say(wp):
    enrolled(wp)
    wp.json("add", "p2", "executive-review", "--by", "mo@example.edu")
    wp.json("set", "p2", "attr.priority=Low")
    assert wp.state("p2", "executive-review") == "open"


def test_a_participant_who_joins_already_matching_gets_it(wp):
    enrolled(wp)
    wp.json("set", "p3", "attr.priority=High", "attr.progress=Off Track",
            "impact.savings=6000")
    assert set(wp.show("p3")) == {"charter"}  # spring has none of them
    payload = wp.json("enroll", "p3", "fall")
    added = {ch["milestone"] for ch in payload["changes"] if ch.get("kind") == "progress"}
    assert {"executive-review", "escalation", "finance-review"} <= added
    assert wp.state("p3", "finance-review") == "open"  # Austin's threshold


def test_a_participant_imported_into_a_cohort_already_matching_gets_it(wp):
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort,location,impact.savings\n"
              "p9,Ida Nox,ida@example.edu,fall,Austin,7000\n")
    assert wp.state("p9", "finance-review") == "open"


def test_a_trigger_outside_the_participants_cohorts_adds_nothing(wp):
    enrolled(wp)
    wp.json("set", "p3", "attr.priority=High", "attr.progress=Off Track")
    assert set(wp.show("p3")) == {"charter"}
