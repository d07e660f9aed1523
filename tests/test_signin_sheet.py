"""The sign-in sheet, driven from the command line.

A session's roster prints to PDF for a room without a laptop (one sheet per day of a
several-day session, everyone registered, by name, blank lines for walk-ins) with a CSV
template beside it; the marked sheet comes back through `marks`, all rows or none, with the
same attendance and no-show rules as `attend` and `noshow`.
"""

from __future__ import annotations

import csv
from pathlib import Path

from conftest import Waypoint
from pypdf import PdfReader

from app.models.store import open_store
from app.services import pdf_fonts, signin_sheet

TRAINER = "tess@example.edu"  # trainer of both sessions
FINANCE = "lee@example.edu"  # staff, but neither trainer nor cohort staff

PROGRAM = """\
[program]
name = "Sheets"
timezone = "America/Chicago"

[[staff]]
email = "tess@example.edu"
name = "Tess Trainer"
roles = ["trainer"]
[[staff]]
email = "lee@example.edu"
name = "Lee Finance"
roles = ["finance"]

[[cohorts]]
key = "fall-2026"
name = "Fall 2026"

[[milestones]]
key = "orientation-event"
title = "Orientation"
kind = "event"
cohorts = ["fall-2026"]
complete_by = ["registration"]

[[milestones]]
key = "checkin"
title = "First check-in"
kind = "meeting"
cohorts = ["fall-2026"]
complete_by = ["attendance"]

[[sessions]]
key = "orientation-days"
title = "Orientation days"
milestone = "orientation-event"
start = "2026-09-01T09:00"
end = "2026-09-02T16:00"
location = "Hall B"
trainers = ["tess@example.edu"]

[[sessions]]
key = "checkin-1"
title = "First check-in"
milestone = "checkin"
start = "2026-09-03T10:00"
end = "2026-09-03T11:00"
location = "Room 12"
trainers = ["tess@example.edu"]
"""

PEOPLE = """\
id,name,email,cohort
p1,Pat Lee,pat@example.edu,fall-2026
p2,Rae Kim,rae@example.edu,fall-2026
p3,Ann Zed,ann@example.edu,fall-2026
p4,Quinn Door,quinn@example.edu,fall-2026
"""

HEADER = "id,name,day,join,leave,status\n"
AFTER = "2026-09-03T12:00"  # when the check-in's sheet is typed in


def setup(wp: Waypoint) -> None:
    """Pat, Rae and Ann register for both sessions; Quinn registers for neither."""
    wp.apply(PROGRAM, "--at", "2026-08-15T10:00")
    wp.people(PEOPLE, "--at", "2026-08-20T10:00")
    for person in ("p2", "p1", "p3"):
        for session in ("orientation-days", "checkin-1"):
            wp.json("register", person, session, "--at", "2026-08-25T10:00")


