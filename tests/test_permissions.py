"""Permissions: roles map to permissions (edit programs, approve, mark attendance, see
restricted milestones, export, administer) through the program file's `[permissions]`; the
command function enforces them, and a restricted milestone stays out of every output for a
user without the role.

The program: cohort fall (Avery, an advisor, is its staff); welcome, then "Financial aid
review" (aid), restricted to finance and approved by finance or the cohort's staff; sessions
orientation (for welcome, trained by Tara) and the aid briefing (for aid). Reg is a registrar,
Lee is finance, Ed an editor, Dee a director.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from conftest import ADMIN, Waypoint

from app.models.store import open_store
from app.services.access import restrict, viewer_for
from app.services.queries.program_view import editor_context

AVERY, LEE, REG, TARA, ED, DEE = ("avery@example.edu", "lee@example.edu", "reg@example.edu",
                                  "tara@example.edu", "ed@example.edu", "dee@example.edu")
AID = "Financial aid"  # how the restricted milestone and its session are named

PROGRAM = """\
[program]
name = "Permissions"
timezone = "UTC"

[[staff]]
email = "avery@example.edu"
name = "Avery Advisor"
roles = ["advisor"]
[[staff]]
email = "lee@example.edu"
name = "Lee Finance"
roles = ["finance"]
[[staff]]
email = "reg@example.edu"
name = "Reg Istrar"
roles = ["registrar"]
[[staff]]
email = "tara@example.edu"
name = "Tara Trainer"
roles = ["trainer"]
[[staff]]
email = "ed@example.edu"
name = "Ed Editor"
roles = ["editor"]
[[staff]]
email = "dee@example.edu"
name = "Dee Director"
roles = ["director"]

[[cohorts]]
key = "fall"
name = "Fall"
staff = ["avery@example.edu"]

[[milestones]]
key = "welcome"
title = "Welcome call"
cohorts = ["fall"]
complete_by = ["request"]

[[milestones]]
key = "aid"
title = "Financial aid review"
cohorts = ["fall"]
complete_by = ["request"]
visible_to = ["finance"]
due = { date = "2026-09-08" }
escalate_after = "2d"
reminders = [{ before_due = "3d" }]
[milestones.approval]
approvers = { roles = ["finance"], cohort_staff = true }
notify = ["lee@example.edu"]

[[sessions]]
key = "orientation"
title = "Orientation"
milestone = "welcome"
start = "2026-09-03T10:00"
end = "2026-09-03T11:00"
trainers = ["tara@example.edu"]

