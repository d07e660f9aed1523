"""Daily digests of completion requests and drip campaigns, driven by `tick`.

Staff hear of completion requests in one digest per person per day, at the first tick of
the next day in the program's zone (America/Chicago here): the milestone's `notify` names
who, else the approvers of the level whose turn it is; a level that becomes its turn is in
the next digest of that level's approvers. Campaigns start and stop on completion actions and
send their timed steps; a stopped one sends nothing more. Each test drives the command line
of CONTRACT.md and reads back the outbox and the staff alerts.
"""

from __future__ import annotations

from typing import Any

from conftest import ADMIN, Waypoint
from sqlalchemy import select

from app.models import OutboxMessage
from app.models.store import open_store

ADVISOR = "avery@example.edu"  # staff of the fall cohort: approves `form` (the default)
DEAN = "dana@example.edu"  # staff of the program, the cohort above fall: approves it too
COHORT_STAFF = [ADVISOR, DEAN]
FINANCE = "lee@example.edu"
HR = "hana@example.edu"

PROGRAM = """\
[program]
name = "Digests"
timezone = "America/Chicago"

[[staff]]
email = "avery@example.edu"
name = "Avery Advisor"
roles = ["advisor"]
[[staff]]
email = "dana@example.edu"
name = "Dana Dean"
roles = ["dean"]
[[staff]]
email = "lee@example.edu"
name = "Lee Finance"
roles = ["finance"]
[[staff]]
email = "hana@example.edu"
name = "Hana People"
roles = ["hrbp"]

[[cohorts]]
key = "program"
name = "The program"
staff = ["dana@example.edu"]
[[cohorts]]
key = "fall"
name = "Fall 2026"
parent = "program"
staff = ["avery@example.edu"]

[[templates]]
key = "hello"
subject = "Welcome, {{ person.name }}"
body = "You completed {{ milestone.title }} in {{ cohort.name }}."
[[templates]]
key = "follow-up"
subject = "How is it going, {{ person.name }}?"
body = "Three days on."
[[templates]]
key = "broken"
subject = "{{ nothing.here }}"
body = "x"

[[campaigns]]
key = "welcome"
steps = [{ after = "0d", template = "hello" }, { after = "3d", template = "follow-up" }]
[[campaigns]]
key = "bad"
steps = [{ after = "0d", template = "broken" }]

[[milestones]]
key = "form"
title = "Orientation form"
cohorts = ["fall"]
complete_by = ["request"]

[[milestones]]
key = "budget"
title = "Budget plan"
cohorts = ["fall"]
complete_by = ["request"]
[milestones.approval]
levels = [{ roles = ["hrbp"] }, { roles = ["finance"] }]

[[milestones]]
key = "essay"
title = "Essay"
cohorts = ["fall"]
complete_by = ["request"]
[milestones.approval]
notify = ["lee@example.edu"]

[[milestones]]
key = "plan"
title = "Study plan"
cohorts = ["fall"]
complete_by = ["request"]
[milestones.approval]
approvers = { roles = ["finance"] }
notify = ["cohort_staff"]

[[milestones]]
key = "welcome-call"
title = "Welcome call"
cohorts = ["fall"]
complete_by = ["staff"]
[milestones.on_complete]
start_campaign = "welcome"

[[milestones]]
key = "exit"
title = "Exit interview"
cohorts = ["fall"]
complete_by = ["staff"]
[milestones.on_complete]
stop_campaigns = ["welcome"]

[[milestones]]
key = "badge"
title = "Badge"
cohorts = ["fall"]
complete_by = ["staff"]
[milestones.on_complete]
start_campaign = "bad"
"""

STUDENTS = ("id,name,email,cohort\n"
            "s1,Sam Student,sam@example.edu,fall\n"
            "s2,Robin Roe,robin@example.edu,fall\n"
            "s3,Kai Kim,kai@example.edu,fall\n"
            "s4,Nia Noemail,,fall\n")


def setup(wp: Waypoint) -> None:
    wp.apply(PROGRAM)
    wp.people(STUDENTS, "--at", "2026-08-20T09:00")


def act(wp: Waypoint, verb: str, person: str, milestone: str, at: str,
        by: str = ADMIN) -> None:
    wp.json(verb, person, milestone, "--by", by, "--at", at)


