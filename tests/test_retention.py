"""Retention: participants who left more than N years ago are anonymized, and the numbers
stay. `waypoint retention --years N [--dry-run]` — admins only.

Sam and Jordan left long ago, Robin left one cohort but is still in another, Casey left last
year. Each test reads back what a coordinator would notice: `show`, `outbox`, `alerts`,
and (for what no verb shows: attributes, notes, counts of history) the store itself.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
from conftest import Waypoint

ADVISOR = "avery@example.edu"  # staff, not an admin
NOW = "2026-09-01T09:00"

PROGRAM = """\
[program]
name = "Retention"
timezone = "America/Chicago"

[[staff]]
email = "avery@example.edu"
name = "Avery Advisor"
roles = ["advisor"]

[[cohorts]]
key = "y2018"
name = "Class of 2018"
staff = ["avery@example.edu"]
[[cohorts]]
key = "y2019"
name = "Class of 2019"
staff = ["avery@example.edu"]

[[templates]]
key = "congrats"
subject = "Well done, {{ person.name }}"
body = "You completed {{ milestone.title }}."

[[milestones]]
key = "intake"
title = "Intake interview"
cohorts = ["y2018", "y2019"]
complete_by = ["staff"]

[[milestones]]
key = "essay"
title = "Personal essay"
cohorts = ["y2018", "y2019"]
complete_by = ["request"]
after = ["intake"]
[milestones.on_complete]
email_template = "congrats"

[[milestones]]
key = "portfolio"
title = "Portfolio and feedback"
cohorts = ["y2018", "y2019"]
complete_by = ["self"]
upload = "optional"
[[milestones.surveys]]
key = "feedback"
title = "Feedback"
active = true
questions = [{ kind = "mcq", text = "Most useful part?", options = ["Talks", "Exercises"] },
             { kind = "text", text = "What would you change?" }]
"""

PEOPLE = """\
id,name,email,cohort,location,attr.source
s1,Sam Student,sam@example.edu,y2018,Austin,referral
s2,Robin Roe,robin@example.edu,y2018,Boston,web
s3,Jordan Lee,jordan@example.edu,y2018,Austin,web
s4,Casey Kim,casey@example.edu,y2019,Denver,web
"""


def history(wp: Waypoint) -> None:
    """Everyone works through intake and the essay in 2018, with notes naming them; then Sam
    and Jordan leave in 2019, Robin moves from 2018 to 2019 (still a member), Casey leaves
    in 2025."""
    wp.apply(PROGRAM)
    wp.people(PEOPLE, "--at", "2018-01-10T09:00")
    for person, name in (("s1", "Sam"), ("s2", "Robin"), ("s3", "Jordan"), ("s4", "Casey")):
        wp.json("complete", person, "intake", "--note", f"{name} was nervous",
                "--at", "2018-02-01T10:00")
        wp.json("submit", person, "essay", "--by", person, "--note", f"{name}'s essay",
                "--at", "2018-03-01T10:00")
    wp.json("approve", "s1", "essay", "--by", ADVISOR, "--note", "Well argued, Sam",
            "--at", "2018-03-08T10:00")
    wp.json("approve", "s2", "essay", "--by", ADVISOR, "--at", "2018-03-09T10:00")
    wp.json("reopen", "s1", "intake", "--note", "Sam asked to redo it", "--at", "2018-04-01T10:00")
    wp.json("complete", "s1", "intake", "--at", "2018-04-02T10:00")
    wp.json("answer", "s1", "portfolio", "--answer", "1=Talks", "--answer",
            "2=Less homework, said Sam", "--by", "s1", "--at", "2018-05-01T10:00")
    wp.json("attach", "s1", "portfolio", str(wp.file("portfolio", "-Sam_Student.pdf")),
            "--note", "Sam's portfolio", "--by", "s1", "--at", "2018-05-02T10:00")
    wp.json("unenroll", "s1", "y2018", "--at", "2019-06-30T17:00")
    wp.json("unenroll", "s3", "y2018", "--at", "2019-07-15T17:00")
    wp.json("enroll", "s2", "y2019", "--at", "2019-06-01T09:00")
    wp.json("unenroll", "s2", "y2018", "--at", "2019-06-30T17:00")
    wp.json("unenroll", "s4", "y2019", "--at", "2025-05-01T17:00")


@pytest.fixture
def store(wp: Waypoint) -> Iterator[Waypoint]:
    history(wp)
    yield wp


def query(wp: Waypoint, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(wp.db)) as connection:
        return connection.execute(sql, params).fetchall()


def numbers(wp: Waypoint) -> dict[str, Any]:
    """What the reports are made of: how many progress rows per state, and every history
    event's progress, kind, states and time (cycle times are read from these)."""
    return {
        "states": query(wp, "SELECT state, count(*) FROM progress GROUP BY state ORDER BY 1"),
        "events": query(wp, "SELECT progress_id, kind, from_state, to_state, at "
                            "FROM progress_events ORDER BY 1, 5, 2"),
        "memberships": query(wp, "SELECT person_id, cohort_id, joined_at, left_at "
                                 "FROM memberships ORDER BY 1, 3"),
    }


