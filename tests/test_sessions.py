"""Sessions, attendance and whiteboards, driven from the command line.

An event milestone completes on registration and opens again on a no-show (with a staff
alert); a meeting milestone completes on attendance with a join time, at its linked session
or at any session or appointment of its group and reason; `attendance_min` counts the share
of linked sessions held since the participant joined; only the session's trainers, the
participant's cohort staff, admins and (where marking is "self") the participant may mark
attendance; a whiteboard completes when every required role has signed.
"""

from __future__ import annotations

from conftest import ADMIN, Waypoint

ADVISOR = "avery@example.edu"  # advisor, staff of the cohort
TRAINER = "tess@example.edu"  # trainer of the orientation day and the check-in
COACH = "tom@example.edu"  # trainer of the workshops only
FINANCE = "lee@example.edu"  # staff, but none of the above
COORDINATOR = "cara@example.edu"  # staff of the cohort, without the advisor role

PROGRAM = """\
[program]
name = "Sessions"
timezone = "America/Chicago"

[[staff]]
email = "avery@example.edu"
name = "Avery Advisor"
roles = ["advisor"]
[[staff]]
email = "tess@example.edu"
name = "Tess Trainer"
roles = ["trainer"]
[[staff]]
email = "tom@example.edu"
name = "Tom Coach"
roles = ["trainer"]
[[staff]]
email = "lee@example.edu"
name = "Lee Finance"
roles = ["finance"]
[[staff]]
email = "cara@example.edu"
name = "Cara Coordinator"
roles = ["coordinator"]

[[cohorts]]
key = "fall-2026"
name = "Fall 2026"
staff = ["avery@example.edu", "cara@example.edu"]

[[milestones]]
key = "orientation-event"
title = "Orientation day"
kind = "event"
cohorts = ["fall-2026"]
complete_by = ["registration"]

[[milestones]]
key = "checkin"
title = "First check-in"
kind = "meeting"
cohorts = ["fall-2026"]
complete_by = ["attendance"]

[[milestones]]
key = "drop-in"
title = "Drop-in hour"
kind = "meeting"
cohorts = ["fall-2026"]
complete_by = ["attendance"]

[[milestones]]
key = "advising"
title = "Degree plan appointment"
kind = "meeting"
cohorts = ["fall-2026"]
complete_by = ["attendance"]
meeting = { group = "Advising", reason = "Degree plan" }

[[milestones]]
key = "workshops"
title = "Leadership workshop series"
kind = "meeting"
cohorts = ["fall-2026"]
complete_by = ["attendance"]
attendance_min = 0.5

[[milestones]]
key = "seminars"
title = "Seminar series (every one)"
kind = "meeting"
cohorts = ["fall-2026"]
complete_by = ["attendance"]
attendance_min = 1.0

[[milestones]]
key = "academic-plan"
title = "Academic plan"
kind = "whiteboard"
cohorts = ["fall-2026"]
complete_by = ["signatures"]
signatures = ["participant", "advisor"]

[[sessions]]
key = "orientation-day"
title = "Orientation day"
milestone = "orientation-event"
start = "2026-09-01T09:00"
end = "2026-09-01T16:00"
location = "Hall B"
trainers = ["tess@example.edu"]
marking = "admin"

[[sessions]]
key = "checkin-1"
title = "First check-in"
milestone = "checkin"
start = "2026-09-03T10:00"
end = "2026-09-03T11:00"
trainers = ["tess@example.edu"]

[[sessions]]
key = "drop-in-1"
title = "Drop-in hour"
milestone = "drop-in"
start = "2026-09-04T14:00"
end = "2026-09-04T15:00"
trainers = ["tess@example.edu"]
marking = "self"

[[sessions]]
key = "advising-clinic"
title = "Advising clinic"
start = "2026-09-04T09:00"
end = "2026-09-04T12:00"
trainers = ["tess@example.edu"]
group = "Advising"
reason = "Degree plan"

[[sessions]]
key = "career-clinic"
title = "Career clinic"
start = "2026-09-05T09:00"
end = "2026-09-05T12:00"
trainers = ["tess@example.edu"]
group = "Advising"
reason = "Career"

[[sessions]]
key = "workshop-1"
title = "Workshop 1"
milestone = "workshops"
start = "2026-09-08T09:00"
end = "2026-09-08T11:00"
trainers = ["tom@example.edu"]

[[sessions]]
key = "workshop-2"
title = "Workshop 2"
milestone = "workshops"
start = "2026-09-15T09:00"
end = "2026-09-15T11:00"
trainers = ["tom@example.edu"]

[[sessions]]
key = "seminar-1"
title = "Seminar 1"
milestone = "seminars"
start = "2026-09-09T13:00"
end = "2026-09-09T15:00"
trainers = ["tom@example.edu"]

[[sessions]]
key = "seminar-2"
title = "Seminar 2"
milestone = "seminars"
start = "2026-09-16T13:00"
end = "2026-09-16T15:00"
trainers = ["tom@example.edu"]
"""