def submit(wp: Waypoint, person: str, milestone: str, at: str) -> None:
    act(wp, "submit", person, milestone, at, by=person)


def tick(wp: Waypoint, now: str) -> dict[str, Any]:
    return wp.json("tick", "--now", now)


def mails(wp: Waypoint, kind: str) -> list[dict[str, Any]]:
    """The outbox's mails of one kind, with their bodies (which `outbox` does not print)."""
    store = open_store(wp.db)
    try:
        with store.session() as session:
            return [{"to": m.to_email, "subject": m.subject, "body": m.body}
                    for m in session.scalars(select(OutboxMessage).where(
                        OutboxMessage.kind == kind).order_by(OutboxMessage.created_at,
                                                             OutboxMessage.subject))]
    finally:
        store.close()


def digests(wp: Waypoint) -> list[dict[str, Any]]:
    return mails(wp, "digest")


def recipients(wp: Waypoint) -> list[str]:
    return sorted(m["to"] for m in digests(wp))


def subjects(wp: Waypoint, to: str = ADVISOR) -> list[str]:
    return sorted(m["subject"] for m in digests(wp) if m["to"] == to)


def failed_alerts(wp: Waypoint) -> list[dict[str, Any]]:
    return [a for a in wp.json("alerts")["alerts"] if a["kind"] == "action_failed"]


# -- digests -------------------------------------------------------------------------------


def test_three_requests_in_a_day_make_one_digest_per_staff_member(wp: Waypoint) -> None:
    setup(wp)
    submit(wp, "s1", "form", "2026-09-01T09:00")
    submit(wp, "s2", "form", "2026-09-01T12:30")
    submit(wp, "s3", "form", "2026-09-01T17:45")
    result = tick(wp, "2026-09-02T08:00")
    assert {"kind": "digest", "count": 2} in result["changes"]
    assert recipients(wp) == COHORT_STAFF
    digest = next(d for d in digests(wp) if d["to"] == ADVISOR)
    assert digest["subject"] == "Waypoint digest for 2026-09-01: 3 requests waiting"
    body = digest["body"]
    assert body.startswith("Hello Avery Advisor,")
    for line in ("- Sam Student (s1): Orientation form - submitted 2026-09-01 09:00, "
                 "level 1 of 1",
                 "- Robin Roe (s2): Orientation form - submitted 2026-09-01 12:30, "
                 "level 1 of 1",
                 "- Kai Kim (s3): Orientation form - submitted 2026-09-01 17:45, "
                 "level 1 of 1"):
        assert line in body
    assert body.index("Sam Student") < body.index("Robin Roe") < body.index("Kai Kim")
    # the same people's other requests on other days are other digests; none is sent twice
    assert tick(wp, "2026-09-02T15:00")["changes"] == []
    assert len(digests(wp)) == 2


def test_a_digest_goes_at_the_first_tick_of_the_next_day_not_the_same_day(
        wp: Waypoint) -> None:
    setup(wp)
    submit(wp, "s1", "form", "2026-09-01T10:00")
    tick(wp, "2026-09-01T12:00")
    tick(wp, "2026-09-01T23:50")  # still the 1st in Chicago (04:50 UTC on the 2nd)
    assert digests(wp) == []
    tick(wp, "2026-09-02T00:05")
    assert recipients(wp) == COHORT_STAFF
    tick(wp, "2026-09-02T09:00")
    tick(wp, "2026-09-03T09:00")
    assert recipients(wp) == COHORT_STAFF
    # a request of the 3rd goes in the 3rd's digest, the next day
    submit(wp, "s2", "form", "2026-09-03T10:00")
    tick(wp, "2026-09-03T11:00")
    assert len(digests(wp)) == 2
    tick(wp, "2026-09-04T07:00")
    assert subjects(wp) == subjects(wp, DEAN) == [
        "Waypoint digest for 2026-09-01: 1 request waiting",
        "Waypoint digest for 2026-09-03: 1 request waiting"]


