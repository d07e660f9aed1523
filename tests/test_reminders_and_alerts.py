"""The scheduler's reminders and staff alerts, driven by `tick` from the command line.

Date-keyed work fires at the first tick on its day in the program's zone (America/Chicago
here), once, however often the scheduler runs and however long the laptop was closed.
"""

from __future__ import annotations

from conftest import ADMIN, Waypoint

PROGRAM = """\
[program]
name = "Reminders"
timezone = "America/Chicago"

[[templates]]
key = "nudge"
subject = "{{ milestone.title }} is waiting"
body = "Hi {{ person.name }}, {{ milestone.title }} is due {{ due }}."
[[templates]]
key = "broken"
subject = "{{ nothing.here }}"
body = "x"

[[cohorts]]
key = "fall"
name = "Fall"

[[milestones]]
key = "form"
title = "Orientation form"
cohorts = ["fall"]
due = { date = "2026-09-15" }
reminders = [{ before_due = "3d" }]

[[milestones]]
key = "essay"
title = "Essay"
cohorts = ["fall"]
due = { date = "2026-09-15" }
reminders = [{ before_due = "3d" }]

[[milestones]]
key = "plan"
title = "Study plan"
cohorts = ["fall"]
due = { date = "2026-10-30" }
reminders = [{ after_assignment = "2w", template = "nudge" }, { after_start = "1w" }]
escalate_after = "5d"
"""

BAD = """\
[[milestones]]
key = "bad"
title = "Badly templated"
cohorts = ["fall"]
due = { date = "2026-12-30" }
reminders = [{ after_assignment = "1w", template = "broken" }]
"""

REQUEST = """\
[[milestones]]
key = "request"
title = "Fee waiver"
cohorts = ["fall"]
complete_by = ["request"]
[milestones.approval]
ready_deadline = "5d"
"""


def setup(wp: Waypoint, at: str = "2026-09-01T10:00", extra: str = "") -> None:
    wp.apply(PROGRAM + extra)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n", "--at", at)


def tick(wp: Waypoint, at: str) -> dict:
    return wp.json("tick", "--now", at)


def reminders(wp: Waypoint) -> list[dict]:
    return [m for m in wp.json("outbox")["messages"] if m["kind"] == "reminder"]


def alerts(wp: Waypoint, kind: str) -> list[dict]:
    return [a for a in wp.json("alerts")["alerts"] if a["kind"] == kind]


def test_a_before_due_reminder_goes_at_the_first_tick_of_its_day_and_not_before(wp):
    setup(wp)
    tick(wp, "2026-09-11T23:00")  # 11 Sep in Chicago: four days before the due date
    assert reminders(wp) == []
    tick(wp, "2026-09-12T14:00")  # 12 Sep: due − 3 days
    assert len(reminders(wp)) == 1


def test_two_reminders_due_the_same_day_make_one_mail(wp):
    setup(wp)
    tick(wp, "2026-09-12T14:00")
    (mail,) = reminders(wp)
    assert mail["to"] == "pat@example.edu"
    assert mail["subject"] == "Reminder: 2 milestones need your attention"


def test_ticking_twice_the_same_day_sends_nothing_more(wp):
    setup(wp)
    tick(wp, "2026-09-12T14:00")
    tick(wp, "2026-09-12T18:00")
    assert len(reminders(wp)) == 1


def test_no_reminder_for_a_completed_milestone(wp):
    setup(wp)
    wp.json("complete", "p1", "form", "--at", "2026-09-10T09:00")
    tick(wp, "2026-09-12T14:00")
    (mail,) = reminders(wp)
    assert mail["subject"] == "Reminder: Essay is due 2026-09-15"


def test_a_due_date_extension_moves_the_reminder(wp):
    setup(wp)
    wp.json("extend", "p1", "form", "--until", "2026-09-25", "--at", "2026-09-10T09:00")
    wp.json("complete", "p1", "plan", "--at", "2026-09-10T09:00")
    tick(wp, "2026-09-12T14:00")
    assert [m["subject"] for m in reminders(wp)] == ["Reminder: Essay is due 2026-09-15"]
    tick(wp, "2026-09-22T14:00")
    assert reminders(wp)[-1]["subject"] == "Reminder: Orientation form is due 2026-09-25"


def test_a_tick_after_a_week_closed_sends_each_reminder_once(wp):
    setup(wp)
    tick(wp, "2026-09-01T12:00")
    tick(wp, "2026-09-14T09:00")  # the laptop was closed from the 1st to the 14th
    tick(wp, "2026-09-14T10:00")
    subjects = [m["subject"] for m in reminders(wp)]
    assert subjects == ["Reminder: 2 milestones need your attention"]


def test_no_before_due_reminder_once_the_due_date_has_passed(wp):
    setup(wp)
    tick(wp, "2026-09-20T12:00")  # first tick ever, after the due date
    assert all("Orientation form" not in m["subject"] for m in reminders(wp))


