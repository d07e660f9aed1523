"""The lifecycle of a participant's milestones, as a coordinator sees it on the command line.

Joining and leaving cohorts, when a milestone opens, due dates, the progress scale, retired
milestones, "why is this locked?", and program changes reaching current members.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Waypoint

# Times without an offset are read in the program's zone (America/Chicago).
T0 = "2026-09-01T09:00"

COHORTS = """\
[program]
name = "Lifecycle"
timezone = "America/Chicago"

[[staff]]
email = "avery@example.edu"
name = "Avery Advisor"
roles = ["advisor"]

[[cohorts]]
key = "fall"
name = "Fall 2026"
[[cohorts]]
key = "spring"
name = "Spring 2027"
"""


def program(milestones: str) -> str:
    return COHORTS + milestones


def add_sam(wp: Waypoint, *extra: str, attrs: str = "") -> None:
    """Sam Student (s1) joins, with optional attribute columns `attrs` ("name=value,...")."""
    names = [f"attr.{pair.split('=')[0]}" for pair in attrs.split(",") if pair]
    values = [pair.split("=")[1] for pair in attrs.split(",") if pair]
    header = ",".join(["id", "name", "email", *names])
    row = ",".join(["s1", "Sam Student", "sam@example.edu", *values])
    wp.people(f"{header}\n{row}\n", "--at", T0, *extra)


def raw_show(wp: Waypoint, person: str, *extra: str) -> dict[str, Any]:
    return wp.json("show", person, *extra)


def progress_changes(result: dict[str, Any]) -> list[tuple[str, str]]:
    """(person, milestone) of every progress a command created or moved."""
    return sorted(
        (c["person"], c["milestone"]) for c in result["changes"] if c.get("kind") == "progress"
    )


# --- 1. joining a cohort ------------------------------------------------------------------

SHARED = program("""
[[milestones]]
key = "welcome-call"
title = "Welcome call"
cohorts = ["fall", "spring"]

[[milestones]]
key = "orientation"
title = "Orientation form"
cohorts = ["fall"]

[[milestones]]
key = "housing"
title = "Housing form"
cohorts = ["spring"]
""")


def test_joining_a_cohort_assigns_all_its_milestones_shared_ones_once(wp: Waypoint) -> None:
    wp.apply(SHARED)
    add_sam(wp)
    assert wp.show("s1") == {}, "no cohort yet, so no milestones"

    wp.json("enroll", "s1", "fall", "--at", T0)
    fall = wp.show("s1")
    assert set(fall) == {"welcome-call", "orientation"}, "spring's own milestone is absent"
    assert {m["state"] for m in fall.values()} == {"open"}

    wp.json("complete", "s1", "welcome-call", "--at", "2026-09-02T10:00")
    joined = wp.json("enroll", "s1", "spring", "--at", "2026-09-03T10:00")
    assert progress_changes(joined) == [("s1", "housing")], "the shared one is not assigned again"

    payload = raw_show(wp, "s1")
    keys = [m["key"] for m in payload["milestones"]]
    assert sorted(keys) == ["housing", "orientation", "welcome-call"], "each listed once"
    assert sorted(payload["person"]["cohorts"]) == ["fall", "spring"]
    both = wp.show("s1")
    assert both["welcome-call"]["state"] == "complete", "the shared progress is the same one"
    assert both["housing"]["state"] == "open"


def test_importing_with_a_cohort_assigns_all_its_milestones_shared_ones_once(
    wp: Waypoint,
) -> None:
    wp.apply(SHARED)
    wp.people(
        "id,name,email,cohort\n"
        "s1,Sam Student,sam@example.edu,fall\n"
        "s2,Kim Student,kim@example.edu,spring\n",
        "--at", T0,
    )
    assert set(wp.show("s1")) == {"welcome-call", "orientation"}
    assert set(wp.show("s2")) == {"welcome-call", "housing"}

    wp.people("id,name,email\ns3,Lou Student,lou@example.edu\n", "--cohort", "spring",
              "--at", T0)
    wp.json("enroll", "s3", "fall", "--at", T0)
    keys = [m["key"] for m in raw_show(wp, "s3")["milestones"]]
    assert sorted(keys) == ["housing", "orientation", "welcome-call"]


# --- 2. leaving and rejoining ---------------------------------------------------------------


def test_leaving_a_cohort_hides_its_milestones_and_rejoining_restores_the_same_progress(
    wp: Waypoint,
) -> None:
    wp.apply(SHARED)
    add_sam(wp, "--cohort", "fall")
    wp.json("enroll", "s1", "spring", "--at", T0)
    wp.json("complete", "s1", "orientation", "--at", "2026-09-02T10:00")
    wp.json("start", "s1", "welcome-call", "--at", "2026-09-02T11:00")
    before = wp.show("s1")

    wp.json("unenroll", "s1", "fall", "--at", "2026-09-05T10:00")
    away = raw_show(wp, "s1")
    assert away["person"]["cohorts"] == ["spring"]
    assert {m["key"] for m in away["milestones"]} == {"welcome-call", "housing"}, (
        "fall's own milestone is gone; the one shared with spring stays"
    )

    wp.json("unenroll", "s1", "spring", "--at", "2026-09-05T10:00")
    assert wp.show("s1") == {}

    rejoined = wp.json("enroll", "s1", "fall", "--at", "2026-10-01T10:00")
    assert progress_changes(rejoined) == [], "nothing is assigned afresh on rejoining"
    again = wp.show("s1")
    assert set(again) == {"welcome-call", "orientation"}
    for key in ("orientation", "welcome-call"):
        assert again[key] == before[key], f"{key} comes back exactly as it was left"
    assert again["orientation"]["state"] == "complete"
    assert again["welcome-call"]["state"] == "started"


def test_leaving_a_cohort_one_is_not_in_is_refused(wp: Waypoint) -> None:
    wp.apply(SHARED)
    add_sam(wp, "--cohort", "fall")
    err = wp.refused("unenroll", "s1", "spring", "--at", T0)
    assert "not in" in err and "Spring 2027" in err
    err = wp.refused("enroll", "s1", "fall", "--at", T0)
    assert "already in" in err


# --- 3. starts --------------------------------------------------------------------------------

STARTS = program("""
[[milestones]]
key = "intro"
title = "Intro"
cohorts = ["fall"]
starts = "on_assignment"

