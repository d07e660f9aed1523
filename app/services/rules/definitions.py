"""ApplyProgram: a program file's definitions into the store, by key, and what that moves.

Apply compares each definition of the file with the store's own export of it, so a file that
says what the store already holds changes nothing and reports nothing (export → apply is a
no-op). Definitions the file does not name are left alone: a file may carry one cohort.
After the definitions, the participants they concern are brought in line: newly linked
milestones are assigned to current members, due dates are recomputed, and progress nobody
has acted on moves to the state its new rules give it (every move reported, so a dry run
says whose due dates or states would move).
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as OrmSession

from app.models import (
    DONE_STATES,
    Campaign,
    Cohort,
    CohortStaff,
    Gate,
    Membership,
    Milestone,
    MilestoneCohort,
    Person,
    Prerequisite,
    Progress,
    ScheduledSession,
    Staff,
    StaffRole,
    Step,
    Template,
)
from app.services.access import (
    PERMISSIONS_SETTING,
    hidden_milestones,
    permissions_of,
    role_permissions,
    stored_permissions,
)
from app.services.commands import ApplyProgram
from app.services.errors import Refused
from app.services.programs import versions
from app.services.programs.codec import to_plain
from app.services.programs.export import (
    RULE_FIELDS,
    cohort_spec,
    milestone_spec,
    session_spec,
    staff_spec,
)
from app.services.programs.refs import cycles
from app.services.programs.spec import (
    CampaignSpec,
    CohortSpec,
    GateSpec,
    MilestoneSpec,
    ProgramSpec,
    SessionSpec,
    StaffSpec,
    TemplateSpec,
)
from app.services.registry import handles
from app.services.rules.lifecycle import (
    assign,
    attributes_for,
    blocked_by,
    natural_state,
    parents_of,
    refresh_due,
    transition,
)
from app.services.rules.optional import add_on_joining
from app.services.rules.permissions import require_editor
from app.services.rules.triggers import submit_on_joining
from app.services.settings import PROGRAM_NAME, TIMEZONE, get_setting, put_setting
from app.services.work import Work

# Lists whose order carries no meaning: compared as sets, so a reordered file is no change.
_SET_LIKE = {"roles", "staff", "cohorts", "after", "reviewers", "trainers", "labels",
             "visible_to", "bypass_roles", "unset_on", "blocks_statuses"}
# Milestone fields that decide which state a progress nobody has acted on belongs in.
_STATE_FIELDS = {"after", "starts", "skip_when"}
_DUE_FIELDS = {"due"}
# Milestone fields that decide who a trigger gives the milestone to, or submits it for.
_TRIGGER_FIELDS = {"optional", "approval", "cohorts", "retired"}


def _has_triggers(item: MilestoneSpec) -> bool:
    """Optional milestones given by a trigger, or requests submitted by one."""
    optional = item.optional is not None and bool(item.optional.attributes or item.optional.impact)
    approval = item.approval is not None and any(
        t.kind != "person" for t in item.approval.submit_when)
    return optional or approval


def _comparable(spec: Any) -> dict[str, Any]:
    if isinstance(spec, SessionSpec):  # the same instant, whichever zone wrote it
        spec = dataclasses.replace(spec, start=spec.start and spec.start.astimezone(UTC),
                                   end=spec.end and spec.end.astimezone(UTC))
    plain = to_plain(spec)
    for name in _SET_LIKE & plain.keys():
        if isinstance(plain[name], list):
            plain[name] = sorted(plain[name])
    return plain


def _differences(old: Any, new: Any) -> list[str]:
    """The names of the fields that differ, or [] when the two say the same."""
    a, b = _comparable(old), _comparable(new)
    return [name for name in b if a.get(name) != b[name]]


def _report(work: Work, kind: str, key: str, fields: list[str] | None) -> None:
    """One change entry per created (fields None) or updated definition."""
    entry: dict[str, Any] = {"kind": "definition", "type": kind, "key": key,
                             "action": "created" if fields is None else "updated"}
    if fields:
        entry["fields"] = fields
    work.record("definitions", entry)


class _Apply:
    """One apply: the store's rows by key, and what moved, for the reconciling pass."""

    def __init__(self, work: Work, spec: ProgramSpec) -> None:
        self.work = work
        self.session: OrmSession = work.session
        self.spec = spec
        self.linked: set[uuid.UUID] = set()  # cohorts that gained an assignable milestone
        self.retrigger: set[uuid.UUID] = set()  # cohorts whose milestones' triggers changed
        self.due_moved: set[uuid.UUID] = set()
        self.state_moved: set[uuid.UUID] = set()

    def by_key(self, model: type, key: str) -> Any:
        return self.session.scalar(select(model).where(model.key == key))

    def staff_id(self, email: str) -> uuid.UUID:
        staff = self.session.scalar(select(Staff).where(Staff.email == email.lower()))
        if staff is None:
            raise Refused(f"No staff member '{email}' in the program file or the store.")
        return staff.id

    def places(self, model: type, keys: list[str]) -> dict[str, int]:
        """Where each named row goes in its section's order. A file naming every row of the
        section sets the order (export → apply keeps it). A file naming only some (one
        cohort, one milestone edited in the app) leaves the order alone: the rows it names
        keep their places and new ones go after the last, as if appended to the file."""
        held = dict(self.session.execute(select(model.key, model.position)).all())
        if held.keys() <= set(keys):
            return {key: index for index, key in enumerate(keys)}
        last = max(held.values(), default=-1)
        places = {}
        for key in keys:
            if key not in held:
                last += 1
            places[key] = held.get(key, last)
        return places

    def _rows_first(self, model: type, items: list[Any], exported: Any
                    ) -> list[tuple[Any, Any, list[str] | None]]:
        """Create the rows a file adds and find those it changes, keeping the file's order;
        returns (spec, row, changed fields or None for a new row) for the second pass."""
        changed: list[tuple[Any, Any, list[str] | None]] = []
        places = self.places(model, [item.key for item in items])
        for item in items:
            position = places[item.key]
            row = self.by_key(model, item.key)
            if row is None:
                extra = {"title": item.title} if model is Milestone else {"name": item.name}
                row = model(id=self.work.new_id(), key=item.key, position=position, **extra)
                self.session.add(row)
                changed.append((item, row, None))
                continue
            row.position = position
            fields = _differences(exported(self.session, row), item)
            if fields:
                row.version += 1
                changed.append((item, row, fields))
        self.session.flush()
        return changed

    # -- program-wide ------------------------------------------------------------------

    def program(self) -> None:
        info = self.spec.program
        if info is None:
            return
        fields = []
        if get_setting(self.session, PROGRAM_NAME) != info.name:
            put_setting(self.session, PROGRAM_NAME, info.name)
            fields.append("name")
        if (get_setting(self.session, TIMEZONE) or "UTC") != info.timezone:
            put_setting(self.session, TIMEZONE, info.timezone)
            fields.append("timezone")
            self.work.__dict__.pop("zone", None)  # Work.zone is cached
        if fields:
            _report(self.work, "program", info.name, fields)

    def permissions(self) -> None:
        given = self.spec.permissions
        if given is None or given == stored_permissions(self.session):
            return
        actor = self.work.actor
        if actor.staff is not None:
            mine = next((s.roles for s in self.spec.staff
                         if s.email.lower() == actor.staff.email.lower()), actor.roles)
            if "edit_programs" not in permissions_of(mine, given):
                raise Refused(
                    "permissions.edit_programs: this file takes away your own right to change "
                    f"the program (roles {', '.join(sorted(mine)) or 'none'}); nothing was "
                    "applied.")
        put_setting(self.session, PERMISSIONS_SETTING, json.dumps(given, sort_keys=True))
        _report(self.work, "permissions", "permissions", sorted(given) or ["defaults"])

    def staff(self, item: StaffSpec) -> None:
        email = item.email.lower()
        row = self.session.scalar(select(Staff).where(Staff.email == email))
        if row is not None:
            fields = _differences(staff_spec(self.session, row), item)
            if not fields:
                return
            actor = self.work.actor.staff
            table = (self.spec.permissions if self.spec.permissions is not None
                     else role_permissions(self.session))
            if (actor is not None and actor.id == row.id
                    and "edit_programs" not in permissions_of(item.roles, table)):
                raise Refused(
                    f"staff[{email}]: this file takes away your own right to change the "
                    f"program (roles {', '.join(item.roles) or 'none'}); nothing was applied."
                )
            row.name = item.name
            row.version += 1
            self.session.execute(delete(StaffRole).where(StaffRole.staff_id == row.id))
        else:
            fields = None
            row = Staff(id=self.work.new_id(), email=email, name=item.name)
            self.session.add(row)
        self.session.flush()
        for role in sorted(set(item.roles)):
            self.session.add(StaffRole(staff_id=row.id, role=role))
        _report(self.work, "staff", email, fields)

    def cohorts(self, items: list[CohortSpec]) -> None:
        """Two passes: every cohort exists before any parent is set, so a file may name a
        child before its parent."""
        changed = self._rows_first(Cohort, items, cohort_spec)
        for item, row, fields in changed:
            row.name = item.name
            row.expected_days = item.expected_days
            row.parent_id = self.by_key(Cohort, item.parent).id if item.parent else None
            self.session.execute(delete(CohortStaff).where(CohortStaff.cohort_id == row.id))
            for email in sorted(set(item.staff)):
                self.session.add(CohortStaff(cohort_id=row.id, staff_id=self.staff_id(email)))
            _report(self.work, "cohort", item.key, fields)
        self.session.flush()
        self._refuse_cohort_cycles()

    def _refuse_cohort_cycles(self) -> None:
        """A parent named from the store can close a loop the file alone does not show."""
        parents = dict(self.session.execute(select(Cohort.id, Cohort.parent_id)).all())
        keys = dict(self.session.execute(select(Cohort.id, Cohort.key)).all())
        for start in parents:
            seen, node = set(), start
            while node is not None:
                if node in seen:
                    raise Refused(f"cohorts: '{keys[start]}' would be its own ancestor "
                                  "through its parents; nothing was applied.")
                seen.add(node)
                node = parents.get(node)

    def gate(self, position: int, item: GateSpec) -> None:
        row = self.by_key(Gate, item.key)
        if row is None:
            self.session.add(Gate(id=self.work.new_id(), key=item.key, name=item.name,
                                  position=position, reviewers=list(item.reviewers)))
            _report(self.work, "gate", item.key, None)
            return
        row.position = position
        old = GateSpec(key=row.key, name=row.name, reviewers=list(row.reviewers or []))
        fields = _differences(old, item)
        if fields:
            row.name, row.reviewers = item.name, list(item.reviewers)
            row.version += 1
            _report(self.work, "gate", item.key, fields)

    def template(self, item: TemplateSpec) -> None:
        row = self.by_key(Template, item.key)
        if row is None:
            self.session.add(Template(id=self.work.new_id(), key=item.key,
                                      subject=item.subject, body=item.body))
            _report(self.work, "template", item.key, None)
            return
        fields = _differences(TemplateSpec(row.key, row.subject, row.body), item)
        if fields:
            row.subject, row.body = item.subject, item.body
            row.version += 1
            _report(self.work, "template", item.key, fields)

    def campaign(self, item: CampaignSpec) -> None:
        steps = [dataclasses.asdict(step) for step in item.steps]
        row = self.by_key(Campaign, item.key)
        if row is None:
            self.session.add(Campaign(id=self.work.new_id(), key=item.key, steps=steps))
            _report(self.work, "campaign", item.key, None)
        elif list(row.steps or []) != steps:
            row.steps = steps
            row.version += 1
            _report(self.work, "campaign", item.key, ["steps"])

    # -- milestones --------------------------------------------------------------------

    def milestones(self, items: list[MilestoneSpec]) -> None:
        """Rows first, then links and prerequisites, which may name milestones further on."""
        changed = self._rows_first(Milestone, items, milestone_spec)
        for item, row, fields in changed:
            self._milestone_columns(row, item)
            self._milestone_links(row, item)
            self._steps(row, item)
            touched = set(fields or ())
            if touched & _DUE_FIELDS:
                self.due_moved.add(row.id)
            if touched & _STATE_FIELDS:
                self.state_moved.add(row.id)
            if _has_triggers(item) and (fields is None or touched & _TRIGGER_FIELDS):
                self.retrigger.update(self._cohort_ids(row.id))
            _report(self.work, "milestone", item.key, fields)
        self.session.flush()
        if changed:
            self._refuse_prerequisite_cycles()

    def _refuse_prerequisite_cycles(self) -> None:
        """A prerequisite named from the store can close a loop the file alone does not show
        (a file of one milestone, edited in the app): those would wait on each other forever."""
        keys = dict(self.session.execute(select(Milestone.id, Milestone.key)).all())
        parents: dict[str, list[str]] = {}
        for child, parent in self.session.execute(
                select(Prerequisite.milestone_id, Prerequisite.parent_id)):
            parents.setdefault(keys[child], []).append(keys[parent])
        loops = cycles(sorted(parents.items()), "milestones", "after")
        if loops:
            raise Refused(f"milestones: {loops[0][1]} of prerequisites, so none of them could "
                          "ever open; nothing was applied.")

    def _milestone_columns(self, row: Milestone, item: MilestoneSpec) -> None:
        due = item.due
        row.title, row.description, row.kind = item.title, item.description, item.kind
        row.step, row.starts = item.step, item.starts
        row.gate_id = self.by_key(Gate, item.gate).id if item.gate else None
        row.due_kind = due.kind if due else None
        row.due_date = due.date if due else None
        row.due_days = (due.offset_days if due.kind == "attribute" else due.days) if due else None
        row.due_attribute = due.attribute if due else None
        row.expected_days = item.expected_days
        row.scale_behind, row.scale_stuck = item.scale_behind, item.scale_stuck
        row.escalate_after_days = item.escalate_after_days
        row.complete_by = list(item.complete_by)
        row.upload = item.upload
        row.labels, row.visible_to = list(item.labels), list(item.visible_to)
        row.skip_when = {k: list(v) for k, v in item.skip_when.items()}
        row.bypass_roles = None if item.bypass_roles is None else list(item.bypass_roles)
        row.unset_on = list(item.unset_on)
        row.blocks_statuses = list(item.blocks_statuses)
        was_assignable = not row.retired and not row.is_optional
        row.retired = item.retired
        row.is_optional = item.optional is not None
        row.rules = {name: to_plain(getattr(item, name)) for name in RULE_FIELDS}
        if not was_assignable and not row.retired and not row.is_optional:
            self.linked.update(self._cohort_ids(row.id))

    def _cohort_ids(self, milestone_id: uuid.UUID) -> set[uuid.UUID]:
        return set(self.session.scalars(
            select(MilestoneCohort.cohort_id).where(MilestoneCohort.milestone_id == milestone_id)
        ))

    def _milestone_links(self, row: Milestone, item: MilestoneSpec) -> None:
        before = self._cohort_ids(row.id)
        wanted = {self.by_key(Cohort, key).id for key in item.cohorts}
        for cohort_id in before - wanted:
            self.session.execute(delete(MilestoneCohort).where(
                MilestoneCohort.milestone_id == row.id, MilestoneCohort.cohort_id == cohort_id))
        for cohort_id in wanted - before:
            self.session.add(MilestoneCohort(milestone_id=row.id, cohort_id=cohort_id))
        if not row.retired and not row.is_optional:
            self.linked.update(wanted - before)
        parents = {self.by_key(Milestone, key).id for key in item.after}
        had = set(self.session.scalars(
            select(Prerequisite.parent_id).where(Prerequisite.milestone_id == row.id)))
        if parents != had:
            self.session.execute(delete(Prerequisite).where(Prerequisite.milestone_id == row.id))
            for parent_id in parents:
                self.session.add(Prerequisite(milestone_id=row.id, parent_id=parent_id))
        self.session.flush()

    def _steps(self, row: Milestone, item: MilestoneSpec) -> None:
        """Steps keep their ids by position, so the ticks participants made stay put."""
        existing = list(self.session.scalars(
            select(Step).where(Step.milestone_id == row.id).order_by(Step.position)))
        for position, step in enumerate(item.steps):
            if position < len(existing):
                current = existing[position]
                current.title, current.kind, current.required = (
                    step.title, step.kind, step.required)
            else:
                self.session.add(Step(id=self.work.new_id(), milestone_id=row.id,
                                      position=position, title=step.title, kind=step.kind,
                                      required=step.required))
        for extra in existing[len(item.steps):]:
            self.session.delete(extra)

    def scheduled(self, position: int, item: SessionSpec) -> None:
        row = self.by_key(ScheduledSession, item.key)
        if row is not None:
            row.position = position
            fields = _differences(session_spec(self.session, row), item)
            if not fields:
                return
            row.version += 1
        else:
            fields = None
            row = ScheduledSession(id=self.work.new_id(), key=item.key, position=position)
        milestone = self.by_key(Milestone, item.milestone) if item.milestone else None
        row.title, row.milestone_id = item.title, milestone.id if milestone else None
        row.start, row.end = item.start, item.end
        row.location, row.link, row.passcode = item.location, item.link, item.passcode
        row.tentative, row.trainers = item.tentative, list(item.trainers)
        row.marking, row.group, row.reason = item.marking, item.group, item.reason
        self.session.add(row)
        _report(self.work, "session", item.key, fields)

    # -- participants the new definitions concern ------------------------------------------

    def reconcile(self) -> None:
        for cohort_id in sorted(self.linked):
            members = list(self.session.scalars(
                select(Membership.person_id).where(Membership.cohort_id == cohort_id,
                                                   Membership.left_at.is_(None))))
            assign(self.work, cohort_id, members)
        for milestone_id in sorted(self.due_moved | self.state_moved):
            self._reevaluate(milestone_id)
        for cohort_id in sorted(self.retrigger):
            members = list(self.session.scalars(
                select(Person).join(Membership, Membership.person_id == Person.id).where(
                    Membership.cohort_id == cohort_id, Membership.left_at.is_(None))))
            add_on_joining(self.work, cohort_id, members)  # optional ones they now match
            submit_on_joining(self.work, cohort_id, members)  # submit triggers that now hold

    def _reevaluate(self, milestone_id: uuid.UUID) -> None:
        """Every holder of a changed milestone, in a few queries: states for those nobody
        has acted on, due dates for those not done."""
        session = self.session
        milestone = session.get(Milestone, milestone_id)
        assert milestone is not None
        rows = session.scalars(select(Progress).where(
            Progress.milestone_id == milestone_id,
            Progress.state.not_in(DONE_STATES) | (Progress.acted.is_(False)),
        )).all()
        people = [progress.person_id for progress in rows]
        needs_attributes = bool(milestone.skip_when) or milestone.due_kind == "attribute"
        attributes = attributes_for(session, people) if needs_attributes else {}
        parents = parents_of(session, milestone_id)
        held: dict[uuid.UUID, dict[uuid.UUID, str]] = {}
        if parents and milestone_id in self.state_moved:
            for person_id, parent_id, state in session.execute(
                select(Progress.person_id, Progress.milestone_id, Progress.state).where(
                    Progress.milestone_id.in_([p.id for p in parents]))
            ):
                held.setdefault(person_id, {})[parent_id] = state
        for progress in rows:
            mine = attributes.get(progress.person_id, {})
            if milestone_id in self.state_moved and not progress.acted and (
                    progress.state in ("locked", "open", "skipped")):
                waiting = blocked_by(parents, held.get(progress.person_id, {}))
                state, note = natural_state(session, progress.person_id, milestone, mine,
                                            waiting)
                if state != progress.state:
                    transition(self.work, progress, state, "ProgressReevaluated",
                               note=note or "the program's rules changed")
            if progress.state not in DONE_STATES:
                refresh_due(self.work, progress, mine)