PEOPLE = """\
id,name,email,cohort
p1,Pat Lee,pat@example.edu,fall-2026
p2,Rae Kim,rae@example.edu,fall-2026
"""

JOINED = "2026-08-20T10:00"


def setup(wp: Waypoint) -> None:
    wp.apply(PROGRAM, "--at", "2026-08-15T10:00")
    wp.people(PEOPLE, "--at", JOINED)


# 1. registration completes an event milestone ---------------------------------------------


def test_registering_completes_the_event_milestone(wp):
    setup(wp)
    assert wp.state("p1", "orientation-event") == "open"
    wp.json("register", "p1", "orientation-day", "--at", "2026-08-25T10:00")
    assert wp.state("p1", "orientation-event") == "complete"
    assert wp.state("p2", "orientation-event") == "open"


def test_a_participant_may_register_themselves(wp):
    setup(wp)
    wp.json("register", "p1", "orientation-day", "--by", "p1", "--at", "2026-08-25T10:00")
    assert wp.state("p1", "orientation-event") == "complete"


def test_a_participant_may_not_register_someone_else(wp):
    setup(wp)
    wp.refused("register", "p2", "orientation-day", "--by", "p1", "--at", "2026-08-25T10:00")
    assert wp.state("p2", "orientation-event") == "open"


def test_registering_for_an_unknown_session_is_refused(wp):
    setup(wp)
    assert "nowhere" in wp.refused("register", "p1", "nowhere", "--at", "2026-08-25T10:00")


# 2. a no-show reopens it and alerts the cohort staff --------------------------------------


def test_a_no_show_reopens_the_event_milestone_and_alerts_staff(wp):
    setup(wp)
    wp.json("register", "p1", "orientation-day", "--at", "2026-08-25T10:00")
    assert wp.state("p1", "orientation-event") == "complete"
    wp.json("noshow", "p1", "orientation-day", "--by", TRAINER, "--at", "2026-09-01T17:00")
    assert wp.state("p1", "orientation-event") == "open"
    alerts = wp.json("alerts")["alerts"]
    assert any(a["kind"] == "no_show" and a["person"] == "p1"
               and a["milestone"] == "orientation-event" for a in alerts), alerts
    assert not any(a["person"] == "p2" for a in alerts if a["kind"] == "no_show")


# 3. attendance with a join time completes a meeting milestone ------------------------------


def test_attending_with_a_join_time_completes_the_meeting_milestone(wp):
    setup(wp)
    assert wp.state("p1", "checkin") == "open"
    wp.json("attend", "p1", "checkin-1", "--join", "2026-09-03T10:02",
            "--leave", "2026-09-03T10:55", "--at", "2026-09-03T11:00")
    assert wp.state("p1", "checkin") == "complete"
    assert wp.state("p2", "checkin") == "open"


def test_attendance_without_a_join_time_is_recorded_but_completes_nothing(wp):
    setup(wp)
    result = wp.json("attend", "p1", "checkin-1", "--at", "2026-09-03T11:00")
    assert result["ok"] is True
    assert wp.state("p1", "checkin") == "open"
    # staff may still complete it by hand
    wp.json("complete", "p1", "checkin", "--by", ADVISOR, "--at", "2026-09-03T12:00")
    assert wp.state("p1", "checkin") == "complete"


# 4. meetings by group and reason ------------------------------------------------------------


def test_a_session_of_the_milestones_group_and_reason_completes_it(wp):
    setup(wp)
    wp.json("attend", "p1", "advising-clinic", "--join", "2026-09-04T09:30",
            "--at", "2026-09-04T12:00")
    assert wp.state("p1", "advising") == "complete"


def test_a_session_of_another_reason_does_not_complete_it(wp):
    setup(wp)
    wp.json("attend", "p1", "career-clinic", "--join", "2026-09-05T09:30",
            "--at", "2026-09-05T12:00")
    assert wp.state("p1", "advising") == "open"