[[milestones]]
key = "plan"
title = "Plan"
cohorts = ["fall"]
after = ["intro"]

[[milestones]]
key = "interview"
title = "Interview"
cohorts = ["fall"]
starts = "manual"

[[milestones]]
key = "debrief"
title = "Debrief"
cohorts = ["fall"]
after = ["intro"]
starts = "manual"
""")


def test_on_assignment_opens_at_once(wp: Waypoint) -> None:
    wp.apply(STARTS)
    add_sam(wp, "--cohort", "fall")
    intro = wp.show("s1")["intro"]
    assert intro["state"] == "open"
    assert intro["started_at"] is None, "open is not started: only `start` starts it"
    wp.json("start", "s1", "intro", "--by", "s1", "--at", "2026-09-02T10:00")
    assert wp.state("s1", "intro") == "started"


def test_after_prerequisites_stays_locked_until_the_parents_complete(wp: Waypoint) -> None:
    wp.apply(STARTS)
    add_sam(wp, "--cohort", "fall")
    assert wp.state("s1", "plan") == "locked"
    err = wp.refused("start", "s1", "plan", "--by", "s1", "--at", T0)
    assert "Intro" in err
    wp.json("start", "s1", "intro", "--at", T0)
    assert wp.state("s1", "plan") == "locked", "a started parent is not a complete one"
    wp.json("complete", "s1", "intro", "--at", "2026-09-02T10:00")
    assert wp.state("s1", "plan") == "open"


def test_manual_start_stays_locked_until_staff_start_it(wp: Waypoint) -> None:
    wp.apply(STARTS)
    add_sam(wp, "--cohort", "fall")
    assert wp.state("s1", "interview") == "locked"
    err = wp.refused("start", "s1", "interview", "--by", "s1", "--at", T0)
    assert "staff" in err
    assert wp.state("s1", "interview") == "locked", "a refusal changes nothing"
    wp.json("start", "s1", "interview", "--by", "avery@example.edu",
            "--at", "2026-09-02T10:00")
    interview = wp.show("s1")["interview"]
    assert interview["state"] == "started"
    assert interview["started_at"] is not None


def test_manual_start_with_prerequisites_waits_for_both(wp: Waypoint) -> None:
    wp.apply(STARTS)
    add_sam(wp, "--cohort", "fall")
    err = wp.refused("start", "s1", "debrief", "--at", T0)
    assert "Intro" in err, "staff cannot start it before its prerequisite is complete"
    wp.json("complete", "s1", "intro", "--at", "2026-09-02T10:00")
    debrief = wp.show("s1")["debrief"]
    assert debrief["state"] == "locked", "the parent is done, but it still starts by hand"
    assert "staff" in debrief["locked_reason"]
    wp.json("start", "s1", "debrief", "--at", "2026-09-03T10:00")
    assert wp.state("s1", "debrief") == "started"


# --- 4. children open silently when all parents complete --------------------------------------

TWO_PARENTS = program("""
[[milestones]]
key = "transcript"
title = "Send transcript"
cohorts = ["fall"]