def test_a_tick_after_a_week_closed_sends_each_days_digest_once(wp: Waypoint) -> None:
    setup(wp)
    submit(wp, "s1", "form", "2026-09-01T10:00")
    submit(wp, "s2", "form", "2026-09-03T10:00")
    submit(wp, "s3", "form", "2026-09-03T11:00")
    submit(wp, "s1", "essay", "2026-09-05T10:00")
    result = tick(wp, "2026-09-09T08:00")
    assert {"kind": "digest", "count": 5} in result["changes"]
    assert subjects(wp) == subjects(wp, DEAN) == [
        "Waypoint digest for 2026-09-01: 1 request waiting",
        "Waypoint digest for 2026-09-03: 2 requests waiting"]
    assert subjects(wp, FINANCE) == ["Waypoint digest for 2026-09-05: 1 request waiting"]
    tick(wp, "2026-09-09T08:30")
    tick(wp, "2026-09-10T08:00")
    assert len(digests(wp)) == 5


def test_a_first_tick_on_an_old_store_digests_only_the_last_two_weeks(wp: Waypoint) -> None:
    setup(wp)
    submit(wp, "s1", "form", "2026-09-01T10:00")
    submit(wp, "s2", "form", "2026-09-20T10:00")
    tick(wp, "2026-09-25T08:00")
    assert subjects(wp) == ["Waypoint digest for 2026-09-20: 1 request waiting"]


def test_the_next_levels_approvers_hear_of_a_request_after_the_first_level_approves(
        wp: Waypoint) -> None:
    setup(wp)
    submit(wp, "s1", "budget", "2026-09-01T10:00")
    tick(wp, "2026-09-02T08:00")
    (first,) = digests(wp)
    assert first["to"] == HR  # level 1 only: finance waits for its turn
    assert "- Sam Student (s1): Budget plan - submitted 2026-09-01 10:00, level 1 of 2" in (
        first["body"])
    act(wp, "approve", "s1", "budget", "2026-09-02T10:00", by=HR)
    tick(wp, "2026-09-02T18:00")
    assert recipients(wp) == [HR]  # not the same day
    tick(wp, "2026-09-03T08:00")
    assert recipients(wp) == [HR, FINANCE]
    second = next(d for d in digests(wp) if d["to"] == FINANCE)
    assert second["subject"] == "Waypoint digest for 2026-09-02: 1 request waiting"
    assert "approval level became yours on 2026-09-02" in second["body"]
    assert "- Sam Student (s1): Budget plan - submitted 2026-09-01 10:00, level 2 of 2" in (
        second["body"])


def test_notify_names_the_chosen_staff_instead_of_the_approvers(wp: Waypoint) -> None:
    setup(wp)
    submit(wp, "s1", "essay", "2026-09-01T10:00")  # notify = lee; approvers: cohort staff
    tick(wp, "2026-09-02T08:00")
    (digest,) = digests(wp)
    assert digest["to"] == FINANCE
    assert "- Sam Student (s1): Essay - submitted 2026-09-01 10:00, level 1 of 1" in (
        digest["body"])


def test_notify_cohort_staff_reaches_the_staff_of_the_cohorts_above(wp: Waypoint) -> None:
    setup(wp)
    submit(wp, "s1", "plan", "2026-09-01T10:00")  # approved by finance, notifies cohort staff
    tick(wp, "2026-09-02T08:00")
    assert recipients(wp) == COHORT_STAFF
    assert all("- Sam Student (s1): Study plan" in d["body"] for d in digests(wp))


def test_a_colleague_standing_in_for_an_approver_hears_of_the_request_too(
        wp: Waypoint) -> None:
    setup(wp)
    wp.json("delegate", "--to", FINANCE, "--start", "2026-09-01", "--end", "2026-09-10",
            "--by", HR, "--at", "2026-08-31T09:00")
    submit(wp, "s1", "budget", "2026-09-01T10:00")
    tick(wp, "2026-09-02T08:00")
    assert recipients(wp) == [HR, FINANCE]


def test_a_request_withdrawn_or_decided_before_the_digest_is_left_out(wp: Waypoint) -> None:
    setup(wp)
    submit(wp, "s1", "form", "2026-09-01T09:00")
    submit(wp, "s2", "form", "2026-09-01T10:00")
    submit(wp, "s3", "form", "2026-09-01T11:00")
    act(wp, "withdraw", "s1", "form", "2026-09-01T12:00", by="s1")
    act(wp, "approve", "s2", "form", "2026-09-01T13:00", by=ADVISOR)
    tick(wp, "2026-09-02T08:00")
    digest = next(d for d in digests(wp) if d["to"] == ADVISOR)
    assert "Kai Kim" in digest["body"]
    assert "Sam Student" not in digest["body"]
    assert "Robin Roe" not in digest["body"]