@handles(ApplyProgram)
def apply_program(command: ApplyProgram, work: Work) -> None:
    require_editor(work)
    apply_spec(work, command.spec)
    versions.record(work, f"apply {command.source}" if command.source else "apply")


def _as_seen_by(work: Work, spec: ProgramSpec) -> ProgramSpec:
    """An editor who may not see a restricted milestone writes files without it (their export
    leaves it out): applied, its links stay as they were (a milestone after it still is),
    and the file may not take its key."""
    actor = work.actor
    hidden = (hidden_milestones(work.session, actor.roles, actor.permissions)
              if actor.staff is not None else frozenset())
    if not hidden:
        return spec
    keys = dict(work.session.execute(select(Milestone.id, Milestone.key)
                                     .where(Milestone.id.in_(hidden))).all())
    for index, item in enumerate(spec.milestones):
        if item.key in keys.values():
            raise Refused(f"milestones[{index}].key: '{item.key}' is the key of a milestone "
                          f"{actor.label} may not see; nothing was applied.")
    kept: dict[str, list[str]] = {}
    for child, parent_id in work.session.execute(
            select(Milestone.key, Prerequisite.parent_id)
            .join(Prerequisite, Prerequisite.milestone_id == Milestone.id)
            .where(Prerequisite.parent_id.in_(hidden))):
        kept.setdefault(child, []).append(keys[parent_id])
    return dataclasses.replace(spec, milestones=[
        dataclasses.replace(m, after=[*m.after, *sorted(set(kept.get(m.key, ())) - set(m.after))])
        for m in spec.milestones])


def apply_spec(work: Work, spec: ProgramSpec) -> None:
    """Create or update every definition the spec names, then bring the participants'
    progress in line with them."""
    spec = _as_seen_by(work, spec)
    run = _Apply(work, spec)
    run.program()
    run.permissions()
    for item in spec.staff:
        run.staff(item)
    run.session.flush()
    run.cohorts(spec.cohorts)
    gates = run.places(Gate, [gate.key for gate in spec.gates])
    for gate in spec.gates:
        run.gate(gates[gate.key], gate)
    for template in spec.templates:
        run.template(template)
    for campaign in spec.campaigns:
        run.campaign(campaign)
    run.session.flush()
    run.milestones(spec.milestones)
    sessions = run.places(ScheduledSession, [item.key for item in spec.sessions])
    for item in spec.sessions:
        run.scheduled(sessions[item.key], item)
    run.session.flush()
    run.reconcile()