[[milestones]]
key = "deposit"
title = "Pay deposit"
cohorts = ["fall"]

[[milestones]]
key = "registration"
title = "Register for classes"
cohorts = ["fall"]
after = ["transcript", "deposit"]
""")


def test_children_open_silently_when_all_parents_complete(wp: Waypoint) -> None:
    wp.apply(TWO_PARENTS)
    add_sam(wp, "--cohort", "fall")
    child = wp.show("s1")["registration"]
    assert child["state"] == "locked"
    assert "Send transcript" in child["locked_reason"]
    assert "Pay deposit" in child["locked_reason"]

    wp.json("complete", "s1", "transcript", "--at", "2026-09-02T10:00")
    child = wp.show("s1")["registration"]
    assert child["state"] == "locked", "one parent of two is not enough"
    assert "Pay deposit" in child["locked_reason"]
    assert "Send transcript" not in child["locked_reason"], "only what it still waits for"

    wp.json("complete", "s1", "deposit", "--at", "2026-09-03T10:00")
    child = wp.show("s1")["registration"]
    assert child["state"] == "open"
    assert child["locked_reason"] is None
    assert wp.json("outbox")["messages"] == [], "children open without mail"


# --- 5. due dates ---------------------------------------------------------------------------

DUES = program("""
[[milestones]]
key = "fixed"
title = "Fixed"
cohorts = ["fall"]
due = { date = "2026-09-15" }

[[milestones]]
key = "after-start"
title = "After start"
cohorts = ["fall"]
due = { after_start = "14d" }

[[milestones]]
key = "after-assignment"
title = "After assignment"
cohorts = ["fall"]
due = { after_assignment = "2w" }

[[milestones]]
key = "before-start-date"
title = "Before the start date"
cohorts = ["fall"]
due = { attribute = "start_date", offset = "-7d" }

