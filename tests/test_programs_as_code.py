"""Programs as code through the command line: `apply FILE [--dry-run]` and `export FILE`.

A coordinator keeps a program in version control and applies it again and again; these
tests hold apply and export to what CONTRACT.md promises: create or update by key, never
duplicate, say what changed (and, dry, what would), refuse a bad file whole, and write back
out exactly what the store holds.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import UTC
from pathlib import Path

import pytest
from conftest import ADMIN, Waypoint

from app.services.programs import parse_program

EXAMPLE = Path(__file__).parent.parent / "resources" / "programs" / "student-success.toml"


@pytest.fixture(autouse=True)
def _slides_beside_edited_copies(wp: Waypoint) -> None:
    """The example names an activity file beside it; an edited copy needs it beside too."""
    shutil.copy(EXAMPLE.with_name("slides.pdf"), wp.workdir)

PILOT = """\
    [program]
    name = "Pilot"
    timezone = "UTC"

    [[cohorts]]
    key = "c1"
    name = "Cohort one"

    [[milestones]]
    key = "intro"
    title = "Intro call"
    cohorts = ["c1"]
    complete_by = ["staff"]

    [[milestones]]
    key = "essay"
    title = "Essay"
    cohorts = ["c1"]
    due = { after_assignment = "14d" }
    """


def export(wp: Waypoint) -> str:
    code, out, err = wp.run("export", "-")
    assert code == 0, err
    return out


def count(wp: Waypoint, table: str) -> int:
    with closing(sqlite3.connect(wp.db)) as sql:
        return sql.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def definitions(changes: list[dict]) -> dict[tuple[str, str], dict]:
    return {(c["type"], c["key"]): c for c in changes if c["kind"] == "definition"}


def apply_example(wp: Waypoint, *extra: str) -> dict:
    return wp.json("apply", str(EXAMPLE), *extra)


# -- apply, export, apply again --------------------------------------------------------------


def test_the_contract_example_applies_and_reports_every_definition_created(wp: Waypoint):
    payload = apply_example(wp)
    assert payload["ok"] is True and payload["dry_run"] is False
    created = {key for key, c in definitions(payload["changes"]).items()
               if c["action"] == "created"}
    assert created == {
        ("staff", "avery@example.edu"), ("staff", "lee@example.edu"),
        ("staff", "hana@example.edu"), ("staff", "tess@example.edu"),
        ("cohort", "onboarding"), ("cohort", "fall-2026"), ("cohort", "spring-2027"),
        ("gate", "intake"), ("template", "congrats"), ("template", "nudge"),
        ("campaign", "welcome"), ("campaign", "nudges"),
        ("milestone", "welcome-call"), ("milestone", "orientation"),
        ("milestone", "executive-review"), ("milestone", "advising"),
        ("milestone", "workshops"), ("milestone", "academic-plan"),
        ("milestone", "orientation-event"),
        ("session", "orientation-day"), ("session", "workshop-1"), ("session", "workshop-2"),
    }
    assert all(set(c) >= {"kind", "type", "key", "action"} for c in payload["changes"])


def test_export_then_apply_changes_nothing(wp: Waypoint):
    apply_example(wp)
    exported = wp.workdir / "exported.toml"
    assert wp.json("export", str(exported))["ok"] is True
    assert wp.json("apply", str(exported))["changes"] == []
    assert apply_example(wp)["changes"] == []
    assert export(wp) == exported.read_text(encoding="utf-8")


def test_export_then_apply_changes_nothing_with_participants_enrolled(wp: Waypoint):
    apply_example(wp)
    wp.people("""\
        id,name,email,cohort
        s1,Sam One,s1@example.edu,fall-2026
        s2,Sue Two,s2@example.edu,spring-2027
        """, "--at", "2026-08-20T10:00")
    wp.json("complete", "s1", "welcome-call", "--at", "2026-08-21T10:00")
    before = {p: wp.show(p) for p in ("s1", "s2")}
    exported = wp.workdir / "exported.toml"
    wp.json("export", str(exported))
    assert wp.json("apply", str(exported), "--at", "2026-08-22T10:00")["changes"] == []
    assert {p: wp.show(p) for p in ("s1", "s2")} == before


def test_applying_twice_never_duplicates(wp: Waypoint):
    apply_example(wp)
    wp.people("id,name,cohort\ns1,Sam One,fall-2026\n")
    tables = ("staff", "staff_roles", "cohorts", "cohort_staff", "gates", "templates",
              "campaigns", "milestones", "milestone_cohorts", "prerequisites", "steps",
              "sessions", "progress", "memberships")
    before = {t: count(wp, t) for t in tables}
    apply_example(wp)
    wp.apply(EXAMPLE.read_text(encoding="utf-8"))  # the same file under another name
    assert {t: count(wp, t) for t in tables} == before
    assert before["milestones"] == 7 and before["sessions"] == 3 and before["cohorts"] == 3
    assert before["staff"] == 5  # the four of the file and the store's own admin


def test_a_file_may_declare_only_part_of_the_program(wp: Waypoint):
    apply_example(wp)
    payload = wp.apply("""\
        [[cohorts]]
        key = "summer-2027"
        name = "Summer 2027"
        parent = "onboarding"
        """)
    assert [(c["type"], c["key"], c["action"]) for c in payload["changes"]] == [
        ("cohort", "summer-2027", "created")]
    assert count(wp, "milestones") == 7  # what the file does not name is left alone


# -- updates ---------------------------------------------------------------------------------


def test_an_update_is_reported_as_updated_with_the_fields_that_changed(wp: Waypoint):
    apply_example(wp)
    text = EXAMPLE.read_text(encoding="utf-8")
    changed = text.replace('title = "Welcome call"', 'title = "Welcome phone call"').replace(
        'name = "Spring 2027"', 'name = "Spring term 2027"')
    assert changed != text
    changes = wp.apply(changed)["changes"]
    assert {"kind": "definition", "type": "milestone", "key": "welcome-call",
            "action": "updated", "fields": ["title"]} in changes
    assert {"kind": "definition", "type": "cohort", "key": "spring-2027",
            "action": "updated", "fields": ["name"]} in changes
    assert len(definitions(changes)) == 2
    assert 'title = "Welcome phone call"' in export(wp)
    assert count(wp, "milestones") == 7


def test_reordering_a_list_whose_order_means_nothing_is_no_change(wp: Waypoint):
    apply_example(wp)
    text = EXAMPLE.read_text(encoding="utf-8")
    swapped = text.replace('cohorts = ["fall-2026", "spring-2027"]',
                           'cohorts = ["spring-2027", "fall-2026"]')
    assert swapped != text
    assert wp.apply(swapped)["changes"] == []


# -- dry run ---------------------------------------------------------------------------------


PILOT_CHANGED = """\
    [program]
    name = "Pilot"
    timezone = "UTC"

    [[cohorts]]
    key = "c1"
    name = "Cohort one"

    [[milestones]]
    key = "intro"
    title = "Intro call"
    cohorts = ["c1"]
    complete_by = ["staff"]

    [[milestones]]
    key = "essay"
    title = "Essay"
    cohorts = ["c1"]
    after = ["intro"]
    due = { after_assignment = "21d" }

    [[milestones]]
    key = "survey"
    title = "Exit survey"
    cohorts = ["c1"]
    """


def pilot_with_two_people(wp: Waypoint) -> None:
    wp.apply(PILOT)
    wp.people("id,name,cohort\na1,Ada One,c1\na2,Abe Two,c1\n", "--at", "2026-09-01T12:00")
    wp.json("complete", "a2", "intro", "--at", "2026-09-02T12:00")
    assert wp.state("a1", "essay") == "open" and wp.show("a1")["essay"]["due"] == "2026-09-15"


def test_dry_run_lists_what_would_be_created_and_whose_dates_and_states_would_move(
        wp: Waypoint):
    pilot_with_two_people(wp)
    changes = wp.apply(PILOT_CHANGED, "--dry-run", "--at", "2026-09-03T12:00")["changes"]
    found = definitions(changes)
    assert set(found) == {("milestone", "essay"), ("milestone", "survey")}
    assert found["milestone", "essay"]["action"] == "updated"
    # `starts` follows `after` by default (on_assignment → after_prerequisites)
    assert sorted(found["milestone", "essay"]["fields"]) == ["after", "due", "starts"]
    assert found["milestone", "survey"]["action"] == "created"
    progress = [c for c in changes if c["kind"] == "progress"]
    # a1 has not done the intro, so the essay locks; a2 has, so it stays open
    assert any(c["person"] == "a1" and c["milestone"] == "essay" and c.get("from") == "open"
               and c.get("to") == "locked" for c in progress)
    assert not any(c["person"] == "a2" and c["milestone"] == "essay" and "to" in c
                   for c in progress)
    for person in ("a1", "a2"):
        assert any(c["person"] == person and c["milestone"] == "essay"
                   and c.get("due_from") == "2026-09-15" and c.get("due_to") == "2026-09-22"
                   for c in progress), person
        assert any(c["person"] == person and c["milestone"] == "survey"
                   and c.get("from") is None and c.get("to") == "open"
                   for c in progress), person


def test_dry_run_changes_nothing(wp: Waypoint):
    pilot_with_two_people(wp)
    text_before = export(wp)
    shown_before = {p: wp.show(p) for p in ("a1", "a2")}
    rows_before = {t: count(wp, t) for t in ("milestones", "progress", "progress_events",
                                                 "operations", "prerequisites")}
    wp.apply(PILOT_CHANGED, "--dry-run", "--at", "2026-09-03T12:00")
    assert export(wp) == text_before
    assert {p: wp.show(p) for p in ("a1", "a2")} == shown_before
    assert {t: count(wp, t) for t in rows_before} == rows_before


def test_a_dry_run_says_exactly_what_the_real_apply_then_does(wp: Waypoint):
    pilot_with_two_people(wp)
    dry = wp.apply(PILOT_CHANGED, "--dry-run", "--at", "2026-09-03T12:00")
    real = wp.apply(PILOT_CHANGED, "--at", "2026-09-03T12:00")
    assert dry["dry_run"] is True and real["dry_run"] is False
    assert dry["changes"] == real["changes"]
    assert wp.state("a1", "essay") == "locked" and wp.state("a2", "essay") == "open"
    assert wp.show("a2")["essay"]["due"] == "2026-09-22"
    assert wp.apply(PILOT_CHANGED, "--dry-run")["changes"] == []


def test_a_dry_run_of_what_the_store_already_says_is_empty(wp: Waypoint):
    apply_example(wp)
    assert apply_example(wp, "--dry-run") == {"ok": True, "dry_run": True, "changes": []}


# -- refused whole ---------------------------------------------------------------------------


BAD = """\
    [[cohorts]]
    key = "c2"
    name = "Cohort two"

    [[milestones]]
    key = "first"
    title = "First"
    cohorts = ["c2"]

    [[milestones]]
    key = "second"
    title = "Second"
    cohorts = ["c2"]
    due = { date = "the fifteenth" }
    """


def test_a_file_with_an_error_is_refused_whole_naming_file_line_and_key_path(wp: Waypoint):
    before = export(wp)
    path = wp.file(BAD)
    line = path.read_text().splitlines().index('due = { date = "the fifteenth" }') + 1
    code, out, err = wp.run("--json", "apply", str(path))
    assert code == 1
    assert '"ok": false' in out
    assert len(err.strip().splitlines()) == 1
    assert f"{path}:{line}:" in err
    assert "milestones[1].due" in err
    assert export(wp) == before
    assert count(wp, "cohorts") == 0 and count(wp, "milestones") == 0


def test_a_dry_run_of_a_bad_file_is_refused_too(wp: Waypoint):
    err = wp.refused("apply", str(wp.file(BAD)), "--dry-run")
    assert "milestones[1].due" in err


def test_a_refusal_found_while_applying_leaves_nothing_applied(wp: Waypoint):
    """The file parses, but it would take away the applying admin's own right to edit: the
    cohorts earlier in the file are not created either."""
    before = export(wp)
    err = wp.refused("apply", str(wp.file(f"""\
        [[staff]]
        email = "{ADMIN}"
        name = "Casey Coordinator"
        roles = ["advisor"]

        [[cohorts]]
        key = "c9"
        name = "Cohort nine"
        """)))
    assert "nothing was applied" in err
    assert export(wp) == before
    assert count(wp, "cohorts") == 0


def test_a_missing_file_is_refused(wp: Waypoint):
    err = wp.refused("apply", str(wp.workdir / "nowhere.toml"))
    assert "nowhere.toml" in err and "no such file" in err


# -- references -------------------------------------------------------------------------------


def test_a_reference_to_a_key_existing_only_in_the_store_is_accepted(wp: Waypoint):
    apply_example(wp)
    wp.people("id,name,cohort\ns1,Sam One,fall-2026\n")
    payload = wp.apply("""\
        [[milestones]]
        key = "follow-up"
        title = "Follow-up call"
        cohorts = ["fall-2026"]
        gate = "intake"
        after = ["welcome-call"]
        [milestones.on_complete]
        move_to = "spring-2027"
        email_template = "congrats"

        [[sessions]]
        key = "follow-up-day"
        title = "Follow-up day"
        milestone = "orientation-event"
        start = "2026-10-01T09:00"
        end = "2026-10-01T12:00"
        trainers = ["tess@example.edu"]
        """)
    assert set(definitions(payload["changes"])) == {("milestone", "follow-up"),
                                                    ("session", "follow-up-day")}
    follow_up = wp.show("s1")["follow-up"]
    assert follow_up["state"] == "locked" and follow_up["gate"] == "intake"
    assert "Welcome call" in follow_up["locked_reason"]
    assert count(wp, "milestones") == 8


def test_a_reference_to_a_key_existing_nowhere_is_refused(wp: Waypoint):
    apply_example(wp)
    err = wp.refused("apply", str(wp.file("""\
        [[milestones]]
        key = "follow-up"
        title = "Follow-up call"
        cohorts = ["fall-2026"]
        after = ["no-such-milestone"]
        """)))
    assert "milestones[0].after" in err and "no-such-milestone" in err
    assert count(wp, "milestones") == 7


# -- who may apply ----------------------------------------------------------------------------


STAFF = """\
    [[staff]]
    email = "avery@example.edu"
    name = "Avery Advisor"
    roles = ["advisor"]

    [[staff]]
    email = "ed@example.edu"
    name = "Ed Editor"
    roles = ["program_editor"]

    [[cohorts]]
    key = "c1"
    name = "Cohort one"
    """

ONE_MILESTONE = """\
    [[milestones]]
    key = "m1"
    title = "Milestone one"
    cohorts = ["c1"]
    """


def test_a_staff_member_without_an_editing_role_may_not_apply(wp: Waypoint):
    wp.apply(STAFF)
    before = export(wp)
    err = wp.refused("apply", str(wp.file(ONE_MILESTONE)), "--by", "avery@example.edu")
    assert "avery@example.edu" in err and "admin or a program editor" in err
    err = wp.refused("apply", str(wp.file(ONE_MILESTONE)), "--by", "avery@example.edu",
                     "--dry-run")
    assert "program editor" in err
    assert export(wp) == before


def test_a_participant_may_not_apply(wp: Waypoint):
    wp.apply(STAFF)
    wp.people("id,name,cohort\ns1,Sam One,c1\n")
    assert "may not change program definitions" in wp.refused(
        "apply", str(wp.file(ONE_MILESTONE)), "--by", "s1")
    assert count(wp, "milestones") == 0


def test_a_program_editor_may_apply(wp: Waypoint):
    wp.apply(STAFF)
    changes = wp.apply(ONE_MILESTONE, "--by", "ed@example.edu")["changes"]
    assert definitions(changes) == {("milestone", "m1"): {
        "kind": "definition", "type": "milestone", "key": "m1", "action": "created"}}


def test_an_unknown_actor_is_refused(wp: Waypoint):
    wp.apply(STAFF)
    err = wp.refused("apply", str(wp.file(ONE_MILESTONE)), "--by", "stranger@example.edu")
    assert "stranger@example.edu" in err


# -- keys that later features act on --------------------------------------------------------


def test_keys_later_features_act_on_survive_apply_and_export(wp: Waypoint):
    """Approval, optional triggers, reminders, surveys, activities, meeting matching and the
    sessions are stored by apply and written back by export just as the file said them."""
    apply_example(wp)
    original = parse_program(EXAMPLE.read_text(encoding="utf-8"), "example.toml")
    exported = parse_program(export(wp), "exported.toml")
    ours = {m.key: m for m in exported.milestones}
    assert [m.key for m in exported.milestones] == [m.key for m in original.milestones]
    for milestone in original.milestones:
        assert ours[milestone.key] == milestone, milestone.key
    orientation = ours["orientation"]
    assert orientation.approval is not None and orientation.approval.ready_deadline_days == 5
    assert len(orientation.reminders) == 3
    assert ours["executive-review"].optional is not None
    assert ours["workshops"].surveys and ours["workshops"].activities

    def instant(session):  # the same instant, whichever zone the export writes it in
        return replace(session, start=session.start.astimezone(UTC),
                       end=session.end and session.end.astimezone(UTC))

    assert [instant(s) for s in exported.sessions] == [instant(s) for s in original.sessions]
    assert exported.templates == original.templates
    assert sorted(exported.campaigns, key=str) == sorted(original.campaigns, key=str)
    assert exported.gates == original.gates


def test_a_change_to_an_approval_key_is_an_update_of_that_field(wp: Waypoint):
    apply_example(wp)
    text = EXAMPLE.read_text(encoding="utf-8")
    changed = text.replace('approval_deadline = "10d"', 'approval_deadline = "12d"')
    assert changed != text
    changes = wp.apply(changed)["changes"]
    assert changes == [{"kind": "definition", "type": "milestone", "key": "orientation",
                        "action": "updated", "fields": ["approval"]}]
    assert 'approval_deadline = "12d"' in export(wp)


# -- init, exit statuses and JSON shapes ------------------------------------------------------


def test_init_makes_the_named_user_an_admin_and_is_idempotent(wp: Waypoint):
    payload = wp.json("init", "--user", ADMIN)
    assert payload == {"ok": True, "db": str(wp.db), "user": ADMIN, "changes": []}
    assert count(wp, "staff") == 1
    with closing(sqlite3.connect(wp.db)) as sql:
        assert sql.execute("SELECT role FROM staff_roles").fetchall() == [("admin",)]


def test_init_creates_a_new_store_file(tmp_path: Path):
    fresh = Waypoint(tmp_path / "new" / "store.sqlite3", tmp_path)
    (tmp_path / "new").mkdir()
    payload = fresh.json("init", "--user", "Pat@Example.edu", "--name", "Pat")
    assert payload["user"] == "pat@example.edu"
    assert fresh.db.exists()
    assert fresh.json("apply", str(fresh.file(STAFF)))["ok"] is True


def test_exit_statuses_are_0_done_1_refused_2_wrong_usage(wp: Waypoint):
    assert wp.run("apply", str(wp.file(STAFF)))[0] == 0
    code, out, err = wp.run("apply", str(wp.file(BAD)))
    assert code == 1 and out == "" and err.startswith("waypoint: ")
    assert wp.run("apply")[0] == 2  # FILE missing
    assert wp.run("apply", str(wp.file(STAFF)), "--no-such-flag")[0] == 2
    assert wp.run("no-such-verb")[0] == 2


def test_text_output_summarizes_what_apply_did(wp: Waypoint):
    code, out, _ = wp.run("apply", str(wp.file(STAFF)), "--dry-run")
    assert code == 0 and "cohort c1 would be created" in out
    code, out, _ = wp.run("apply", str(wp.file(STAFF)))
    assert code == 0 and "cohort c1 was created" in out
    code, out, _ = wp.run("apply", str(wp.file(STAFF)))
    assert code == 0 and out.startswith("Nothing to change")
