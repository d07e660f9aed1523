"""Sessions scheduled in the app, and the sessions list, driven from the command line.

A coordinator schedules a session (or a weekly series) without touching the program file;
it behaves like one from the file — participants register and attend, a series counts toward
`attendance_min` — and it survives a later `apply` of a file that does not list it. Editing
changes only what was given; a session nobody attended can be cancelled, and those
registered are told. `sessions` lists what concerns a cohort, participant or milestone.
"""

from __future__ import annotations

from conftest import ADMIN, Waypoint

from app.models import ScheduledSession
from app.models.store import open_store

TRAINER = "tess@example.edu"

PROGRAM = """\
[program]
name = "Scheduling"
timezone = "America/Chicago"

[[staff]]
email = "tess@example.edu"
name = "Tess Trainer"
roles = ["trainer"]

[[cohorts]]
key = "fall-2026"
name = "Fall 2026"

[[milestones]]
key = "checkin"
title = "First check-in"
kind = "meeting"
cohorts = ["fall-2026"]
complete_by = ["attendance"]

[[milestones]]
key = "workshops"
title = "Leadership workshop series"
kind = "meeting"
cohorts = ["fall-2026"]
complete_by = ["attendance"]
attendance_min = 0.75

[[milestones]]
key = "orientation-event"
title = "Orientation day"
kind = "event"
cohorts = ["fall-2026"]
complete_by = ["registration"]

[[sessions]]
key = "orientation-day"
title = "Orientation day"
milestone = "orientation-event"
start = "2026-09-01T09:00"
end = "2026-09-02T16:00"
location = "Hall B"
trainers = ["tess@example.edu"]
"""

PEOPLE = """\
id,name,email,cohort
p1,Pat Lee,pat@example.edu,fall-2026
p2,Rae Kim,rae@example.edu,fall-2026
"""

AT = ("--at", "2026-08-20T10:00")


def setup(wp: Waypoint) -> None:
    wp.apply(PROGRAM, "--at", "2026-08-15T10:00")
    wp.people(PEOPLE, "--at", "2026-08-16T10:00")


def sessions(wp: Waypoint, *extra: str) -> dict[str, dict]:
    """`sessions --json` as {key: session}, keeping the order it lists them in."""
    return {s["key"]: s for s in wp.json("sessions", *extra)["sessions"]}


def schedule_checkin(wp: Waypoint, *extra: str) -> dict:
    return wp.json("schedule", "checkin-1", "--title", "First check-in",
                   "--start", "2026-09-03T10:00", "--end", "2026-09-03T11:00",
                   "--milestone", "checkin", "--location", "Room 12",
                   "--link", "https://meet.example/ci", "--passcode", "4321",
                   "--trainer", TRAINER, *extra, *AT)


def test_a_session_created_in_the_app_can_be_registered_for_and_attended(wp):
    setup(wp)
    result = schedule_checkin(wp)
    assert {"kind": "definition", "type": "session", "key": "checkin-1",
            "action": "created"} in result["changes"]
    wp.json("register", "p1", "checkin-1", "--by", "p1", "--at", "2026-08-25T10:00")
    wp.json("attend", "p1", "checkin-1", "--join", "2026-09-03T10:02",
            "--by", TRAINER, "--at", "2026-09-03T11:00")
    assert wp.state("p1", "checkin") == "complete"
    assert wp.state("p2", "checkin") == "open"


def test_a_weekly_series_of_four_creates_four_sessions_linked_to_the_milestone_and_counts_toward_attendance_min(wp):  # noqa: E501
    setup(wp)
    wp.json("schedule", "ws", "--title", "Workshop", "--start", "2026-10-20T09:00",
            "--end", "2026-10-20T11:00", "--milestone", "workshops", "--trainer", TRAINER,
            "--repeat", "4", "--every", "1w", *AT)
    listed = sessions(wp, "--milestone", "workshops")
    assert list(listed) == ["ws-1", "ws-2", "ws-3", "ws-4"]
    assert [s["title"] for s in listed.values()] == [f"Workshop {n}" for n in range(1, 5)]
    assert all(s["milestone"] == "workshops" for s in listed.values())
    # a week apart at 09:00 local time, across the end of daylight-saving time (Nov 1)
    assert [s["start"] for s in listed.values()] == [
        "2026-10-20T09:00:00-05:00", "2026-10-27T09:00:00-05:00",
        "2026-11-03T09:00:00-06:00", "2026-11-10T09:00:00-06:00"]
    # three of four held sessions meet attendance_min = 0.75; two of four do not
    for key, day in (("ws-1", "2026-10-20"), ("ws-2", "2026-10-27"), ("ws-4", "2026-11-10")):
        wp.json("attend", "p1", key, "--join", f"{day}T09:05", "--by", TRAINER,
                "--at", "2026-11-11T09:00")
    for key, day in (("ws-1", "2026-10-20"), ("ws-3", "2026-11-03")):
        wp.json("attend", "p2", key, "--join", f"{day}T09:05", "--by", TRAINER,
                "--at", "2026-11-11T09:00")
    assert wp.state("p1", "workshops") == "complete"
    assert wp.state("p2", "workshops") == "open"