[[sessions]]
key = "aid-briefing"
title = "Financial aid briefing"
milestone = "aid"
start = "2026-09-04T10:00"
end = "2026-09-04T11:00"
"""


def setup(wp: Waypoint, permissions: str = "") -> None:
    wp.apply(permissions + PROGRAM, "--at", "2026-09-01T08:00")
    wp.people("id,name,email,cohort\ns1,Sam One,s1@example.edu,fall\n"
              "s2,Robin Two,s2@example.edu,fall\n", "--at", "2026-09-01T09:00")


def history(wp: Waypoint) -> None:
    """Sam's aid is approved by Lee; Robin's waits; the scheduler runs past the due date."""
    wp.json("submit", "s1", "aid", "--by", "s1", "--at", "2026-09-02T09:00")
    wp.json("approve", "s1", "aid", "--by", LEE, "--at", "2026-09-03T09:00")
    wp.json("submit", "s2", "aid", "--by", "s2", "--at", "2026-09-03T09:00")
    wp.json("submit", "s2", "welcome", "--by", "s2", "--at", "2026-09-03T09:00")
    wp.json("register", "s1", "aid-briefing", "--at", "2026-09-03T09:00")
    wp.json("register", "s1", "orientation", "--at", "2026-09-03T09:00")
    for day in range(4, 12):
        wp.json("tick", "--now", f"2026-09-{day:02d}T09:00")


def output(wp: Waypoint, *argv: str) -> str:
    """What a verb prints, text and JSON, and what it wrote."""
    code, out, err = wp.run(*argv)
    _, out_json, _ = wp.run("--json", *argv)
    return out + out_json + err


def test_without_a_permissions_table_staff_approve_mark_attendance_and_export(wp: Waypoint):
    setup(wp)
    wp.json("submit", "s1", "welcome", "--by", "s1", "--at", "2026-09-02T09:00")
    # Avery is fall's staff: the welcome call's approver by default.
    wp.json("approve", "s1", "welcome", "--by", AVERY, "--at", "2026-09-02T10:00")
    wp.json("register", "s2", "orientation")
    wp.json("attend", "s2", "orientation", "--join", "2026-09-03T10:00", "--by", TARA)
    assert "[[milestones]]" in output(wp, "export", "-", "--by", REG)
    assert wp.state("s1", "welcome") == "complete"


def test_only_roles_holding_approve_may_approve(wp: Waypoint):
    setup(wp, '[permissions]\napprove = ["finance"]\n\n')
    wp.json("submit", "s1", "welcome", "--by", "s1", "--at", "2026-09-02T09:00")
    # Avery is still fall's staff, but advisors no longer approve.
    err = wp.refused("approve", "s1", "welcome", "--by", AVERY)
    assert "avery@example.edu" not in err.split(":", 2)[-1].split("may")[0]
    assert wp.json("inbox", "--as", AVERY)["items"] == []
    assert wp.state("s1", "welcome") == "submitted"
    # An admin still may (admins hold every permission).
    wp.json("approve", "s1", "welcome", "--by", ADMIN, "--note", "covering")
    assert wp.state("s1", "welcome") == "complete"
    # Lee approves aid as finance.
    wp.json("submit", "s1", "aid", "--by", "s1")
    assert [i["milestone"] for i in wp.json("inbox", "--as", LEE)["items"]] == ["aid"]
    wp.json("approve", "s1", "aid", "--by", LEE)
    assert wp.state("s1", "aid") == "complete"


def test_only_roles_holding_mark_attendance_may_mark_attendance(wp: Waypoint):
    setup(wp, '[permissions]\nmark_attendance = ["trainer"]\n\n')
    wp.json("register", "s1", "orientation")
    err = wp.refused("attend", "s1", "orientation", "--join", "2026-09-03T10:00", "--by", AVERY)
    assert "avery@example.edu may not mark attendance" in err
    assert "role trainer" in err
    assert "may not mark attendance" in wp.refused("noshow", "s1", "orientation", "--by", AVERY)
    wp.json("attend", "s1", "orientation", "--join", "2026-09-03T10:00", "--by", TARA)
    sessions = wp.json("sessions", "--person", "s1")["sessions"]
    assert [s["participant"]["status"] for s in sessions if s["key"] == "orientation"] == [
        "attended"]


def test_only_roles_holding_edit_programs_may_change_the_program(wp: Waypoint):
    setup(wp, '[permissions]\nedit_programs = ["advisor"]\n\n')
    change = '[[cohorts]]\nkey = "spring"\nname = "Spring"\n'
    err = wp.refused("apply", str(wp.file(change)), "--by", ED)
    assert "ed@example.edu may not change program definitions" in err
    assert "role advisor" in err
    wp.apply(change, "--by", AVERY)
    assert "spring" in output(wp, "export", "-")


def test_a_file_that_takes_away_your_own_right_to_edit_is_refused(wp: Waypoint):
    setup(wp, '[permissions]\nedit_programs = ["advisor"]\n\n')
    err = wp.refused("apply", str(wp.file('[permissions]\nedit_programs = ["finance"]\n')),
                     "--by", AVERY)
    assert "takes away your own right to change the program" in err
    assert 'edit_programs = ["advisor"]' in output(wp, "export", "-")


def test_exporting_takes_the_export_permission(wp: Waypoint, tmp_path: Path):
    setup(wp, '[permissions]\nexport = ["finance"]\n\n')
    out = tmp_path / "out"
    code, printed, err = wp.run("report", "activity", "--csv", "--by", AVERY)
    assert code == 1 and not printed and "avery@example.edu may not export data" in err
    for argv in (("export", str(out / "program.toml")),
                 ("report", "activity", "--out", str(out / "activity.xlsx")),
                 ("warehouse", str(out / "warehouse")),
                 ("calendar", "--cohort", "fall", str(out / "fall.ics"))):
        err = wp.refused(*argv, "--by", AVERY)
        assert "avery@example.edu may not export data: that takes an admin or an exporter " \
               "(role finance)" in err, argv
    assert not (out / "program.toml").exists() and not (out / "activity.xlsx").exists()
    assert not (out / "fall.ics").exists()
    # Reading a report on screen is not exporting it.
    assert wp.json("report", "activity", "--by", AVERY)["rows"]
    wp.json("report", "activity", "--out", str(tmp_path / "activity.xlsx"), "--by", LEE)
    assert (tmp_path / "activity.xlsx").exists()


def test_administering_takes_the_administer_permission(wp: Waypoint):
    setup(wp, '[permissions]\nadminister = ["director"]\n\n')
    err = wp.refused("retention", "--years", "3", "--dry-run", "--by", AVERY)
    assert "avery@example.edu may not administer this store" in err
    assert "role director" in err
    assert "may not administer" in wp.refused("mail-setup", "--host", "smtp.example.edu",
                                              "--by", AVERY)
    assert wp.json("retention", "--years", "3", "--dry-run", "--by", DEE)["dry_run"] is True


def test_the_access_review_shows_the_permissions_each_role_gives(wp: Waypoint):
    setup(wp, '[permissions]\napprove = ["finance"]\nexport = []\nsee_restricted = '
              '["registrar"]\n\n')
    rows = {r[0]: r[3] for r in wp.json("report", "access")["rows"]}
    assert rows[AVERY] == "mark_attendance"
    assert rows[LEE] == "approve, mark_attendance"
    assert rows[REG] == "mark_attendance, see_restricted"
    assert rows[ED] == "edit_programs, mark_attendance"
    assert rows[ADMIN] == ("administer, approve, edit_programs, export, mark_attendance, "
                           "see_restricted")


def test_a_permissions_table_naming_an_unknown_permission_is_refused(wp: Waypoint):
    setup(wp)
    err = wp.refused("apply", str(wp.file('[permissions]\napprov = ["finance"]\n')))
    assert "permissions.approv: unknown key 'approv' (did you mean 'approve'?)" in err
    assert ":2:" in err  # the line it is on
    assert "[permissions]" not in output(wp, "export", "-")


def test_the_permissions_table_comes_back_from_export_and_in_versions(wp: Waypoint):
    setup(wp, '[permissions]\napprove = ["finance", "advisor"]\nexport = []\n\n')
    exported = output(wp, "export", "-")
    assert '[permissions]\napprove = ["finance", "advisor"]\nexport = []\n' in exported
    wp.apply('[permissions]\napprove = ["finance"]\n')
    diff = wp.json("versions", "diff", "1", "2")["diff"]
    assert '-approve = ["finance", "advisor"]' in diff and '+approve = ["finance"]' in diff
    assert '-export = []' in diff  # a permission left out goes back to its default


def test_a_restricted_milestone_is_absent_from_every_output_for_a_user_without_the_role(
        wp: Waypoint, tmp_path: Path):
    setup(wp)
    history(wp)
    reports = ("activity", "cycle-time", "impact", "time-in-milestone", "sla", "funnel",
               "time-to-complete", "at-risk", "access")

    def everything(who: str, folder: Path) -> str:
        seen = [
            output(wp, "show", "s1", "--by", who), output(wp, "show", "s2", "--by", who),
            output(wp, "gates", "s1", "--by", who),
            output(wp, "inbox", "--as", who, "--evidence"),
            output(wp, "outbox", "--by", who), output(wp, "alerts", "--all", "--by", who),
            output(wp, "cohort", "fall", "--by", who),
            output(wp, "sessions", "--by", who), output(wp, "sessions", "--person", "s1",
                                                        "--by", who),
            output(wp, "calendar", "--cohort", "fall", "-", "--by", who),
            output(wp, "calendar", "--person", "s1", "-", "--by", who),
            output(wp, "audit", "--as", who, "--limit", "0"),
            output(wp, "versions", "--by", who),
            output(wp, "versions", "show", "1", "--by", who),
            output(wp, "export", "-", "--by", who),
            *(output(wp, "report", name, "--by", who) for name in reports),
            *(output(wp, "report", name, "--csv", "--by", who) for name in reports),
        ]
        wp.json("warehouse", str(folder / "warehouse"), "--full", "--by", who)
        wp.json("warehouse", str(folder / "warehouse-jsonl"), "--full", "--format", "jsonl",
                "--by", who)
        wp.json("report", "cycle-time", "--out", str(folder / "cycle.csv"), "--by", who)
        seen += [path.read_text(encoding="utf-8") for path in sorted(folder.rglob("*"))
                 if path.suffix in (".csv", ".jsonl", ".json")]
        return "\n".join(seen)

    (tmp_path / "reg").mkdir()
    (tmp_path / "lee").mkdir()
    hidden = everything(REG, tmp_path / "reg")
    seen = everything(LEE, tmp_path / "lee")
    # Lee (finance) sees aid everywhere it is; Reg nowhere: not its key, title or session.
    assert seen.count(AID) > 20 and '"aid"' in seen
    assert AID not in hidden
    assert re.search(r"\baid\b", hidden) is None, re.search(r".{80}\baid\b.{80}", hidden)
    # Reg still sees the rest.
    assert "Welcome call" in hidden and "Orientation" in hidden
    # Named by someone who does not see it, it is not there.
    assert "There is no session 'aid-briefing'." in wp.refused(
        "sheet", "aid-briefing", str(tmp_path / "sheet.pdf"), "--by", REG)
    assert "There is no milestone 'aid'" in wp.refused("responses", "aid", "--by", REG)
    assert "There is no milestone 'aid'" in wp.refused("sessions", "--milestone", "aid",
                                                       "--by", REG)
    # Versions name every milestone: a user who may not see them all is told so.
    assert "Program versions name every milestone, restricted ones too" in output(
        wp, "versions", "--by", REG)


def test_a_restricted_milestone_counts_nowhere_in_the_reports_of_a_user_without_the_role(
        wp: Waypoint):
    setup(wp)
    history(wp)
    for name in ("activity", "cycle-time", "time-in-milestone", "sla"):
        rows = wp.json("report", name, "--by", REG)["rows"]
        assert all("aid" not in row for row in rows), name
        assert any("aid" in row for row in wp.json("report", name, "--by", LEE)["rows"]), name
    # Activity counts welcome for both participants either way.
    welcome = [r for r in wp.json("report", "activity", "--by", REG)["rows"] if r[1] == "welcome"]
    assert welcome[0][-1] == 2


def test_a_command_naming_a_restricted_milestone_is_refused_as_unknown(wp: Waypoint):
    setup(wp)
    assert "There is no milestone 'aid'." in wp.refused("complete", "s1", "aid", "--by", REG)
    assert "There is no milestone 'aid'." in wp.refused("extend", "s1", "aid", "--until",
                                                        "2026-10-01", "--by", AVERY)
    assert wp.state("s1", "aid") == "open"
    wp.json("complete", "s1", "aid", "--by", LEE)
    assert wp.state("s1", "aid") == "complete"


def test_a_participant_sees_their_own_restricted_milestone_and_no_one_elses_record(
        wp: Waypoint):
    setup(wp)
    assert "aid" in {m["key"] for m in wp.json("show", "s1", "--by", "s1")["milestones"]}
    assert "may read their own record only" in wp.refused("show", "s2", "--by", "s1")
    assert "may read their own record only" in wp.refused("report", "activity", "--by", "s1")
    # And a participant submits their own restricted milestone.
    wp.json("submit", "s1", "aid", "--by", "s1")
    assert wp.state("s1", "aid") == "submitted"


def test_see_restricted_shows_every_restricted_milestone(wp: Waypoint):
    setup(wp, '[permissions]\nsee_restricted = ["registrar"]\n\n')
    assert "aid" in {m["key"] for m in wp.json("show", "s1", "--by", REG)["milestones"]}
    assert "aid" not in {m["key"] for m in wp.json("show", "s1", "--by", AVERY)["milestones"]}
    wp.json("complete", "s1", "aid", "--by", REG)
    assert wp.state("s1", "aid") == "complete"


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_warehouse_export_for_a_user_without_the_role_leaves_out_its_rows(
        wp: Waypoint, tmp_path: Path, fmt: str):
    setup(wp)
    history(wp)
    batch = wp.json("warehouse", str(tmp_path / "w"), "--format", fmt, "--by", REG)
    text = (tmp_path / "w" / batch["files"]["progress"]).read_text(encoding="utf-8")
    if fmt == "csv":
        milestones = {row["milestone"] for row in csv.DictReader(text.splitlines())}
    else:
        milestones = {json.loads(line)["milestone"] for line in text.splitlines()}
    assert milestones == {"welcome"}


def test_an_editor_who_may_not_see_a_milestone_keeps_its_links_when_applying_their_export(
        wp: Waypoint, tmp_path: Path):
    setup(wp)
    wp.apply('[[milestones]]\nkey = "plan"\ntitle = "Payment plan"\ncohorts = ["fall"]\n'
             'after = ["welcome", "aid"]\n')
    mine = tmp_path / "ed.toml"
    wp.json("export", str(mine), "--by", ED)
    assert AID not in mine.read_text(encoding="utf-8")
    assert 'after = ["welcome"]' in mine.read_text(encoding="utf-8")
    wp.json("apply", str(mine), "--by", ED)
    # The payment plan still waits for the aid review, which Ed never saw.
    wp.json("complete", "s1", "welcome")
    plan = [m for m in wp.json("show", "s1")["milestones"] if m["key"] == "plan"][0]
    assert plan["state"] == "locked" and AID in plan["locked_reason"]
    err = wp.refused("apply", str(wp.file('[[milestones]]\nkey = "aid"\ntitle = "Mine"\n'
                                          'cohorts = ["fall"]\n')), "--by", ED)
    assert "milestones[0].key: 'aid' is the key of a milestone ed@example.edu may not see" in err


def test_the_milestone_editor_lists_prerequisites_without_the_ones_hidden_from_the_editor(
        wp: Waypoint):
    setup(wp)
    wp.apply('[[milestones]]\nkey = "plan"\ntitle = "Payment plan"\ncohorts = ["fall"]\n'
             'after = ["welcome", "aid"]\n')
    store = open_store(wp.db)
    try:
        with store.session() as session:
            restrict(session, viewer_for(session, ED).hidden)
            context = editor_context(session, "milestones", "plan")
        with store.session() as session:
            restrict(session, viewer_for(session, LEE).hidden)
            seen = editor_context(session, "milestones", "plan")
    finally:
        store.close()
    assert context.links["plan"] == ["welcome"]
    assert sorted(seen.links["plan"]) == ["aid", "welcome"]