[[milestones]]
key = "no-due"
title = "No due date"
cohorts = ["fall"]
""")


def test_a_fixed_due_date_is_the_same_for_everyone(wp: Waypoint) -> None:
    wp.apply(DUES)
    add_sam(wp, "--cohort", "fall")
    wp.people("id,name,email\ns2,Kim Student,kim@example.edu\n", "--cohort", "fall",
              "--at", "2026-09-10T09:00")
    for person in ("s1", "s2"):
        fixed = wp.show(person)["fixed"]
        assert fixed["due"] == "2026-09-15"
        assert fixed["due_label"] is None
    no_due = wp.show("s1")["no-due"]
    assert no_due["due"] is None and no_due["due_label"] is None
    assert no_due["past_due"] is False


def test_a_due_date_after_start_shows_not_yet_started_until_started(wp: Waypoint) -> None:
    wp.apply(DUES)
    add_sam(wp, "--cohort", "fall")
    waiting = wp.show("s1", "--at", "2026-12-31T09:00")["after-start"]
    assert waiting["due"] is None
    assert waiting["due_label"] == "Not Yet Started"
    assert waiting["past_due"] is False, "nothing is past due before it could have a date"

    wp.json("start", "s1", "after-start", "--by", "s1", "--at", "2026-09-03T10:00")
    started = wp.show("s1")["after-start"]
    assert started["due"] == "2026-09-17"
    assert started["due_label"] is None


def test_a_due_date_after_start_counts_from_the_local_day_it_started(wp: Waypoint) -> None:
    wp.apply(DUES)
    add_sam(wp, "--cohort", "fall")
    wp.json("start", "s1", "after-start", "--by", "s1", "--at", "2026-09-03T23:30")
    assert wp.show("s1")["after-start"]["due"] == "2026-09-17"


def test_a_due_date_after_assignment_counts_from_joining(wp: Waypoint) -> None:
    wp.apply(DUES)
    add_sam(wp, "--cohort", "fall")
    assert wp.show("s1")["after-assignment"]["due"] == "2026-09-15"
    # 23:30 in Chicago is already the next day in UTC: the day that counts is the local one.
    wp.people("id,name,email\ns2,Kim Student,kim@example.edu\n", "--cohort", "fall",
              "--at", "2026-09-01T23:30")
    assert wp.show("s2")["after-assignment"]["due"] == "2026-09-15"


def test_a_due_date_from_a_date_attribute_moves_with_the_attribute(wp: Waypoint) -> None:
    wp.apply(DUES)
    add_sam(wp, "--cohort", "fall", attrs="start_date=2026-10-01")
    assert wp.show("s1")["before-start-date"]["due"] == "2026-09-24"

    moved = wp.json("set", "s1", "attr.start_date=2026-11-01", "--at", "2026-09-05T10:00")
    assert ("s1", "before-start-date") in progress_changes(moved), "the move is reported"
    assert wp.show("s1")["before-start-date"]["due"] == "2026-10-25"

    wp.json("set", "s1", "attr.start_date=", "--at", "2026-09-06T10:00")
    assert wp.show("s1")["before-start-date"]["due"] is None, "no date, no due date"


def test_a_date_attribute_set_after_joining_gives_the_due_date(wp: Waypoint) -> None:
    wp.apply(DUES)
    add_sam(wp, "--cohort", "fall")
    assert wp.show("s1")["before-start-date"]["due"] is None
    wp.json("set", "s1", "attr.start_date=2026-10-01", "--at", "2026-09-05T10:00")
    assert wp.show("s1")["before-start-date"]["due"] == "2026-09-24"


def test_an_extension_overrides_the_due_date_for_that_participant_only(wp: Waypoint) -> None:
    wp.apply(DUES)
    add_sam(wp, "--cohort", "fall", attrs="start_date=2026-10-01")
    wp.people("id,name,email\ns2,Kim Student,kim@example.edu\n", "--cohort", "fall",
              "--at", T0)

    wp.json("extend", "s1", "fixed", "--until", "2026-10-01", "--at", "2026-09-10T10:00")
    assert wp.show("s1")["fixed"]["due"] == "2026-10-01"
    assert wp.show("s2")["fixed"]["due"] == "2026-09-15", "only Sam was extended"
    assert wp.show("s1", "--at", "2026-09-20T10:00")["fixed"]["past_due"] is False

    wp.json("extend", "s1", "before-start-date", "--until", "2026-12-01", "--at", T0)
    wp.json("set", "s1", "attr.start_date=2026-11-01", "--at", "2026-09-11T10:00")
    assert wp.show("s1")["before-start-date"]["due"] == "2026-12-01", "the extension still wins"

    wp.json("extend", "s1", "after-start", "--until", "2026-09-30", "--at", T0)
    extended = wp.show("s1")["after-start"]
    assert extended["due"] == "2026-09-30"
    assert extended["due_label"] is None, "an extended date is a date, not 'Not Yet Started'"

    err = wp.refused("extend", "s1", "no-due", "--until", "2026-10-01", "--at", T0)
    assert "no due date" in err


def test_past_due_once_the_due_date_has_passed_and_not_complete(wp: Waypoint) -> None:
    wp.apply(DUES)
    add_sam(wp, "--cohort", "fall")
    assert wp.show("s1", "--at", "2026-09-15T22:00")["fixed"]["past_due"] is False, (
        "on the due day itself it is not yet past due"
    )
    late = wp.show("s1", "--at", "2026-09-16T08:00")
    assert late["fixed"]["past_due"] is True
    assert late["after-assignment"]["past_due"] is True
    assert late["before-start-date"]["past_due"] is False, "no due date, never past due"
    assert wp.state("s1", "fixed") == "open", "past due is derived, never a state"

    wp.json("complete", "s1", "fixed", "--at", "2026-09-20T10:00")
    assert wp.show("s1", "--at", "2026-09-30T08:00")["fixed"]["past_due"] is False


def test_past_due_turns_at_midnight_in_the_programs_zone(wp: Waypoint) -> None:
    wp.apply(DUES)
    add_sam(wp, "--cohort", "fall")
    # 03:00 UTC on the 16th is still the evening of the 15th in Chicago.
    assert wp.show("s1", "--at", "2026-09-16T03:00+00:00")["fixed"]["past_due"] is False
    assert wp.show("s1", "--at", "2026-09-16T06:00+00:00")["fixed"]["past_due"] is True


# --- 6. expected duration and the progress scale ------------------------------------------

SCALES = program("""
[[milestones]]
key = "essay"
title = "Essay"
cohorts = ["fall"]
expected = "10d"