def anonymized(wp: Waypoint, person_id: str) -> tuple[str, str]:
    """(external id, name) of a person, by the row id a retention run named."""
    [(ext, name)] = query(wp, "SELECT external_id, name FROM people WHERE id = ?", person_id)
    return ext, name


def row_id(wp: Waypoint, external_id: str) -> str:
    [(found,)] = query(wp, "SELECT id FROM people WHERE external_id = ?", external_id)
    return found


def test_leavers_past_the_retention_period_are_anonymized(store: Waypoint) -> None:
    sam, jordan = row_id(store, "s1"), row_id(store, "s3")
    result = store.json("retention", "--years", "5", "--at", NOW)
    assert result["dry_run"] is False
    assert result["count"] == 2
    assert all(p["name"].startswith("Former participant ") for p in result["affected"])
    assert [p["left_at"][:10] for p in result["affected"]] == ["2019-06-30", "2019-07-15"]
    for row in (sam, jordan):
        ext, name = anonymized(store, row)
        assert ext.startswith("anon-") and name == "Former participant " + ext[len("anon-"):]
        assert query(store, "SELECT email, location FROM people WHERE id = ?", row) == [
            (None, None)]
        assert query(store, "SELECT count(*) FROM person_attributes WHERE person_id = ?",
                     row) == [(0,)]
    assert store.refused("show", "s1")
    assert "Sam" not in str(store.json("show", anonymized(store, sam)[0]))


def test_free_text_about_them_is_blanked_and_their_own_actions_carry_the_new_id(
        store: Waypoint) -> None:
    sam = row_id(store, "s1")
    store.json("retention", "--years", "5", "--at", NOW)
    ext, _ = anonymized(store, sam)
    theirs = "progress_id IN (SELECT id FROM progress WHERE person_id = ?)"
    assert query(store, f"SELECT count(*) FROM progress_events WHERE {theirs} "
                        "AND note IS NOT NULL", sam) == [(0,)]
    assert query(store, f"SELECT count(*) FROM approvals WHERE {theirs} "
                        "AND note IS NOT NULL", sam) == [(0,)]
    actors = {a for (a,) in query(store, f"SELECT actor FROM progress_events WHERE {theirs}",
                                  sam)}
    assert "s1" not in actors and ext in actors  # Sam submitted the essay themself


def test_survey_choices_and_evidence_stay_without_their_words(store: Waypoint) -> None:
    sam = row_id(store, "s1")
    store.json("retention", "--years", "5", "--at", NOW)
    theirs = "progress_id IN (SELECT id FROM progress WHERE person_id = ?)"
    [(answers,)] = query(store, f"SELECT answers FROM survey_responses WHERE {theirs}", sam)
    assert json.loads(answers) == [
        {"question": "Most useful part?", "kind": "mcq", "answer": "Talks"},
        {"question": "What would you change?", "kind": "text", "answer": None}]
    assert query(store, f"SELECT name, note FROM attachments WHERE {theirs}", sam) == [
        ("attachment.pdf", None)]


def test_staff_alerts_about_a_leaver_no_longer_name_them(store: Waypoint) -> None:
    sam = row_id(store, "s1")
    assert any("Sam Student" in a["message"] for a in store.json("alerts")["alerts"])
    store.json("retention", "--years", "5", "--at", NOW)
    _, name = anonymized(store, sam)
    messages = [a["message"] for a in store.json("alerts")["alerts"]]
    assert not any("Sam Student" in m for m in messages)
    assert any(m.startswith(name + ": Intake interview went back") for m in messages)