def test_an_appointment_of_the_group_and_reason_completes_it(wp):
    setup(wp)
    wp.json("meet", "p1", "--group", "Advising", "--reason", "Degree plan",
            "--join", "2026-09-10T14:00", "--leave", "2026-09-10T14:30",
            "--by", ADVISOR, "--at", "2026-09-10T15:00")
    assert wp.state("p1", "advising") == "complete"
    assert wp.state("p2", "advising") == "open"


def test_an_appointment_of_another_reason_or_without_a_join_time_does_not(wp):
    setup(wp)
    wp.json("meet", "p1", "--group", "Advising", "--reason", "Career",
            "--join", "2026-09-10T14:00", "--by", ADVISOR, "--at", "2026-09-10T15:00")
    assert wp.state("p1", "advising") == "open"
    wp.json("meet", "p1", "--group", "Advising", "--reason", "Degree plan",
            "--by", ADVISOR, "--at", "2026-09-11T15:00")
    assert wp.state("p1", "advising") == "open"


# 5. attendance over a series ----------------------------------------------------------------


def test_half_of_a_series_completes_a_milestone_with_attendance_min_one_half(wp):
    setup(wp)
    # both workshops have been held when the attendance at the first is recorded
    wp.json("attend", "p1", "workshop-1", "--join", "2026-09-08T09:05",
            "--by", COACH, "--at", "2026-09-16T09:00")
    assert wp.state("p1", "workshops") == "complete"
    assert wp.state("p2", "workshops") == "open"


def test_one_of_two_held_sessions_falls_short_of_attendance_min_one(wp):
    setup(wp)
    wp.json("attend", "p1", "seminar-2", "--join", "2026-09-16T13:00",
            "--by", COACH, "--at", "2026-09-17T09:00")
    assert wp.state("p1", "seminars") == "open"
    wp.json("attend", "p1", "seminar-1", "--join", "2026-09-09T13:00",
            "--by", COACH, "--at", "2026-09-17T10:00")
    assert wp.state("p1", "seminars") == "complete"


def test_a_late_joiner_is_not_absent_from_earlier_sessions(wp):
    setup(wp)
    # Quinn joins after seminar 1 was held, and attends seminar 2: one of one held since
    wp.people("id,name,email,cohort\np3,Quinn Late,quinn@example.edu,fall-2026\n",
              "--at", "2026-09-12T10:00")
    assert wp.state("p3", "seminars") == "open"
    wp.json("attend", "p3", "seminar-2", "--join", "2026-09-16T13:00",
            "--by", COACH, "--at", "2026-09-17T09:00")
    assert wp.state("p3", "seminars") == "complete"
    # Pat, there from the start, attending only seminar 2 has one of two
    wp.json("attend", "p1", "seminar-2", "--join", "2026-09-16T13:00",
            "--by", COACH, "--at", "2026-09-17T09:00")
    assert wp.state("p1", "seminars") == "open"


# 6. who may mark attendance -----------------------------------------------------------------


def test_the_trainer_cohort_staff_and_an_admin_may_mark_attendance(wp):
    setup(wp)
    wp.json("attend", "p1", "checkin-1", "--join", "2026-09-03T10:00",
            "--by", TRAINER, "--at", "2026-09-03T11:00")
    assert wp.state("p1", "checkin") == "complete"
    wp.json("attend", "p2", "checkin-1", "--join", "2026-09-03T10:00",
            "--by", ADVISOR, "--at", "2026-09-03T11:00")
    assert wp.state("p2", "checkin") == "complete"
    wp.json("attend", "p1", "workshop-1", "--join", "2026-09-08T09:00",
            "--by", ADMIN, "--at", "2026-09-08T10:00")
    wp.json("attend", "p2", "workshop-1", "--join", "2026-09-08T09:00",
            "--by", COORDINATOR, "--at", "2026-09-08T10:00")


def test_other_staff_may_not_mark_attendance(wp):
    setup(wp)
    wp.refused("attend", "p1", "checkin-1", "--join", "2026-09-03T10:00",
               "--by", FINANCE, "--at", "2026-09-03T11:00")
    assert wp.state("p1", "checkin") == "open"
    # a trainer of another session is "another staff member" here
    wp.refused("attend", "p1", "workshop-1", "--join", "2026-09-08T09:00",
               "--by", TRAINER, "--at", "2026-09-16T10:00")
    assert wp.state("p1", "workshops") == "open"