def test_a_series_does_not_overwrite_sessions_that_exist(wp):
    setup(wp)
    schedule_checkin(wp)
    wp.json("schedule", "ws-2", "--title", "Taken", "--start", "2026-10-27T09:00",
            "--end", "2026-10-27T10:00", *AT)
    reason = wp.refused("schedule", "ws", "--title", "Workshop", "--start", "2026-10-20T09:00",
                        "--end", "2026-10-20T11:00", "--repeat", "4", "--every", "1w", *AT)
    assert "ws-2" in reason
    assert "ws-1" not in sessions(wp)
    assert sessions(wp)["ws-2"]["title"] == "Taken"


def test_editing_a_session_changes_only_what_was_given(wp):
    setup(wp)
    schedule_checkin(wp)
    before = sessions(wp)["checkin-1"]
    result = wp.json("schedule", "checkin-1", "--location", "Room 14", "--tentative", *AT)
    assert result["changes"] == [{"kind": "definition", "type": "session", "key": "checkin-1",
                                  "action": "updated", "fields": ["location", "tentative"]}]
    after = sessions(wp)["checkin-1"]
    assert after["location"] == "Room 14" and after["status"] == "tentative"
    unchanged = {k: v for k, v in before.items() if k not in ("location", "tentative", "status")}
    assert {k: after[k] for k in unchanged} == unchanged
    # the same again changes nothing
    assert wp.json("schedule", "checkin-1", "--location", "Room 14", *AT)["changes"] == []
    store = open_store(wp.db)
    with store.session() as session:
        row = session.query(ScheduledSession).filter_by(key="checkin-1").one()
        assert row.version == 2
    store.close()


def test_moving_a_session_tells_those_registered(wp):
    setup(wp)
    schedule_checkin(wp)
    wp.json("register", "p1", "checkin-1", "--at", "2026-08-25T10:00")
    wp.json("schedule", "checkin-1", "--start", "2026-09-04T10:00", "--end", "2026-09-04T11:00",
            *AT)
    messages = wp.json("outbox")["messages"]
    assert [(m["to"], m["subject"]) for m in messages] == [
        ("pat@example.edu", "Changed: First check-in")]


def test_a_session_ending_before_it_starts_is_refused_and_nothing_changes(wp):
    setup(wp)
    reason = wp.refused("schedule", "late", "--title", "Backwards",
                        "--start", "2026-09-03T10:00", "--end", "2026-09-03T09:00", *AT)
    assert "end" in reason and "before it starts" in reason
    assert "late" not in sessions(wp)
    schedule_checkin(wp)
    before = sessions(wp)["checkin-1"]
    assert "before it starts" in wp.refused("schedule", "checkin-1", "--end", "2026-09-02T11:00",
                                            "--location", "Elsewhere", *AT)
    assert sessions(wp)["checkin-1"] == before


def test_unknown_milestones_and_trainers_are_refused_by_name(wp):
    setup(wp)
    reason = wp.refused("schedule", "x", "--title", "X", "--start", "2026-09-03T10:00",
                        "--end", "2026-09-03T11:00", "--milestone", "chekin", *AT)
    assert "milestone" in reason and "chekin" in reason and "did you mean 'checkin'" in reason
    reason = wp.refused("schedule", "x", "--title", "X", "--start", "2026-09-03T10:00",
                        "--end", "2026-09-03T11:00", "--trainer", "nobody@example.edu", *AT)
    assert "trainers[0]" in reason and "nobody@example.edu" in reason
    assert "x" not in sessions(wp)


def test_a_participant_cannot_schedule_sessions(wp):
    setup(wp)
    reason = wp.refused("schedule", "mine", "--title", "Mine", "--start", "2026-09-03T10:00",
                        "--end", "2026-09-03T11:00", "--by", "p1", *AT)
    assert "staff" in reason
    assert "mine" not in sessions(wp)
    wp.refused("cancel-session", "orientation-day", "--by", "p1", *AT)
    assert "orientation-day" in sessions(wp)


def test_a_session_created_in_the_app_survives_applying_a_program_file_that_does_not_list_it_and_is_exported(wp):  # noqa: E501
    setup(wp)
    schedule_checkin(wp)
    again = wp.apply(PROGRAM.replace('location = "Hall B"', 'location = "Hall C"'),
                     "--at", "2026-08-21T10:00")
    assert [c["key"] for c in again["changes"]] == ["orientation-day"]
    assert sessions(wp)["checkin-1"]["location"] == "Room 12"
    exported = wp.workdir / "exported.toml"
    wp.json("export", str(exported))
    text = exported.read_text(encoding="utf-8")
    assert 'key = "checkin-1"' in text and 'passcode = "4321"' in text
    # export → apply is still a no-op with the app's session in the file
    assert wp.json("apply", str(exported), "--at", "2026-08-22T10:00")["changes"] == []