def test_counts_and_cycle_times_are_unchanged(store: Waypoint) -> None:
    before = numbers(store)
    store.json("retention", "--years", "5", "--at", NOW)
    assert numbers(store) == before


def test_current_members_and_recent_leavers_are_untouched(store: Waypoint) -> None:
    robin_before, casey_before = store.json("show", "s2"), store.json("show", "s4")
    result = store.json("retention", "--years", "5", "--at", NOW)
    assert {p["id"] for p in result["affected"]}.isdisjoint({"s2", "s4"})
    assert store.json("show", "s2") == robin_before
    assert store.json("show", "s4") == casey_before
    assert query(store, "SELECT e.note FROM progress_events e JOIN progress p ON "
                        "p.id = e.progress_id JOIN people x ON x.id = p.person_id "
                        "WHERE x.external_id = 's2' AND e.kind = 'ProgressCompleted' "
                        "AND e.note IS NOT NULL") == [("Robin was nervous",)]


def test_a_shorter_period_reaches_recent_leavers_but_never_current_members(
        store: Waypoint) -> None:
    result = store.json("retention", "--years", "1", "--at", NOW)
    assert result["count"] == 3
    assert store.json("show", "s2")["person"]["name"] == "Robin Roe"


def test_queued_mail_to_a_leaver_is_not_sent(store: Waypoint) -> None:
    before = [m for m in store.json("outbox")["messages"] if m["to"] == "sam@example.edu"]
    assert before and before[0]["status"] == "queued"  # the congratulations on the essay
    store.json("retention", "--years", "5", "--at", NOW)
    addressed = {m["to"] for m in store.json("outbox")["messages"]}
    assert "sam@example.edu" not in addressed and "jordan@example.edu" not in addressed
    assert "robin@example.edu" in addressed


def test_an_anonymized_id_never_takes_one_already_in_use(store: Waypoint) -> None:
    sam = row_id(store, "s1")
    code = hashlib.sha256(uuid.UUID(sam).bytes).hexdigest()[:8]  # the code Sam would get
    store.people(f"id,name,email,cohort\nanon-{code},Ann On,ann@example.edu,y2019\n")
    store.json("retention", "--years", "5", "--at", NOW)
    ext, name = anonymized(store, sam)
    assert ext == "anon-" + uuid.UUID(sam).hex and name == "Former participant " + ext[5:]
    assert store.json("show", f"anon-{code}")["person"]["name"] == "Ann On"


def test_a_dry_run_lists_the_leavers_and_changes_nothing(store: Waypoint) -> None:
    before = query(store, "SELECT * FROM people ORDER BY id")
    result = store.json("retention", "--years", "5", "--dry-run", "--at", NOW)
    assert result == {"dry_run": True, "count": 2, "affected": [
        {"id": "s1", "name": "Sam Student", "left_at": "2019-06-30T22:00:00+00:00"},
        {"id": "s3", "name": "Jordan Lee", "left_at": "2019-07-15T22:00:00+00:00"}]}
    assert query(store, "SELECT * FROM people ORDER BY id") == before
    assert query(store, "SELECT count(*) FROM person_attributes") == [(4,)]
    code, out, _ = store.run("retention", "--years", "5", "--dry-run", "--at", NOW)
    assert code == 0 and "Would anonymize 2 participants" in out and "Sam Student" in out


def test_running_it_again_anonymizes_nobody_twice(store: Waypoint) -> None:
    store.json("retention", "--years", "5", "--at", NOW)
    people = query(store, "SELECT * FROM people ORDER BY id")
    again = store.json("retention", "--years", "5", "--at", NOW)
    assert again["count"] == 0
    assert query(store, "SELECT * FROM people ORDER BY id") == people


def test_only_an_admin_may_anonymize(store: Waypoint) -> None:
    error = store.refused("retention", "--years", "5", "--by", ADVISOR, "--at", NOW)
    assert "admin" in error
    error = store.refused("retention", "--years", "5", "--dry-run", "--by", "s1", "--at", NOW)
    assert "admin" in error
    assert store.json("show", "s1")["person"]["name"] == "Sam Student"


def test_the_period_must_be_at_least_a_year(store: Waypoint) -> None:
    assert "1 or more" in store.refused("retention", "--years", "0", "--at", NOW)
