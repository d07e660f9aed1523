"""A milestone's sub-tables: [milestones.approval], [milestones.on_complete], [milestones.optional].

Each is None when the table is absent, so "no table" and "a table of defaults" stay
distinguishable where that matters (an optional milestone is one with an `optional` table).
"""

from __future__ import annotations

from app.services.programs.fields import Table, type_name
from app.services.programs.refs import Known
from app.services.programs.spec import (
    ApprovalSpec,
    ImpactTriggerSpec,
    LevelSpec,
    OnCompleteSpec,
    OptionalSpec,
    TriggerSpec,
)

TRIGGER_HINT = (
    'expected "person", "previous_approved", { status = "Active" } or '
    '{ attribute = "priority", values = ["High"] }'
)


def approval(t: Table | None, known: Known) -> ApprovalSpec | None:
    if t is None:
        return None
    spec = ApprovalSpec(
        levels=_levels(t, known),
        when_ready=t.choice("when_ready", ("ready", "approved"), "ready") or "ready",
        note_required=t.choice_list("note_required", ("approve", "deny")),
        submit_when=_triggers(t),
        any_time=t.flag("any_time"),
        ready_deadline_days=t.days("ready_deadline"),
        approval_deadline_days=t.days("approval_deadline"),
        notify=_notify(t, known),
    )
    t.finish()
    return spec


def _levels(t: Table, known: Known) -> list[LevelSpec]:
    """`approvers = {…}` is one level, `levels = […]` several; neither means cohort staff."""
    if t.has("approvers") and t.has("levels"):
        t.problem("levels", "give approvers (one level) or levels (several), not both")
    if t.has("levels"):
        if t.raw("levels") == []:
            t.problem("levels", "must list at least one level")
        return [_level(level, known) for level in t.tables("levels")]
    approvers = t.table("approvers")
    if approvers is not None:
        return [_level(approvers, known)]
    return [LevelSpec(cohort_staff=True)]


def _level(t: Table, known: Known) -> LevelSpec:
    level = LevelSpec(
        roles=t.texts("roles"),
        users=known.check_all(t, "users", "staff", t.emails("users")),
        cohort_staff=t.flag("cohort_staff"),
        min_approvals=t.integer("min_approvals", minimum=1) or 1,
    )
    written = t.raw("users")
    if not (level.roles or level.users or level.cohort_staff or written):
        t.problems.append((t.path, "names no approvers: give roles, users or cohort_staff = true"))
    elif not (level.roles or level.cohort_staff) and len(level.users) < level.min_approvals:
        t.problem("min_approvals", f"needs {level.min_approvals} approvers but only "
                  f"{len(level.users)} users are listed")
    t.finish()
    return level


def _triggers(t: Table) -> list[TriggerSpec]:
    raw = t.raw("submit_when")
    if raw is None:
        return [TriggerSpec("person")]
    if not isinstance(raw, list) or not raw:
        t.problem("submit_when", f"expected a list of triggers, each {TRIGGER_HINT}")
        return []
    triggers = []
    for index, item in enumerate(raw):
        path = f"submit_when[{index}]"
        if item in ("person", "previous_approved"):
            triggers.append(TriggerSpec(item))
        elif isinstance(item, dict) and ("status" in item) != ("attribute" in item):
            trigger = Table(item, t.at(path), t.problems)
            if "status" in item:
                triggers.append(TriggerSpec("status", status=trigger.text("status", required=True)))
            else:
                attribute = trigger.text("attribute", required=True)
                values = trigger.texts("values", required=True)
                triggers.append(TriggerSpec("attribute", attribute=attribute, values=values))
            trigger.finish()
        else:
            shown = repr(item) if isinstance(item, str) else type_name(item)
            t.problem(path, f"{TRIGGER_HINT}, got {shown}")
    return triggers


def _notify(t: Table, known: Known) -> list[str]:
    notify = []
    for index, value in t.indexed_texts("notify"):
        if value == "cohort_staff":
            notify.append(value)
            continue
        email = t.email(f"notify[{index}]", value)
        if email is not None:
            known.check(t, f"notify[{index}]", "staff", email)
            notify.append(email)
    return notify


def on_complete(t: Table | None, known: Known) -> OnCompleteSpec | None:
    if t is None:
        return None
    spec = OnCompleteSpec(
        move_to=t.text("move_to"),
        remove_from_cohort=t.flag("remove_from_cohort"),
        pipeline_status=t.text("pipeline_status"),
        start_campaign=t.text("start_campaign"),
        stop_campaigns=known.check_all(t, "stop_campaigns", "campaigns",
                                       t.indexed_texts("stop_campaigns")),
        email_template=t.text("email_template"),
    )
    for key, section, value in (
        ("move_to", "cohorts", spec.move_to),
        ("start_campaign", "campaigns", spec.start_campaign),
        ("email_template", "templates", spec.email_template),
    ):
        if value:
            known.check(t, key, section, value)
    if spec.move_to and spec.remove_from_cohort:
        t.problem("remove_from_cohort", "move_to already leaves the current cohort: give one")
    t.finish()
    return spec


def optional(t: Table | None) -> OptionalSpec | None:
    if t is None:
        return None
    spec = OptionalSpec(
        added_by=t.texts("added_by"),
        attributes=t.lists_by_name("attributes"),
        impact=_impact(t.table("impact")),
        match=t.choice("match", ("all", "any"), "all") or "all",
    )
    t.finish()
    return spec


def _impact(t: Table | None) -> ImpactTriggerSpec | None:
    if t is None:
        return None
    by_location = {}
    places = t.table("by_location")
    if places is not None:
        for place in places.data:
            over = places.number(place)
            if over is not None:
                by_location[place] = over
        places.finish()
    spec = ImpactTriggerSpec(
        key=t.text("key", required=True) or "",
        over=t.number("over", required=True) or 0.0,
        by_location=by_location,
        stage=t.choice("stage", ("target", "forecast", "actual"), "actual") or "actual",
    )
    t.finish()
    return spec