def test_an_after_assignment_reminder_uses_its_template(wp):
    setup(wp)
    wp.json("complete", "p1", "form", "--at", "2026-09-02T09:00")
    wp.json("complete", "p1", "essay", "--at", "2026-09-02T09:00")
    tick(wp, "2026-09-14T12:00")  # assigned 1 Sep + 2 weeks = 15 Sep: not yet
    assert not [m for m in reminders(wp) if "Study plan" in m["subject"]]
    tick(wp, "2026-09-15T12:00")
    assert [m["subject"] for m in reminders(wp)] == ["Study plan is waiting"]


def test_only_one_reminder_mail_a_day_later_ones_wait_for_tomorrow(wp):
    setup(wp)
    wp.json("complete", "p1", "form", "--at", "2026-09-02T09:00")
    wp.json("complete", "p1", "essay", "--at", "2026-09-02T09:00")
    wp.json("start", "p1", "plan", "--at", "2026-09-08T09:00")
    tick(wp, "2026-09-15T12:00")  # plan: assigned + 2w and started + 1w, both today
    assert len(reminders(wp)) == 1
    tick(wp, "2026-09-15T20:00")
    assert len(reminders(wp)) == 1


def test_a_reminder_whose_template_cannot_render_goes_plainly_and_alerts_staff(wp):
    setup(wp, extra=BAD)
    tick(wp, "2026-09-08T12:00")  # bad: assigned + 1w
    assert any("Badly templated" in m["subject"] for m in reminders(wp))
    (failed,) = alerts(wp, "action_failed")
    assert failed["milestone"] == "bad" and "broken" in failed["message"]


def test_the_due_soon_alert_comes_the_day_before_the_due_date(wp):
    setup(wp)
    tick(wp, "2026-09-13T12:00")
    assert alerts(wp, "due_soon") == []
    tick(wp, "2026-09-14T12:00")
    assert sorted(a["milestone"] for a in alerts(wp, "due_soon")) == ["essay", "form"]
    tick(wp, "2026-09-14T15:00")
    assert len(alerts(wp, "due_soon")) == 2


def test_no_due_soon_alert_for_what_is_complete(wp):
    setup(wp)
    wp.json("complete", "p1", "form", "--at", "2026-09-10T09:00")
    tick(wp, "2026-09-14T12:00")
    assert [a["milestone"] for a in alerts(wp, "due_soon")] == ["essay"]


def test_a_progress_past_its_due_date_alerts_staff_once(wp):
    setup(wp)
    tick(wp, "2026-09-16T12:00")
    tick(wp, "2026-09-17T12:00")
    assert sorted(a["milestone"] for a in alerts(wp, "past_due")) == ["essay", "form"]


def test_a_ready_deadline_gone_by_alerts_staff(wp):
    setup(wp, extra=REQUEST)
    tick(wp, "2026-09-06T12:00")  # opened 1 Sep + 5 days = 6 Sep: not yet past
    assert [a for a in alerts(wp, "past_due") if a["milestone"] == "request"] == []
    tick(wp, "2026-09-07T12:00")
    (late,) = [a for a in alerts(wp, "past_due") if a["milestone"] == "request"]
    assert "ready deadline" in late["message"]


def test_a_progress_longer_in_one_state_than_its_sla_escalates_once(wp):
    setup(wp)
    wp.json("start", "p1", "plan", "--at", "2026-09-02T09:00")
    tick(wp, "2026-09-06T12:00")
    assert alerts(wp, "escalation") == []
    tick(wp, "2026-09-07T12:00")
    tick(wp, "2026-09-08T12:00")
    (escalation,) = alerts(wp, "escalation")
    assert escalation["milestone"] == "plan" and "started since 2026-09-02" in escalation["message"]


def test_staff_acknowledge_alerts_and_they_leave_the_list(wp):
    setup(wp)
    tick(wp, "2026-09-16T12:00")
    first, second = alerts(wp, "past_due")
    wp.json("ack", first["id"][:8])
    assert [a["id"] for a in alerts(wp, "past_due")] == [second["id"]]
    everything = wp.json("alerts", "--all")["alerts"]
    acknowledged = next(a for a in everything if a["id"] == first["id"])
    assert acknowledged["acknowledged_by"] == ADMIN


def test_acknowledging_an_unknown_alert_is_refused_and_changes_nothing(wp):
    setup(wp)
    tick(wp, "2026-09-16T12:00")
    assert "No open alert has the id abcdef12" in wp.refused("ack", "abcdef12")
    assert len(alerts(wp, "past_due")) == 2


def test_a_participant_cannot_run_the_scheduler(wp):
    setup(wp)
    assert "Only staff may run the scheduler" in wp.refused("tick", "--by", "p1")
