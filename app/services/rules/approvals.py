"""Completion requests and their review: submit, approve, deny, withdraw.

A request is reviewed level by level: a level acts only when every level before it has its
approvals, and needs `min_approvals` distinct approvers. Someone eligible at several levels
approves them all at once. Each submission is a round; a denial ends the round, and a
resubmission starts the levels again.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.models import (
    Approval,
    Cohort,
    CohortStaff,
    Delegation,
    Membership,
    Milestone,
    MilestoneCohort,
    Progress,
    Staff,
    StaffRole,
)
from app.models.store import savepoint
from app.services import lookup, mail
from app.services.access import permissions_of, role_permissions, staff_roles
from app.services.commands import (
    ApproveMany,
    ApproveProgress,
    AssignApproval,
    Delegate,
    DenyProgress,
    SubmitProgress,
    WithdrawProgress,
)
from app.services.errors import Refused
from app.services.programs.codec import from_plain
from app.services.programs.spec import ApprovalSpec, LevelSpec
from app.services.registry import handles
from app.services.rules.content import form_answers
from app.services.rules.lifecycle import history, transition, waiting_on
from app.services.rules.permissions import require_self_or_staff
from app.services.rules.progress_verbs import refuse_if_done, refuse_if_locked, target
from app.services.rules.waiting import complete_unless_waiting, refuse_while_waiting
from app.services.work import Actor, Work


def approval_spec(milestone: Milestone) -> ApprovalSpec:
    """The milestone's approval rules; cohort staff approve when the file names nobody."""
    stored = (milestone.rules or {}).get("approval")
    return from_plain(ApprovalSpec, stored) if stored else ApprovalSpec()


@dataclass(frozen=True)
class Approver:
    """What decides whether someone may approve: who they are and which cohorts they staff."""

    email: str
    roles: frozenset[str]
    staffs: frozenset[uuid.UUID]  # cohorts this person is staff of, and every cohort below
    delegators: tuple[Approver, ...] = ()  # colleagues this person stands in for today
    approves: bool = True  # their roles hold the `approve` permission

    def eligible(self, level: LevelSpec, cohorts: set[uuid.UUID]) -> bool:
        """Admins may act at every level; others by role, by name or as cohort staff, where
        their roles hold the permission to approve."""
        return "admin" in self.roles or self.approves and (
            bool(self.roles.intersection(level.roles))
            or self.email in level.users  # program files store emails lower-cased
            or (level.cohort_staff and bool(self.staffs & cohorts))
        )

    def acting_for(self, level: LevelSpec, cohorts: set[uuid.UUID]) -> str | None:
        """'' when eligible in their own right, a delegator's email when only through them,
        None when not eligible at all."""
        if self.eligible(level, cohorts):
            return ""
        return next((d.email for d in self.delegators if d.eligible(level, cohorts)), None)

    def may_act(self, level: LevelSpec, cohorts: set[uuid.UUID]) -> bool:
        return self.acting_for(level, cohorts) is not None

    @property
    def reviews(self) -> frozenset[uuid.UUID]:
        """The cohorts whose staff this person approves as, in their own right or for a
        delegator: where `level.cohort_staff`, may_act(level, cohorts) is may_act(level, set())
        or `cohorts` meeting these. The inbox asks the store which requests meet them rather
        than reading every request's cohorts."""
        return frozenset().union(*(a.staffs for a in (self, *self.delegators) if a.approves))


def descendants(session: OrmSession, roots: set[uuid.UUID]) -> set[uuid.UUID]:
    """Cohorts below these (and these): staff of a program are staff of its sections."""
    children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
    for cohort_id, parent_id in session.execute(select(Cohort.id, Cohort.parent_id)):
        children.setdefault(parent_id, []).append(cohort_id)
    found, pending = set(), list(roots)
    while pending:
        current = pending.pop()
        if current not in found:
            found.add(current)
            pending.extend(children.get(current, []))
    return found