[[milestones]]
key = "thesis"
title = "Thesis outline"
cohorts = ["fall"]
expected = "10d"
scale = { behind = 0.5, stuck = 1.0 }

[[milestones]]
key = "later"
title = "Later"
cohorts = ["fall"]
after = ["essay"]
expected = "10d"

[[milestones]]
key = "unscaled"
title = "Unscaled"
cohorts = ["fall"]
""")


def test_the_progress_scale_goes_on_track_behind_stuck_as_time_passes(wp: Waypoint) -> None:
    wp.apply(SCALES)
    add_sam(wp, "--cohort", "fall")
    wp.json("start", "s1", "essay", "--at", T0)
    wp.json("start", "s1", "thesis", "--at", T0)

    def scale(at: str) -> dict[str, Any]:
        return {k: m["progress"] for k, m in wp.show("s1", "--at", at).items()}

    day4 = scale("2026-09-05T09:00")
    assert day4["essay"] == "on_track" and day4["thesis"] == "on_track"
    day7 = scale("2026-09-08T09:00")
    assert day7["essay"] == "on_track"
    assert day7["thesis"] == "behind", "the milestone's own threshold: behind past 50%"
    day12 = scale("2026-09-13T09:00")
    assert day12["essay"] == "behind", "behind past 100% of the expected 10 days"
    assert day12["thesis"] == "stuck"
    day16 = scale("2026-09-17T09:00")
    assert day16["essay"] == "stuck", "stuck past 150%"

    assert day16["unscaled"] is None, "no expected duration, no scale"
    assert day16["later"] is None, "a locked progress is not on any scale"
    assert wp.state("s1", "essay") == "started", "the scale is derived, never a state"


def test_the_progress_scale_counts_from_when_the_milestone_opened(wp: Waypoint) -> None:
    wp.apply(SCALES)
    add_sam(wp, "--cohort", "fall")
    wp.json("complete", "s1", "essay", "--at", "2026-09-10T09:00")
    wp.json("start", "s1", "later", "--at", "2026-09-10T09:00")
    # 14 days after joining but 5 after it opened: on track, not behind.
    assert wp.show("s1", "--at", "2026-09-15T09:00")["later"]["progress"] == "on_track"
    assert wp.show("s1", "--at", "2026-09-21T09:00")["later"]["progress"] == "behind"


def test_a_complete_progress_leaves_the_progress_scale(wp: Waypoint) -> None:
    wp.apply(SCALES)
    add_sam(wp, "--cohort", "fall")
    wp.json("start", "s1", "essay", "--at", T0)
    wp.json("complete", "s1", "essay", "--at", "2026-09-20T09:00")
    assert wp.show("s1", "--at", "2026-09-30T09:00")["essay"]["progress"] is None


# --- 7. retired milestones ------------------------------------------------------------------

ACTIVE = """
[[milestones]]
key = "old-form"
title = "Old paper form"
cohorts = ["fall"]

