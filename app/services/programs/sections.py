"""The program file's sections other than milestones, one reader per entry."""

from __future__ import annotations

import difflib
import zoneinfo
from datetime import UTC, datetime, tzinfo

from app.services.access import PERMISSIONS
from app.services.programs.fields import Table, parse_datetime, type_name
from app.services.programs.refs import Known
from app.services.programs.spec import (
    CampaignSpec,
    CampaignStepSpec,
    CohortSpec,
    GateSpec,
    ProgramInfo,
    SessionSpec,
    StaffSpec,
    TemplateSpec,
)


def zone_of(name: str) -> tzinfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def program(t: Table) -> ProgramInfo:
    name = t.text("name", required=True) or ""
    given = t.text("timezone")
    timezone = "UTC" if given is None else given
    if zone_of(timezone) is None:
        close = difflib.get_close_matches(timezone, zoneinfo.available_timezones(), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ' (e.g. "America/Chicago")'
        t.problem("timezone", f"'{timezone}' is not a time zone{hint}")
    t.finish()
    return ProgramInfo(name, timezone)


def permissions(t: Table) -> dict[str, list[str]]:
    """`[permissions]`: each permission the roles that hold it; the whole table replaces the
    store's (a permission it leaves out goes back to its default)."""
    found = {name: t.texts(name) for name in PERMISSIONS if t.has(name)}
    t.finish()
    return found


def staff(t: Table) -> StaffSpec:
    raw = t.raw("email")
    email = t.email("email", raw) if raw is not None else t.text("email", required=True)
    spec = StaffSpec(email or "", t.text("name", required=True) or "", t.texts("roles"))
    t.finish()
    return spec


def cohort(t: Table, known: Known) -> CohortSpec:
    key = t.text("key", required=True) or ""
    parent = t.text("parent")
    if parent is not None and parent == key:
        t.problem("parent", "a cohort cannot be its own parent")
    elif parent:
        known.check(t, "parent", "cohorts", parent)
    spec = CohortSpec(
        key=key,
        name=t.text("name", required=True) or "",
        parent=parent,
        staff=known.check_all(t, "staff", "staff", t.emails("staff")),
        expected_days=t.days("expected"),
    )
    t.finish()
    return spec


def gate(t: Table) -> GateSpec:
    spec = GateSpec(
        t.text("key", required=True) or "",
        t.text("name", required=True) or "",
        t.texts("reviewers"),
    )
    t.finish()
    return spec


def template(t: Table) -> TemplateSpec:
    spec = TemplateSpec(
        t.text("key", required=True) or "",
        t.text("subject", required=True) or "",
        t.text("body", required=True) or "",
    )
    t.finish()
    return spec


def campaign(t: Table, known: Known) -> CampaignSpec:
    key = t.text("key", required=True) or ""
    if not t.has("steps") or t.raw("steps") == []:
        t.problem("steps", 'needs at least one, like [{ after = "3d", template = "nudge" }]')
    steps = []
    for step in t.tables("steps"):
        after = step.days("after", required=True)
        name = step.text("template", required=True)
        if name:
            known.check(step, "template", "templates", name)
        step.finish()
        steps.append(CampaignStepSpec(after or 0, name or ""))
    t.finish()
    return CampaignSpec(key, steps)


def session(t: Table, known: Known, zone: tzinfo) -> SessionSpec:
    key = t.text("key", required=True) or ""
    title = t.text("title", required=True) or ""
    milestone = t.text("milestone")
    if milestone:
        known.check(t, "milestone", "milestones", milestone)
    start, end = _time(t, "start", zone), _time(t, "end", zone)
    if start and end and end < start:
        t.problem("end", f"ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    group, reason = t.text("group"), t.text("reason")
    if (group is None) != (reason is None):
        t.problem("reason" if group else "group", "group and reason go together: give both")
    spec = SessionSpec(
        key=key,
        title=title,
        milestone=milestone,
        start=start,
        end=end,
        location=t.text("location"),
        link=t.text("link"),
        passcode=t.text("passcode"),
        tentative=t.flag("tentative"),
        trainers=known.check_all(t, "trainers", "staff", t.emails("trainers")),
        marking=t.choice("marking", ("admin", "self"), "admin") or "admin",
        group=group,
        reason=reason,
    )
    t.finish()
    return spec


def _time(t: Table, key: str, zone: tzinfo) -> datetime | None:
    """A time in the program's zone; one written without an offset is read in that zone.

    Going through UTC moves a wall time that does not exist (inside a daylight-saving jump)
    to the real instant it names, so what is exported reads back as the same time.
    """
    value = t.raw(key)
    if value is None:
        t.problem(key, 'is required: a time like "2026-09-01T09:00"')
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        shown = repr(value) if isinstance(value, str) else type_name(value)
        t.problem(key, f'expected a time like "2026-09-01T09:00", got {shown}')
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC).astimezone(zone)