def test_cancelling_a_session_nobody_attended_removes_it_cancelling_one_with_attendance_is_refused(wp):  # noqa: E501
    setup(wp)
    schedule_checkin(wp)
    wp.json("register", "p1", "orientation-day", "--at", "2026-08-25T10:00")
    assert wp.state("p1", "orientation-event") == "complete"
    result = wp.json("cancel-session", "orientation-day", "--at", "2026-08-26T10:00")
    assert "orientation-day" not in sessions(wp)
    assert {"kind": "definition", "type": "session", "key": "orientation-day",
            "action": "cancelled", "registrations": 1} in result["changes"]
    # the registrant is told, and the event their registration completed is open again
    assert [(m["to"], m["subject"]) for m in wp.json("outbox")["messages"]] == [
        ("pat@example.edu", "Cancelled: Orientation day")]
    assert wp.state("p1", "orientation-event") == "open"
    wp.refused("register", "p1", "orientation-day", "--at", "2026-08-27T10:00")

    wp.json("attend", "p2", "checkin-1", "--join", "2026-09-03T10:00",
            "--by", ADMIN, "--at", "2026-09-03T11:00")
    reason = wp.refused("unschedule", "checkin-1", "--at", "2026-09-04T10:00")
    assert "1 attended" in reason
    assert "checkin-1" in sessions(wp)
    assert wp.state("p2", "checkin") == "complete"
    assert "nowhere" in wp.refused("cancel-session", "nowhere", *AT)


def test_sessions_lists_a_participants_sessions_with_their_status(wp):
    setup(wp)
    schedule_checkin(wp)
    wp.json("schedule", "other-cohort", "--title", "Someone else's", "--start",
            "2026-09-05T10:00", "--end", "2026-09-05T11:00", *AT)
    wp.json("register", "p1", "orientation-day", "--at", "2026-08-25T10:00")
    wp.json("noshow", "p1", "orientation-day", "--by", TRAINER, "--at", "2026-09-02T17:00")
    wp.json("attend", "p1", "checkin-1", "--join", "2026-09-03T10:05",
            "--by", TRAINER, "--at", "2026-09-03T11:00")
    payload = wp.json("sessions", "--person", "p1", "--at", "2026-09-10T10:00")
    assert payload["person"] == "p1"
    listed = {s["key"]: s for s in payload["sessions"]}
    assert list(listed) == ["orientation-day", "checkin-1"]  # start order; not other-cohort
    assert listed["orientation-day"]["participant"]["status"] == "no_show"
    assert listed["orientation-day"]["days"] == ["2026-09-01", "2026-09-02"]
    assert listed["checkin-1"]["participant"]["status"] == "attended"
    assert listed["checkin-1"]["participant"]["days"][0]["day"] == "2026-09-03"
    rae = {s["key"]: s["participant"]["status"]
           for s in wp.json("sessions", "--person", "p2")["sessions"]}
    assert rae == {"orientation-day": "not_registered", "checkin-1": "not_registered"}
    code, out, _ = wp.run("sessions", "--person", "p1")
    assert code == 0
    assert "Pat Lee (p1)" in out and "no show" in out and "attended" in out
    assert "2026-09-01 09:00–2026-09-02 16:00 (2 days)" in out


def test_sessions_json_lists_counts_of_registered_no_shows_and_attended(wp):
    setup(wp)
    wp.json("register", "p1", "orientation-day", "--at", "2026-08-25T10:00")
    wp.json("register", "p2", "orientation-day", "--at", "2026-08-25T10:00")
    wp.json("attend", "p1", "orientation-day", "--join", "2026-09-01T09:05",
            "--by", TRAINER, "--at", "2026-09-01T16:00")
    wp.json("attend", "p1", "orientation-day", "--join", "2026-09-02T09:00",
            "--by", TRAINER, "--at", "2026-09-02T16:00")
    wp.json("noshow", "p2", "orientation-day", "--by", TRAINER, "--at", "2026-09-02T17:00")
    day = sessions(wp, "--cohort", "fall-2026")["orientation-day"]
    assert day["counts"] == {"registered": 1, "no_shows": 1, "attended": 1}
    assert day["status"] == "confirmed" and day["location"] == "Hall B"
    assert day["trainers"] == [TRAINER] and day["milestone"] == "orientation-event"
    assert day["start"] == "2026-09-01T09:00:00-05:00"


def test_sessions_from_and_to_keep_the_sessions_meeting_those_days(wp):
    setup(wp)
    schedule_checkin(wp)
    assert list(sessions(wp, "--from", "2026-09-02", "--to", "2026-09-02")) == [
        "orientation-day"]
    assert list(sessions(wp, "--from", "2026-09-03")) == ["checkin-1"]
    assert list(sessions(wp, "--to", "2026-08-31")) == []
    code, _, err = wp.run("sessions", "--from", "yesterday")
    assert code == 1 and "--from" in err