def approver_for(session: OrmSession, staff: Staff, on: date | None = None) -> Approver:
    """Who `staff` may approve as on the day `on`: themselves, and whoever delegated to them
    for that day."""
    roles = staff_roles(session, staff.id)
    staffed = set(session.scalars(
        select(CohortStaff.cohort_id).where(CohortStaff.staff_id == staff.id)))
    delegators: tuple[Approver, ...] = ()
    if on is not None:
        delegators = tuple(
            approver_for(session, colleague)
            for colleague in session.scalars(
                select(Staff).join(Delegation, Delegation.from_staff_id == Staff.id).where(
                    Delegation.to_staff_id == staff.id, Delegation.start <= on,
                    Delegation.end >= on))
        )
    return Approver(staff.email.lower(), roles, frozenset(descendants(session, staffed)),
                    delegators, "approve" in permissions_of(roles, role_permissions(session)))


def request_cohorts(session: OrmSession, person_id: uuid.UUID, milestone_id: uuid.UUID
                    ) -> set[uuid.UUID]:
    """The participant's current cohorts that carry the milestone: whose staff review it."""
    return set(session.scalars(
        select(Membership.cohort_id)
        .join(MilestoneCohort, MilestoneCohort.cohort_id == Membership.cohort_id)
        .where(Membership.person_id == person_id, Membership.left_at.is_(None),
               MilestoneCohort.milestone_id == milestone_id)
    ))


def approved_by_level(session: OrmSession, progress: Progress) -> dict[int, set[str]]:
    """Who has approved each level in the current round."""
    found: dict[int, set[str]] = {}
    for level, actor in session.execute(
        select(Approval.level, Approval.actor).where(
            Approval.progress_id == progress.id, Approval.round == progress.round,
            Approval.decision == "approved")
    ):
        found.setdefault(level, set()).add(actor)
    return found


def current_level(spec: ApprovalSpec, approved: dict[int, set[str]]) -> int | None:
    """The first level (1-based) still short of approvals; None when every level has them."""
    for number, level in enumerate(spec.levels, start=1):
        if len(approved.get(number, ())) < level.min_approvals:
            return number
    return None