def pages(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def sheet(wp: Waypoint, session: str, *extra: str) -> tuple[list[str], list[dict[str, str]]]:
    """Print the sheet and its template; the PDF's text per page, and the template's rows."""
    pdf, template = wp.workdir / f"{session}.pdf", wp.workdir / f"{session}.csv"
    wp.json("sheet", session, str(pdf), "--csv", str(template), *extra)
    with template.open(newline="", encoding="utf-8-sig") as handle:
        return pages(pdf), list(csv.DictReader(handle))


def marks(wp: Waypoint, session: str, text: str, *extra: str) -> dict:
    return wp.json("marks", session, str(wp.file(HEADER + text, ".csv")), "--by", TRAINER,
                   "--at", AFTER, *extra)


# 1. the sheet ------------------------------------------------------------------------------


def test_the_sign_in_sheet_lists_everyone_registered_by_name(wp):
    setup(wp)
    [text], _ = sheet(wp, "checkin-1")
    assert "First check-in" in text and "Room 12" in text and "Tess Trainer" in text
    assert "Thursday 3 September 2026" in text and "10:00-11:00" in text
    names = [text.index(name) for name in ("Ann Zed", "Pat Lee", "Rae Kim")]
    assert names == sorted(names), text
    assert "Quinn Door" not in text  # not registered
    for column in ("Name", "ID", "Signature", "Time in", "Time out"):
        assert column in text


def test_a_recorded_no_show_stays_on_the_sheet_marked(wp):
    setup(wp)
    wp.json("noshow", "p2", "checkin-1", "--by", TRAINER, "--at", "2026-09-03T11:30")
    [text], rows = sheet(wp, "checkin-1")
    assert "Rae Kim (no-show)" in text
    assert {r["id"]: r["status"] for r in rows} == {"p1": "", "p2": "absent", "p3": ""}


def test_a_several_day_session_prints_one_sheet_per_day(wp):
    setup(wp)
    texts, rows = sheet(wp, "orientation-days")
    assert len(texts) == 2
    assert "Day 1 of 2: Tuesday 1 September 2026" in texts[0]
    assert "Day 2 of 2: Wednesday 2 September 2026" in texts[1]
    for text in texts:
        assert all(name in text for name in ("Ann Zed", "Pat Lee", "Rae Kim"))
    assert [(r["id"], r["day"]) for r in rows] == [
        ("p3", "2026-09-01"), ("p1", "2026-09-01"), ("p2", "2026-09-01"),
        ("p3", "2026-09-02"), ("p1", "2026-09-02"), ("p2", "2026-09-02")]


def test_one_day_of_a_several_day_session_can_be_printed_alone(wp):
    setup(wp)
    texts, rows = sheet(wp, "orientation-days", "--day", "2026-09-02")
    assert len(texts) == 1 and "Day 2 of 2" in texts[0]
    assert {r["day"] for r in rows} == {"2026-09-02"}
    assert "not one of its days" in wp.refused(
        "sheet", "orientation-days", str(wp.workdir / "x.pdf"), "--day", "2026-09-05")


def test_a_long_roster_repeats_the_heading_on_every_page(wp):
    setup(wp)
    many = "".join(f"q{n},Person {n:02d},q{n}@example.edu,fall-2026\n" for n in range(40))
    wp.people("id,name,email,cohort\n" + many, "--at", "2026-08-20T10:00")
    for n in range(40):
        wp.json("register", f"q{n}", "checkin-1", "--at", "2026-08-25T10:00")
    texts, _ = sheet(wp, "checkin-1")
    assert len(texts) >= 2
    for text in texts:
        assert "Sign-in sheet: First check-in" in text and "Time in" in text
    assert "Person 39" in texts[-1]


def test_the_sheet_prints_without_a_unicode_font_too(wp, monkeypatch):
    setup(wp)
    monkeypatch.setattr(pdf_fonts, "UNICODE_FONTS", ())
    store = open_store(wp.db)
    try:
        with store.session() as session:
            roster = signin_sheet.roster(session, "checkin-1")
    finally:
        store.close()
    path = wp.workdir / "plain.pdf"
    path.write_bytes(signin_sheet.render_pdf(roster, paper="a4"))
    assert "Pat Lee" in pages(path)[0]


def test_an_unknown_session_has_no_sheet(wp):
    setup(wp)
    assert "nowhere" in wp.refused("sheet", "nowhere", str(wp.workdir / "x.pdf"))


# 2. the marked sheet back ------------------------------------------------------------------


def test_a_marked_sheet_imported_back_records_attendance_with_join_times_and_completes_the_meeting_milestone(wp):  # noqa: E501
    setup(wp)
    result = marks(wp, "checkin-1", "p1,Pat Lee,2026-09-03,10:02,10:55,present\n"
                                    "p3,Ann Zed,2026-09-03,,,present\n"
                                    "p2,Rae Kim,2026-09-03,,,\n")
    assert wp.state("p1", "checkin") == "complete"
    assert wp.state("p3", "checkin") == "open"  # present without a join time counts for nothing
    assert wp.state("p2", "checkin") == "open"  # not marked at all
    attended = [c for c in result["changes"] if c["kind"] == "attendance"]
    assert {c["person"] for c in attended} == {"p1", "p3"}
    _, rows = sheet(wp, "checkin-1")
    assert {r["id"]: (r["join"], r["leave"], r["status"]) for r in rows}["p1"] == (
        "10:02", "10:55", "present")


def test_times_on_the_sheet_are_read_in_the_programs_zone(wp):
    setup(wp)
    result = marks(wp, "checkin-1", "p1,Pat Lee,,10:05 am,10.58,present\n")
    [change] = [c for c in result["changes"] if c["kind"] == "attendance"]
    assert change["join"] == "2026-09-03T15:05:00+00:00"  # Chicago is UTC-5 in September
    assert change["leave"] == "2026-09-03T15:58:00+00:00"
    assert change["day"] == "2026-09-03"  # a one-day session's day may be left out


def test_an_absent_mark_on_the_sheet_records_a_no_show_and_reopens_the_event_milestone(wp):
    setup(wp)
    assert wp.state("p1", "orientation-event") == "complete"
    marks(wp, "orientation-days", "p1,Pat Lee,2026-09-01,,,absent\n"
                                  "p1,Pat Lee,2026-09-02,,,absent\n"
                                  "p2,Rae Kim,2026-09-01,,,absent\n"
                                  "p2,Rae Kim,2026-09-02,09:10,16:00,present\n")
    assert wp.state("p1", "orientation-event") == "open"
    alerts = wp.json("alerts")["alerts"]
    assert [a["person"] for a in alerts if a["kind"] == "no_show"] == ["p1"]
    # absent from one day of two is not a no-show: Rae came on the second
    assert wp.state("p2", "orientation-event") == "complete"


def test_a_walk_in_written_on_the_sheet_is_registered_at_the_door(wp):
    setup(wp)
    assert wp.state("p4", "orientation-event") == "open"
    marks(wp, "orientation-days", "p4,Quinn Door,2026-09-01,09:20,,\n")
    assert wp.state("p4", "orientation-event") == "complete"
    texts, _ = sheet(wp, "orientation-days")
    assert "Quinn Door" in texts[0]


def test_a_walk_in_may_be_written_by_email(wp):
    setup(wp)
    marks(wp, "checkin-1", "quinn@example.edu,Quinn Door,2026-09-03,10:15,,\n")
    assert wp.state("p4", "checkin") == "complete"


def test_a_sheet_with_a_bad_row_changes_nothing_and_names_the_line(wp):
    setup(wp)
    err = wp.refused("marks", "orientation-days", str(wp.file(
        HEADER
        + "p1,Pat Lee,2026-09-01,09:05,,present\n"  # line 2: fine
        + "zz,Nobody,2026-09-01,09:05,,present\n"  # 3: unknown participant
        + "p2,Rae Kim,2026-09-01,9:75,,present\n"  # 4: bad time
        + "p3,Ann Zed,2026-09-05,09:00,,present\n"  # 5: a day outside the session
        + "p4,Quinn Door,2026-09-01,,,late\n"  # 6: unknown status
        + "p2,Rae Kim,2026-09-02,11:00,10:00,present\n"  # 7: joined after leaving
        + "p3,Ann Zed,,09:00,,present\n"  # 8: which day of two?
        + "p1,Pat Lee,2026-09-01,10:00,,present\n",  # 9: Pat twice on day 1
        ".csv")), "--by", TRAINER, "--at", AFTER)
    lines = err.strip().splitlines()
    for number, words in ((3, "'zz'"), (4, "9:75"), (5, "2026-09-05"), (6, "'late'"),
                          (7, "before joining"), (8, "day is missing"), (9, "twice")):
        assert any(f"line {number}:" in line and words in line for line in lines), (number, err)
    assert not any("line 2:" in line for line in lines)
    assert len(lines) == 7
    assert wp.state("p1", "orientation-event") == "complete"
    _, rows = sheet(wp, "orientation-days")
    assert all(r["join"] == "" and r["status"] == "" for r in rows)  # nothing recorded


def test_an_absent_mark_for_someone_not_registered_changes_nothing(wp):
    setup(wp)
    err = wp.refused("marks", "checkin-1", str(wp.file(
        HEADER + "p1,Pat Lee,,10:00,,present\np4,Quinn Door,,,,absent\n", ".csv")),
        "--by", TRAINER, "--at", AFTER)
    assert "line 3:" in err and "not registered" in err
    assert wp.state("p1", "checkin") == "open"


def test_only_those_who_may_mark_attendance_may_import_a_sheet(wp):
    setup(wp)
    err = wp.refused("marks", "checkin-1", str(wp.file(
        HEADER + "p1,Pat Lee,,10:00,,present\n", ".csv")), "--by", FINANCE, "--at", AFTER)
    assert "line 2:" in err and FINANCE in err
    assert wp.state("p1", "checkin") == "open"


def test_the_template_imported_back_unchanged_changes_nothing(wp):
    setup(wp)
    marks(wp, "checkin-1", "p1,Pat Lee,,10:02,10:55,present\np2,Rae Kim,,,,absent\n")
    template = wp.workdir / "again.csv"
    wp.json("sheet", "checkin-1", str(wp.workdir / "again.pdf"), "--csv", str(template))
    result = wp.json("marks", "checkin-1", str(template), "--by", TRAINER, "--at", AFTER)
    assert result["changes"] == []


def test_a_sheet_nobody_marked_is_refused(wp):
    setup(wp)
    template = wp.workdir / "blank.csv"
    wp.json("sheet", "checkin-1", str(wp.workdir / "blank.pdf"), "--csv", str(template))
    assert "nobody is marked" in wp.refused("marks", "checkin-1", str(template),
                                            "--by", TRAINER, "--at", AFTER)
