"""Calendars: the iCalendar file parses back and holds every session and due date."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from icalendar import Calendar

CONTRACT_EXAMPLE = Path(__file__).resolve().parents[1] / "resources/programs/student-success.toml"


def events(path: Path) -> dict[str, object]:
    calendar = Calendar.from_ical(path.read_bytes())
    return {str(e.get("summary")): e for e in calendar.walk("VEVENT")}


def test_a_participants_calendar_holds_their_sessions_and_due_dates(wp, tmp_path):
    wp.json("apply", str(CONTRACT_EXAMPLE))
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall-2026\n",
              "--at", "2026-08-20T10:00")
    out = tmp_path / "pat.ics"
    wp.json("calendar", "--person", "p1", str(out))
    found = events(out)
    assert {"Orientation day", "Workshop 1", "Workshop 2"} <= set(found)
    dues = {title: e for title, e in found.items() if title.startswith("Due: ")}
    shown = {m["title"]: m["due"] for m in wp.json("show", "p1")["milestones"] if m["due"]}
    assert {title.removeprefix("Due: ") for title in dues} == set(shown)
    for title, due in shown.items():
        assert dues[f"Due: {title}"].decoded("dtstart") == date.fromisoformat(due)
    orientation = found["Orientation day"]
    assert str(orientation.get("location")) == "Hall B"
    assert orientation.decoded("dtstart") == datetime.fromisoformat("2026-09-01T09:00:00-05:00")


def test_a_cohorts_calendar_holds_its_sessions_and_fixed_due_dates(wp, tmp_path):
    wp.json("apply", str(CONTRACT_EXAMPLE))
    out = tmp_path / "fall.ics"
    wp.json("calendar", "--cohort", "fall-2026", str(out))
    found = events(out)
    assert {"Orientation day", "Workshop 1", "Workshop 2"} <= set(found)
    assert any(title.startswith("Due: ") for title in found)


def test_exporting_again_keeps_each_events_uid(wp, tmp_path):
    wp.json("apply", str(CONTRACT_EXAMPLE))
    first, second = tmp_path / "a.ics", tmp_path / "b.ics"
    wp.json("calendar", "--cohort", "fall-2026", str(first))
    wp.json("calendar", "--cohort", "fall-2026", str(second))
    uids = [sorted(str(e.get("uid")) for e in Calendar.from_ical(p.read_bytes()).walk("VEVENT"))
            for p in (first, second)]
    assert uids[0] == uids[1] and len(set(uids[0])) == len(uids[0])


def test_a_calendar_for_someone_unknown_is_refused(wp, tmp_path):
    assert "nobody" in wp.refused("calendar", "--person", "nobody", str(tmp_path / "x.ics"))