# -- campaigns -----------------------------------------------------------------------------


def test_a_campaigns_first_step_goes_on_the_day_it_starts_and_the_next_after_its_delay(
        wp: Waypoint) -> None:
    setup(wp)
    act(wp, "complete", "s1", "welcome-call", "2026-09-01T10:00")
    result = tick(wp, "2026-09-01T11:00")
    assert {"kind": "campaign", "count": 1} in result["changes"]
    (hello,) = mails(wp, "campaign")
    assert hello == {"to": "sam@example.edu", "subject": "Welcome, Sam Student",
                     "body": "You completed Welcome call in Fall 2026."}
    tick(wp, "2026-09-01T15:00")
    tick(wp, "2026-09-03T23:00")
    assert len(mails(wp, "campaign")) == 1
    tick(wp, "2026-09-04T00:30")
    assert [m["subject"] for m in mails(wp, "campaign")] == [
        "Welcome, Sam Student", "How is it going, Sam Student?"]
    tick(wp, "2026-09-10T09:00")
    assert len(mails(wp, "campaign")) == 2


def test_a_campaign_closed_for_a_week_sends_each_due_step_once(wp: Waypoint) -> None:
    setup(wp)
    act(wp, "complete", "s2", "welcome-call", "2026-09-01T10:00")
    tick(wp, "2026-09-08T09:00")
    tick(wp, "2026-09-08T10:00")
    assert sorted(m["subject"] for m in mails(wp, "campaign")) == [
        "How is it going, Robin Roe?", "Welcome, Robin Roe"]


def test_a_stopped_campaign_sends_nothing_more(wp: Waypoint) -> None:
    setup(wp)
    act(wp, "complete", "s1", "welcome-call", "2026-09-01T10:00")
    tick(wp, "2026-09-01T11:00")
    act(wp, "complete", "s1", "exit", "2026-09-02T10:00")
    tick(wp, "2026-09-04T09:00")
    tick(wp, "2026-09-20T09:00")
    assert [m["subject"] for m in mails(wp, "campaign")] == ["Welcome, Sam Student"]


def test_a_campaign_template_that_cannot_render_raises_an_alert_and_the_tick_goes_on(
        wp: Waypoint) -> None:
    setup(wp)
    act(wp, "complete", "s1", "badge", "2026-09-01T09:00")
    act(wp, "complete", "s2", "welcome-call", "2026-09-01T09:00")
    submit(wp, "s3", "form", "2026-08-31T10:00")
    result = tick(wp, "2026-09-01T10:00")
    assert {"kind": "alert", "alert": "action_failed", "count": 1} in result["changes"]
    (alert,) = failed_alerts(wp)
    assert alert["person"] == "s1"
    assert alert["milestone"] == "badge"
    assert "broken" in alert["message"]
    # the rest of the tick went on: Robin's campaign and the digest of the 31st
    assert [m["to"] for m in mails(wp, "campaign")] == ["robin@example.edu"]
    assert recipients(wp) == COHORT_STAFF
    tick(wp, "2026-09-02T10:00")
    assert len(failed_alerts(wp)) == 1


def test_a_participant_without_an_email_is_skipped_with_one_alert(wp: Waypoint) -> None:
    setup(wp)
    act(wp, "complete", "s4", "welcome-call", "2026-09-01T09:00")
    tick(wp, "2026-09-01T10:00")
    tick(wp, "2026-09-05T10:00")  # the second step is due too: still one alert
    (alert,) = failed_alerts(wp)
    assert alert["person"] == "s4"
    assert "no email address" in alert["message"]
    assert mails(wp, "campaign") == []


def test_a_campaign_step_more_than_two_weeks_overdue_is_not_sent_late(wp: Waypoint) -> None:
    setup(wp)
    act(wp, "complete", "s1", "welcome-call", "2026-09-01T10:00")
    tick(wp, "2026-09-17T09:00")  # the first tick since: both steps' days are gone by
    assert [m["subject"] for m in mails(wp, "campaign")] == ["How is it going, Sam Student?"]
