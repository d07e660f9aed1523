"""dump_program: a ProgramSpec → program file text, in the contract's layout.

Values equal to what the parser would fill in are left out, so an export reads like a file a
coordinator wrote. tomli_w renders every scalar and key (quoting and escaping are where a
hand-written writer goes wrong); the layout around them — one [[section]] entry per
definition, short values inline — is ours, because tomli_w would turn every nested table into
a [section.sub] of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import tomli_w

from app.services.access import PERMISSIONS
from app.services.programs.spec import (
    DEFAULT_COMPLETE_BY,
    ApprovalSpec,
    DueSpec,
    LevelSpec,
    MilestoneSpec,
    OptionalSpec,
    ProgramSpec,
    QuestionSpec,
    SessionSpec,
    TriggerSpec,
)

Pairs = list[tuple[str, Any]]
_LINE = 100


def dump_program(spec: ProgramSpec) -> str:
    blocks = []
    if spec.program is not None:
        blocks.append(_block("[program]", [("name", spec.program.name),
                                           ("timezone", spec.program.timezone)]))
    if spec.permissions is not None:
        blocks.append(_block("[permissions]", [(name, spec.permissions[name])
                                               for name in PERMISSIONS
                                               if name in spec.permissions]))
    for s in spec.staff:
        blocks.append(_block("[[staff]]", [("email", s.email), ("name", s.name),
                                           ("roles", s.roles or None)]))
    for c in spec.cohorts:
        blocks.append(_block("[[cohorts]]", [
            ("key", c.key), ("name", c.name), ("parent", c.parent), ("staff", c.staff or None),
            ("expected", _days(c.expected_days)),
        ]))
    for g in spec.gates:
        blocks.append(_block("[[gates]]", [("key", g.key), ("name", g.name),
                                           ("reviewers", g.reviewers or None)]))
    for t in spec.templates:
        blocks.append(_block("[[templates]]", [("key", t.key), ("subject", t.subject),
                                               ("body", t.body)]))
    for c in spec.campaigns:
        steps = [{"after": _days(step.after_days), "template": step.template} for step in c.steps]
        blocks.append(_block("[[campaigns]]", [("key", c.key), ("steps", steps)]))
    for position, m in enumerate(spec.milestones, start=1):
        blocks.append(_milestone(m, position))
    for s in spec.sessions:
        blocks.append(_block("[[sessions]]", _session(s)))
    return "\n".join(blocks)


def _milestone(m: MilestoneSpec, position: int) -> str:
    parts = [_block("[[milestones]]", [
        ("key", m.key),
        ("title", m.title),
        ("description", m.description),
        ("kind", _unless(m.kind, "standard")),
        ("cohorts", m.cohorts),
        ("step", _unless(m.step, position)),
        ("gate", m.gate),
        ("after", m.after or None),
        ("starts", _unless(m.starts, "after_prerequisites" if m.after else "on_assignment")),
        ("due", _due(m.due)),
        ("expected", _days(m.expected_days)),
        ("scale", None if (m.scale_behind, m.scale_stuck) == (1.0, 1.5)
         else {"behind": _number(m.scale_behind), "stuck": _number(m.scale_stuck)}),
        ("escalate_after", _days(m.escalate_after_days)),
        ("complete_by", _unless(m.complete_by, [DEFAULT_COMPLETE_BY[m.kind]])),
        ("steps", [_drop({"title": s.title, "kind": _unless(s.kind, "task"),
                          "required": _unless(s.required, True)}) for s in m.steps] or None),
        ("upload", _unless(m.upload, "off")),
        ("form", [_question(q) for q in m.form] or None),
        ("labels", m.labels or None),
        ("visible_to", m.visible_to or None),
        ("skip_when", m.skip_when or None),
        ("bypass_roles", m.bypass_roles),
        ("unset_on", m.unset_on or None),
        ("blocks_statuses", m.blocks_statuses or None),
        ("retired", m.retired or None),
        ("reminders", [_drop({r.kind: _days(r.days), "template": r.template})
                       for r in m.reminders] or None),
        ("meeting", {"group": m.meeting.group, "reason": m.meeting.reason} if m.meeting else None),
        ("attendance_min", _number(m.attendance_min)),
        ("connect", m.connect),
        ("post_action_required", m.post_action_required or None),
        ("activities", [_drop({"when": a.when, "title": a.title, "link": a.link, "file": a.file})
                        for a in m.activities] or None),
        ("signatures", m.signatures or None),
    ])]
    if m.approval is not None and (m.approval != ApprovalSpec() or "request" not in m.complete_by):
        parts.append(_block("[milestones.approval]", _approval(m.approval)))
    if m.on_complete is not None:
        o = m.on_complete
        parts.append(_block("[milestones.on_complete]", [
            ("move_to", o.move_to),
            ("remove_from_cohort", o.remove_from_cohort or None),
            ("pipeline_status", o.pipeline_status),
            ("start_campaign", o.start_campaign),
            ("stop_campaigns", o.stop_campaigns or None),
            ("email_template", o.email_template),
        ]))
    if m.optional is not None:
        parts.append(_block("[milestones.optional]", _optional(m.optional)))
    for s in m.surveys:
        parts.append(_block("[[milestones.surveys]]", [
            ("key", s.key), ("title", s.title), ("active", _unless(s.active, True)),
            ("questions", [_question(q) for q in s.questions]),
        ]))
    return "\n".join(parts)


def _approval(a: ApprovalSpec) -> Pairs:
    levels = [_level(level) for level in a.levels]
    return [
        ("approvers", levels[0] if len(levels) == 1 and a.levels != ApprovalSpec().levels
         else None),
        ("levels", levels if len(levels) > 1 else None),
        ("when_ready", _unless(a.when_ready, "ready")),
        ("note_required", a.note_required or None),
        ("submit_when", _unless([_trigger(t) for t in a.submit_when], ["person"])),
        ("any_time", a.any_time or None),
        ("ready_deadline", _days(a.ready_deadline_days)),
        ("approval_deadline", _days(a.approval_deadline_days)),
        ("notify", a.notify or None),
    ]


def _level(level: LevelSpec) -> dict[str, Any]:
    return _drop({"roles": level.roles or None, "users": level.users or None,
                  "cohort_staff": level.cohort_staff or None,
                  "min_approvals": _unless(level.min_approvals, 1)})


def _trigger(t: TriggerSpec) -> Any:
    if t.kind == "status":
        return {"status": t.status}
    if t.kind == "attribute":
        return {"attribute": t.attribute, "values": t.values}
    return t.kind


def _optional(o: OptionalSpec) -> Pairs:
    impact = None
    if o.impact is not None:
        places = {place: _number(over) for place, over in o.impact.by_location.items()}
        impact = _drop({"key": o.impact.key, "over": _number(o.impact.over),
                        "by_location": places or None, "stage": _unless(o.impact.stage, "actual")})
    return [("added_by", o.added_by or None), ("attributes", o.attributes or None),
            ("impact", impact), ("match", _unless(o.match, "all"))]


def _due(due: DueSpec | None) -> dict[str, Any] | None:
    if due is None:
        return None
    if due.kind == "date":
        return {"date": due.date.isoformat() if due.date else None}
    if due.kind == "attribute":
        return _drop({"attribute": due.attribute, "offset": _days(due.offset_days or None)})
    return {due.kind: _days(due.days)}


def _question(q: QuestionSpec) -> dict[str, Any]:
    return _drop({"kind": q.kind, "text": q.text, "options": q.options or None, "scale": q.scale})


def _session(s: SessionSpec) -> Pairs:
    return [
        ("key", s.key), ("title", s.title), ("milestone", s.milestone),
        ("start", _time(s.start)), ("end", _time(s.end)),
        ("location", s.location), ("link", s.link), ("passcode", s.passcode),
        ("tentative", s.tentative or None), ("trainers", s.trainers or None),
        ("marking", _unless(s.marking, "admin")), ("group", s.group), ("reason", s.reason),
    ]


def _time(value: datetime | None) -> str | None:
    """ISO with its offset; minutes suffice for the times people schedule."""
    if value is None:
        return None
    whole_minute = value.second == 0 and value.microsecond == 0
    return value.isoformat(timespec="minutes" if whole_minute else "auto")


def _days(days: int | None) -> str | None:
    return None if days is None else f"{days}d"


def _number(value: float | None) -> float | int | None:
    """3.0 is written 3: the parser reads either as the same number."""
    if value is not None and float(value).is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _unless(value: Any, default: Any) -> Any:
    return None if value == default else value


def _drop(table: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in table.items() if value is not None}


def _block(header: str, pairs: Pairs) -> str:
    lines = [header] + [_assignment(key, value) for key, value in pairs if value is not None]
    return "\n".join(lines) + "\n"


def _assignment(key: str, value: Any) -> str:
    """`key = value` on one line, or a long list one item per line."""
    if isinstance(value, str) and "\n" in value and "\r" not in value:
        # A mail body reads best over several lines; TOML would turn "\r\n" into "\n".
        return f"{_key(key)} = " + tomli_w.dumps({"v": value}, multiline_strings=True)[4:-1]
    line = f"{_key(key)} = {_value(value)}"
    if len(line) <= _LINE or not isinstance(value, list) or len(value) < 2:
        return line
    items = "".join(f"    {_value(item)},\n" for item in value)
    return f"{_key(key)} = [\n{items}]"


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    return tomli_w.dumps({"v": value})[4:-1]


def _key(key: str) -> str:
    return tomli_w.dumps({key: 0})[: -len(" = 0\n")]