def ancestors(session: OrmSession, cohort_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    parents = dict(session.execute(select(Cohort.id, Cohort.parent_id)).all())
    found: set[uuid.UUID] = set()
    for cohort_id in cohort_ids:
        node: uuid.UUID | None = cohort_id
        while node is not None and node not in found:
            found.add(node)
            node = parents.get(node)
    return found


def who_may_act(session: OrmSession, level: LevelSpec, cohorts: set[uuid.UUID]) -> str:
    """The people a refused approver should turn to, by name where the level names them."""
    emails = {user.lower() for user in level.users}
    if level.roles:
        emails.update(session.scalars(select(Staff.email).join(
            StaffRole, StaffRole.staff_id == Staff.id).where(StaffRole.role.in_(level.roles))))
    if level.cohort_staff and cohorts:
        emails.update(session.scalars(select(Staff.email).join(
            CohortStaff, CohortStaff.staff_id == Staff.id).where(
                CohortStaff.cohort_id.in_(ancestors(session, cohorts)))))
    table = role_permissions(session)
    if "approve" in table and emails:  # those whose roles no longer let them approve are not
        roles: dict[str, set[str]] = {}  # worth turning to
        for email, role in session.execute(select(Staff.email, StaffRole.role).join(
                StaffRole, StaffRole.staff_id == Staff.id).where(Staff.email.in_(emails))):
            roles.setdefault(email, set()).add(role)
        emails = {e for e in emails if "approve" in permissions_of(roles.get(e, ()), table)}
    named = sorted(emails)
    shown = ", ".join(named[:5]) + (f" and {len(named) - 5} more" if len(named) > 5 else "")
    how = [f"role {', '.join(level.roles)}"] if level.roles else []
    if level.cohort_staff:
        how.append("the participant's cohort staff")
    if not named:
        return f"only an admin ({' or '.join(how) or 'nobody else'} has no one)"
    return f"{shown} ({' or '.join(how)}) or an admin" if how else f"{shown} or an admin"


class _Review:
    """One approver's view of one request, as approve and deny both need it."""

    def __init__(self, command: ApproveProgress | DenyProgress, work: Work, doing: str) -> None:
        self.work = work
        self.person, self.milestone, self.progress = target(command, work)
        work.saw("progress", self.progress.id, self.progress.version,
                 f"'{self.milestone.title}' for {self.person.name}")
        if self.progress.state != "submitted":
            raise Refused(f"'{self.milestone.title}' is not waiting for approval for "
                          f"{self.person.name}: it is {self.progress.state}.")
        actor: Actor = work.actor
        self.spec = approval_spec(self.milestone)
        self.cohorts = request_cohorts(work.session, self.person.id, self.milestone.id)
        self.approved = approved_by_level(work.session, self.progress)
        level = current_level(self.spec, self.approved)
        if level is None:  # every level has its approvals: nothing is left to decide
            raise Refused(f"'{self.milestone.title}' has all the approvals it needs.")
        self.level = level
        spec_level = self.spec.levels[level - 1]
        if actor.staff is None:
            raise Refused(f"A participant may not {doing} a request; "
                          f"{who_may_act(work.session, spec_level, self.cohorts)} may.")
        self.approver = approver_for(work.session, actor.staff, work.today)
        if not self.approver.may_act(spec_level, self.cohorts):
            later = [n for n, lv in enumerate(self.spec.levels, start=1)
                     if n > level and self.approver.may_act(lv, self.cohorts)]
            wait = (f" {actor.label} approves at level {later[0]}, after level {level}."
                    if later else "")
            raise Refused(f"'{self.milestone.title}' for {self.person.name} waits for level "
                          f"{level} of {len(self.spec.levels)}: "
                          f"{who_may_act(work.session, spec_level, self.cohorts)} may "
                          f"{doing} it now.{wait}")
        assignee = self.progress.assigned_to
        if assignee and assignee != self.approver.email and "admin" not in self.approver.roles:
            raise Refused(f"'{self.milestone.title}' for {self.person.name} was handed to "
                          f"{assignee}: only they (or an admin) may {doing} it now.")
        if self.approver.email in self.approved.get(level, set()):
            raise Refused(f"{actor.label} has already approved level {level} of "
                          f"'{self.milestone.title}'; it needs another approver.")

    @property
    def overriding(self) -> bool:
        """An admin acting where the milestone does not name them: an override."""
        plain = dataclasses.replace(self.approver, roles=self.approver.roles - {"admin"})
        return not plain.may_act(self.spec.levels[self.level - 1], self.cohorts)

    def require_note(self, decision: str, note: str | None) -> None:
        if (note or "").strip():
            return
        if decision in self.spec.note_required:
            raise Refused(f"'{self.milestone.title}' needs a note to {decision}: "
                          "give it with --note.")
        if self.overriding:
            raise Refused(f"{self.approver.email} is not an approver of "
                          f"'{self.milestone.title}': an admin override needs its reason "
                          "(--note).")

    def record(self, level: int, decision: str, note: str | None) -> None:
        work = self.work
        work.session.add(Approval(
            id=work.new_id(), progress_id=self.progress.id, round=self.progress.round,
            level=level, actor=self.approver.email, decision=decision, note=note,
            on_behalf_of=self.approver.acting_for(self.spec.levels[level - 1], self.cohorts)
            or None, at=work.at, op_id=work.op_id))
        self.progress.assigned_to = None  # the one it was handed to has acted
        self.approved.setdefault(level, set())
        if decision == "approved":
            self.approved[level].add(self.approver.email)
        work.record("approvals", {"kind": "approval", "person": self.person.external_id,
                                  "milestone": self.milestone.key, "level": level,
                                  "decision": decision, "by": self.approver.email})


@handles(SubmitProgress)
def submit(command: SubmitProgress, work: Work) -> None:
    person, milestone, progress = target(command, work)
    require_self_or_staff(work, person, "submit")
    if "request" not in (milestone.complete_by or []):
        ways = ", ".join(milestone.complete_by) or "staff"
        raise Refused(f"'{milestone.title}' completes by {ways}, not by a completion request.")
    spec = approval_spec(milestone)
    if "person" not in [t.kind for t in spec.submit_when]:
        raise Refused(f"'{milestone.title}' is submitted by its triggers, not by hand.")
    refuse_if_done(person, progress, milestone)
    if progress.state == "submitted":
        raise Refused(f"'{milestone.title}' is already waiting for approval for {person.name}.")
    if progress.state == "locked":
        only_prerequisites = milestone.starts != "manual" and waiting_on(
            work.session, person.id, milestone.id)
        if not (spec.any_time and only_prerequisites):
            refuse_if_locked(work, progress, milestone)
    refuse_while_waiting(work, person, progress, milestone, "submitted")
    progress.round += 1
    progress.submitted_at = work.at
    progress.submitted_by = work.actor.label
    form_answers(work, progress, milestone, command.answers)
    if spec.when_ready == "approved":
        complete_unless_waiting(work, progress, milestone, "ProgressAutoApproved",
                                command.note)
    else:
        transition(work, progress, "submitted", "ProgressSubmitted", note=command.note,
                   acted=True)


@handles(ApproveProgress)
def approve(command: ApproveProgress, work: Work) -> None:
    approve_one(command, work)


def approve_one(command: ApproveProgress, work: Work) -> None:
    review = _Review(command, work, "approve")
    review.require_note("approve", command.note)
    level = review.level
    while level is not None and review.approver.may_act(review.spec.levels[level - 1],
                                                        review.cohorts):
        if review.approver.email in review.approved.get(level, set()):
            break
        review.record(level, "approved", command.note)
        following = current_level(review.spec, review.approved)
        if following == level:  # this level still needs someone else's approval
            break
        level = following
    if level is None:
        complete_unless_waiting(work, review.progress, review.milestone, "ProgressApproved",
                                command.note)
    else:
        history(work, review.progress, "ApprovalGiven", "submitted", "submitted",
                command.note or f"approved by {review.approver.email}")


@handles(DenyProgress)
def deny(command: DenyProgress, work: Work) -> None:
    review = _Review(command, work, "deny")
    review.require_note("deny", command.note)
    review.record(review.level, "denied", command.note)
    transition(work, review.progress, "denied", "ProgressDenied", note=command.note,
               acted=True)


@handles(WithdrawProgress)
def withdraw(command: WithdrawProgress, work: Work) -> None:
    person, milestone, progress = target(command, work)
    if progress.state != "submitted":
        raise Refused(f"'{milestone.title}' is not waiting for approval for {person.name}: "
                      "there is nothing to withdraw.")
    if progress.submitted_by is None:  # submitted before submitters were recorded
        require_self_or_staff(work, person, "withdraw")
    elif work.actor.label != progress.submitted_by:
        raise Refused(f"Only {progress.submitted_by}, who submitted '{milestone.title}', "
                      "may withdraw it.")
    acted = work.session.scalar(select(Approval.actor).where(
        Approval.progress_id == progress.id, Approval.round == progress.round).limit(1))
    if acted:
        raise Refused(f"{acted} has already acted on '{milestone.title}': it can no longer "
                      "be withdrawn.")
    progress.submitted_at = None
    progress.assigned_to = None
    after = "started" if progress.started_at else "open"
    if after == "open" and waiting_on(work.session, person.id, milestone.id):
        after = "locked"  # submitted early (any time): back to waiting for its parents
    transition(work, progress, after, "ProgressWithdrawn", note=command.note)



@handles(Delegate)
def delegate(command: Delegate, work: Work) -> None:
    actor = work.actor
    if actor.staff is None:
        raise Refused("Only staff may delegate their approvals.")
    colleague = lookup.staff_by_email(work.session, command.to)
    if colleague is None:
        raise Refused(f"No staff member is known as '{command.to}'.")
    if colleague.id == actor.staff.id:
        raise Refused("You cannot delegate your approvals to yourself.")
    if command.end < command.start:
        raise Refused(f"The delegation ends ({command.end.isoformat()}) before it starts "
                      f"({command.start.isoformat()}).")
    work.session.add(Delegation(id=work.new_id(), from_staff_id=actor.staff.id,
                                to_staff_id=colleague.id, start=command.start,
                                end=command.end, created_at=work.at))
    work.record("delegations", {"kind": "delegation", "from": actor.staff.email,
                                "to": colleague.email, "start": command.start.isoformat(),
                                "end": command.end.isoformat()})


@handles(ApproveMany)
def approve_many(command: ApproveMany, work: Work) -> None:
    """All of the selection or none of it; every request that cannot be approved is named."""
    if not command.items:
        raise Refused("Nothing was selected to approve.")
    problems = []
    for person, milestone in command.items:
        try:
            with savepoint(work.session):
                approve_one(ApproveProgress(at=command.at, by=command.by, op_id=command.op_id,
                                            person=person, milestone=milestone,
                                            note=command.note), work)
        except Refused as refusal:
            problems.append(f"{person} · {milestone}: {refusal.message}")
    if problems:
        raise Refused("Nothing was approved:\n" + "\n".join(problems))


@handles(AssignApproval)
def assign_approval(command: AssignApproval, work: Work) -> None:
    """Staff who may act on a request, or an admin, hand it to one eligible colleague."""
    person, milestone, progress = target(command, work)
    if progress.state != "submitted":
        raise Refused(f"'{milestone.title}' is not waiting for approval for {person.name}.")
    if work.actor.staff is None:
        raise Refused("Only staff may hand an approval to someone.")
    colleague = lookup.staff_by_email(work.session, command.to)
    if colleague is None:
        raise Refused(f"No staff member is known as '{command.to}'.")
    spec = approval_spec(milestone)
    cohorts = request_cohorts(work.session, person.id, milestone.id)
    level = current_level(spec, approved_by_level(work.session, progress))
    assert level is not None  # a submitted request always waits on some level
    needed = spec.levels[level - 1]
    me = approver_for(work.session, work.actor.staff, work.today)
    if not me.may_act(needed, cohorts):
        raise Refused(f"{work.actor.label} may not hand out '{milestone.title}': "
                      f"{who_may_act(work.session, needed, cohorts)} may.")
    if not approver_for(work.session, colleague).eligible(needed, cohorts):
        raise Refused(f"{colleague.email} may not approve level {level} of "
                      f"'{milestone.title}': {who_may_act(work.session, needed, cohorts)} may.")
    progress.assigned_to = colleague.email.lower()
    progress.version += 1
    history(work, progress, "ApprovalAssigned", "submitted", "submitted",
            command.note or f"handed to {colleague.email}")
    mail.queue(work, to=colleague.email, kind="assignment", person=person, milestone=milestone,
               rendered=mail.Rendered(
                   subject=f"Waiting for you: {milestone.title} for {person.name}",
                   body=(f"{work.actor.label} handed you the approval of '{milestone.title}' "
                         f"for {person.name} (level {level} of {len(spec.levels)}).\n"
                         + (f"\nNote: {command.note}\n" if command.note else ""))))
    work.record("approvals", {"kind": "assignment", "person": person.external_id,
                              "milestone": milestone.key, "to": colleague.email})
