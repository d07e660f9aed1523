"""The store: typed SQLAlchemy models for the whole domain, the engine and migrations."""

from app.models.approval import Approval, Delegation
from app.models.audit import AuditEntry, AuditHead
from app.models.base import Base
from app.models.cohort import Cohort, CohortStaff, Membership
from app.models.content import Attachment, SurveyResponse
from app.models.mail import Alert, OutboxMessage, ReminderSent
from app.models.milestone import (
    Gate,
    GateReview,
    Milestone,
    MilestoneCohort,
    Prerequisite,
    Step,
)
from app.models.oplog import Operation
from app.models.person import Person, PersonAttribute, PersonImpact, Staff, StaffRole
from app.models.program import Campaign, CampaignRun, ProgramVersion, Setting, Template
from app.models.progress import DONE_STATES, STATES, Progress, ProgressEvent, StepCheck
from app.models.session import (
    Appointment,
    Attendance,
    Registration,
    ScheduledSession,
    Signature,
)
from app.models.sync import Account, Capture, Change, Incoming, Push, Token, Touched

__all__ = [
    "DONE_STATES",
    "STATES",
    "Account",
    "Alert",
    "Appointment",
    "Approval",
    "Attachment",
    "Attendance",
    "AuditEntry",
    "AuditHead",
    "Base",
    "Campaign",
    "Capture",
    "Change",
    "CampaignRun",
    "Cohort",
    "CohortStaff",
    "Delegation",
    "Gate",
    "GateReview",
    "Incoming",
    "Membership",
    "Milestone",
    "MilestoneCohort",
    "Operation",
    "OutboxMessage",
    "Person",
    "PersonAttribute",
    "PersonImpact",
    "Prerequisite",
    "ProgramVersion",
    "Progress",
    "ProgressEvent",
    "Push",
    "Registration",
    "ReminderSent",
    "ScheduledSession",
    "Setting",
    "Signature",
    "Staff",
    "StaffRole",
    "Step",
    "StepCheck",
    "SurveyResponse",
    "Template",
    "Token",
    "Touched",
]