def test_other_staff_may_not_record_a_no_show_or_an_appointment(wp):
    setup(wp)
    wp.json("register", "p1", "orientation-day", "--at", "2026-08-25T10:00")
    wp.refused("noshow", "p1", "orientation-day", "--by", FINANCE, "--at", "2026-09-01T17:00")
    assert wp.state("p1", "orientation-event") == "complete"
    assert not [a for a in wp.json("alerts")["alerts"] if a["kind"] == "no_show"]
    wp.refused("meet", "p1", "--group", "Advising", "--reason", "Degree plan",
               "--join", "2026-09-10T14:00", "--by", FINANCE, "--at", "2026-09-10T15:00")
    assert wp.state("p1", "advising") == "open"


def test_a_participant_marks_their_own_attendance_only_where_marking_is_self(wp):
    setup(wp)
    wp.refused("attend", "p1", "checkin-1", "--join", "2026-09-03T10:00",
               "--by", "p1", "--at", "2026-09-03T11:00")
    assert wp.state("p1", "checkin") == "open"
    wp.json("attend", "p1", "drop-in-1", "--join", "2026-09-04T14:05",
            "--by", "p1", "--at", "2026-09-04T15:00")
    assert wp.state("p1", "drop-in") == "complete"


def test_a_participant_may_not_mark_someone_elses_attendance(wp):
    setup(wp)
    wp.refused("attend", "p2", "drop-in-1", "--join", "2026-09-04T14:05",
               "--by", "p1", "--at", "2026-09-04T15:00")
    assert wp.state("p2", "drop-in") == "open"


# 7. walk-ins --------------------------------------------------------------------------------


def test_a_walk_in_is_recorded_and_registered_at_the_door(wp):
    setup(wp)
    assert wp.state("p2", "orientation-event") == "open"
    wp.json("attend", "p2", "orientation-day", "--join", "2026-09-01T09:10",
            "--by", TRAINER, "--at", "2026-09-01T16:00")
    # registered by attending: the event milestone completes by its registration
    assert wp.state("p2", "orientation-event") == "complete"


# 8. whiteboards -----------------------------------------------------------------------------


def test_a_whiteboard_completes_when_every_required_role_has_signed(wp):
    setup(wp)
    assert wp.state("p1", "academic-plan") == "open"
    wp.json("sign", "p1", "academic-plan", "--signer", "participant", "--by", "p1",
            "--at", "2026-09-02T10:00")
    assert wp.state("p1", "academic-plan") != "complete"
    wp.json("sign", "p1", "academic-plan", "--signer", "advisor", "--by", ADVISOR,
            "--at", "2026-09-02T11:00")
    assert wp.state("p1", "academic-plan") == "complete"
    assert wp.state("p2", "academic-plan") == "open"


def test_the_advisors_signature_alone_does_not_complete_it(wp):
    setup(wp)
    wp.json("sign", "p1", "academic-plan", "--signer", "advisor", "--by", ADVISOR,
            "--at", "2026-09-02T11:00")
    assert wp.state("p1", "academic-plan") != "complete"


def test_staff_without_the_role_may_not_sign_for_it(wp):
    setup(wp)
    wp.refused("sign", "p1", "academic-plan", "--signer", "advisor", "--by", FINANCE,
               "--at", "2026-09-02T11:00")
    # cohort staff, but not an advisor
    wp.refused("sign", "p1", "academic-plan", "--signer", "advisor", "--by", COORDINATOR,
               "--at", "2026-09-02T11:00")
    # the participant may not sign as the advisor
    wp.refused("sign", "p1", "academic-plan", "--signer", "advisor", "--by", "p1",
               "--at", "2026-09-02T11:00")
    # none of those counted: the participant's own signature still leaves it short
    wp.json("sign", "p1", "academic-plan", "--signer", "participant", "--by", "p1",
            "--at", "2026-09-02T12:00")
    assert wp.state("p1", "academic-plan") != "complete"


def test_a_role_not_asked_for_is_refused(wp):
    setup(wp)
    # Lee holds the finance role, but the document does not ask for a finance signature
    wp.refused("sign", "p1", "academic-plan", "--signer", "finance", "--by", FINANCE,
               "--at", "2026-09-02T11:00")
    wp.json("sign", "p1", "academic-plan", "--signer", "participant", "--by", "p1",
            "--at", "2026-09-02T12:00")
    assert wp.state("p1", "academic-plan") != "complete"