[[milestones]]
key = "new-form"
title = "New online form"
cohorts = ["fall"]
"""


def test_retired_milestones_are_not_assigned_to_new_joiners(wp: Waypoint) -> None:
    wp.apply(program(ACTIVE))
    add_sam(wp, "--cohort", "fall")
    wp.json("complete", "s1", "old-form", "--at", "2026-09-02T10:00")
    before = wp.show("s1")["old-form"]

    retired = ACTIVE.replace('cohorts = ["fall"]\n', 'cohorts = ["fall"]\nretired = true\n', 1)
    wp.apply(program(retired), "--at", "2026-09-03T10:00")

    wp.people("id,name,email\ns2,Kim Student,kim@example.edu\n", "--cohort", "fall",
              "--at", "2026-09-04T10:00")
    assert set(wp.show("s2")) == {"new-form"}, "no longer assigned to anyone new"

    kept = wp.show("s1")
    assert set(kept) == {"old-form", "new-form"}, "those who have it keep it"
    assert kept["old-form"] == before, "with its state and dates as they were"


def test_a_retired_milestone_stays_with_someone_who_has_not_finished_it(wp: Waypoint) -> None:
    wp.apply(program(ACTIVE))
    add_sam(wp, "--cohort", "fall")
    wp.json("start", "s1", "old-form", "--at", "2026-09-02T10:00")
    retired = ACTIVE.replace('cohorts = ["fall"]\n', 'cohorts = ["fall"]\nretired = true\n', 1)
    wp.apply(program(retired), "--at", "2026-09-03T10:00")
    assert wp.state("s1", "old-form") == "started"
    wp.json("complete", "s1", "old-form", "--at", "2026-09-04T10:00")
    assert wp.state("s1", "old-form") == "complete"


def test_a_retired_prerequisite_does_not_lock_new_joiners_out(wp: Waypoint) -> None:
    chain = ACTIVE + 'after = ["old-form"]\n'
    wp.apply(program(chain))
    add_sam(wp, "--cohort", "fall")
    assert wp.state("s1", "new-form") == "locked"

    retired = chain.replace('cohorts = ["fall"]\n', 'cohorts = ["fall"]\nretired = true\n', 1)
    wp.apply(program(retired), "--at", "2026-09-03T10:00")
    still = wp.show("s1")["new-form"]
    assert still["state"] == "locked", "Sam has the retired form: the next one waits for it"
    assert "Old paper form" in still["locked_reason"]

    wp.people("id,name,email\ns2,Kim Student,kim@example.edu\n", "--cohort", "fall",
              "--at", "2026-09-04T10:00")
    kim = wp.show("s2")
    assert set(kim) == {"new-form"}
    assert kim["new-form"]["state"] == "open", "never waits for a form Kim can never get"
    assert kim["new-form"]["locked_reason"] is None


# --- 8. why is this locked? -----------------------------------------------------------------


def test_every_locked_progress_says_why(wp: Waypoint) -> None:
    wp.apply(program(STARTS.removeprefix(COHORTS) + TWO_PARENTS.removeprefix(COHORTS)))
    add_sam(wp, "--cohort", "fall")
    wp.json("complete", "s1", "transcript", "--at", "2026-09-02T10:00")
    wp.json("start", "s1", "intro", "--at", "2026-09-02T10:00")

    shown = wp.show("s1")
    states = {key: m["state"] for key, m in shown.items()}
    assert states == {
        "intro": "started", "plan": "locked", "interview": "locked", "debrief": "locked",
        "transcript": "complete", "deposit": "open", "registration": "locked",
    }
    for key, m in shown.items():
        if m["state"] == "locked":
            assert m["locked_reason"], f"{key} is locked and does not say why"
        else:
            assert m["locked_reason"] is None, f"{key} is {m['state']} but says it is locked"
    assert "Intro" in shown["plan"]["locked_reason"]
    assert "staff" in shown["interview"]["locked_reason"]
    assert "Intro" in shown["debrief"]["locked_reason"]
    assert "Pay deposit" in shown["registration"]["locked_reason"]


def test_acting_on_a_locked_progress_is_refused_with_its_reason(wp: Waypoint) -> None:
    wp.apply(TWO_PARENTS)
    add_sam(wp, "--cohort", "fall")
    reason = wp.show("s1")["registration"]["locked_reason"]
    err = wp.refused("complete", "s1", "registration", "--at", T0)
    assert reason in err
    assert wp.state("s1", "registration") == "locked"


# --- 9. program changes reach current members --------------------------------------------------

FIRST = program("""
[[milestones]]
key = "intro"
title = "Intro"
cohorts = ["fall"]
due = { date = "2026-09-15" }
""")

SECOND = FIRST + """
[[milestones]]
key = "survey"
title = "Entry survey"
cohorts = ["fall"]
"""


def members(wp: Waypoint) -> None:
    wp.people(
        "id,name,email,cohort\n"
        "s1,Sam Student,sam@example.edu,fall\n"
        "s2,Kim Student,kim@example.edu,fall\n"
        "s3,Lou Student,lou@example.edu,spring\n",
        "--at", T0,
    )


def test_a_milestone_added_to_a_cohort_is_assigned_to_its_current_members(wp: Waypoint) -> None:
    wp.apply(FIRST)
    members(wp)
    wp.json("unenroll", "s2", "fall", "--at", "2026-09-02T10:00")

    applied = wp.apply(SECOND, "--at", "2026-09-03T10:00")
    assert progress_changes(applied) == [("s1", "survey")], "current members only"
    assert wp.show("s1")["survey"]["state"] == "open"
    assert "survey" not in wp.show("s3"), "other cohorts are untouched"

    wp.json("enroll", "s2", "fall", "--at", "2026-09-04T10:00")
    assert "survey" in wp.show("s2"), "a member who comes back gets it too"

    again = wp.apply(SECOND, "--at", "2026-09-05T10:00")
    assert again["changes"] == [], "applying the same file twice changes nothing"


def test_a_dry_run_reports_the_participants_a_change_reaches_and_changes_nothing(
    wp: Waypoint,
) -> None:
    wp.apply(FIRST)
    members(wp)

    preview = wp.apply(SECOND, "--dry-run", "--at", "2026-09-03T10:00")
    assert preview["ok"] is True
    assert progress_changes(preview) == [("s1", "survey"), ("s2", "survey")]
    assert any(c.get("kind") == "definition" and c.get("key") == "survey"
               for c in preview["changes"])
    assert "survey" not in wp.show("s1"), "a dry run changes nothing"

    applied = wp.apply(SECOND, "--at", "2026-09-03T10:00")
    assert progress_changes(applied) == progress_changes(preview), "the preview was right"
    assert "survey" in wp.show("s1") and "survey" in wp.show("s2")


def test_a_dry_run_of_a_moved_due_date_names_whose_due_date_moves(wp: Waypoint) -> None:
    wp.apply(FIRST)
    members(wp)
    wp.json("extend", "s2", "intro", "--until", "2026-10-31", "--at", T0)
    moved = FIRST.replace("2026-09-15", "2026-09-30")

    preview = wp.apply(moved, "--dry-run", "--at", "2026-09-03T10:00")
    dues = [(c["person"], c.get("due_from"), c.get("due_to")) for c in preview["changes"]
            if c.get("kind") == "progress"]
    assert dues == [("s1", "2026-09-15", "2026-09-30")], "s2's extension still wins"
    assert wp.show("s1")["intro"]["due"] == "2026-09-15", "a dry run changes nothing"

    wp.apply(moved, "--at", "2026-09-03T10:00")
    assert wp.show("s1")["intro"]["due"] == "2026-09-30"
    assert wp.show("s2")["intro"]["due"] == "2026-10-31"


def test_a_new_prerequisite_relocks_only_progress_nobody_acted_on(wp: Waypoint) -> None:
    wp.apply(SECOND)
    members(wp)
    wp.json("start", "s2", "survey", "--by", "s2", "--at", "2026-09-02T10:00")
    chained = SECOND.replace('title = "Entry survey"\n',
                             'title = "Entry survey"\nafter = ["intro"]\n')

    preview = wp.apply(chained, "--dry-run", "--at", "2026-09-03T10:00")
    moves = [(c["person"], c["milestone"], c["from"], c["to"]) for c in preview["changes"]
             if c.get("kind") == "progress"]
    assert moves == [("s1", "survey", "open", "locked")], "Kim already started it"
    assert wp.state("s1", "survey") == "open", "a dry run changes nothing"

    wp.apply(chained, "--at", "2026-09-03T10:00")
    survey = wp.show("s1")["survey"]
    assert survey["state"] == "locked"
    assert "Intro" in survey["locked_reason"]
    assert wp.state("s2", "survey") == "started"


def test_adding_a_cohort_to_a_milestone_makes_it_shared_and_assigns_it(wp: Waypoint) -> None:
    wp.apply(FIRST)
    members(wp)
    shared = FIRST.replace('cohorts = ["fall"]', 'cohorts = ["fall", "spring"]')
    applied = wp.apply(shared, "--at", "2026-09-03T10:00")
    assert progress_changes(applied) == [("s3", "intro")]
    assert wp.show("s3")["intro"]["due"] == "2026-09-15"


@pytest.mark.parametrize("state_verb", ["complete", "start"])
def test_a_program_change_keeps_what_members_already_did(wp: Waypoint, state_verb: str) -> None:
    wp.apply(FIRST)
    members(wp)
    wp.json(state_verb, "s1", "intro", "--at", "2026-09-02T10:00")
    before = wp.show("s1")["intro"]
    described = SECOND.replace('title = "Intro"\n', 'title = "Intro"\ndescription = "Hi"\n')
    wp.apply(described, "--at", "2026-09-03T10:00")
    assert wp.show("s1")["intro"] == before

