"""The cohort, staff and milestone dialogs: which fields each form offers.

Each form covers the rules a coordinator sets most; every other rule of the program file
(approval levels, reminders, on-completion actions, optional triggers, session details,
surveys, …) is set in the every-rule text, which the form stays in step with.
"""

from __future__ import annotations

from app.services.programs.milestones import COMPLETE_BY, STARTS, UNSET_ON
from app.services.programs.spec import DEFAULT_COMPLETE_BY, KINDS
from app.services.queries.program_view import EditorContext
from app.views.program_fields import (
    CheckListField,
    ChoiceField,
    DueField,
    Field,
    FlagField,
    ListField,
    NoteField,
    NumberField,
    StepsField,
    Table,
    TextField,
)
from app.views.program_form import DefinitionDialog

DURATION = 'a duration, like "10d" or "2w"'
COMPLETE_BY_LABELS = {
    "self": "The participant marks it complete", "staff": "Staff mark it complete",
    "request": "A completion request that approvers review",
    "steps": "All required steps done", "attendance": "Attending the linked session or meeting",
    "registration": "Registering for the linked event",
    "signatures": "All required signatures on the whiteboard",
}
STARTS_LABELS = {"on_assignment": "As soon as it is assigned",
                 "after_prerequisites": "When its prerequisites are complete",
                 "manual": "When staff start it by hand"}
UNSET_LABELS = {"impact_change": "An impact changes", "detail_change": "A detail changes",
                "reopen": "An earlier milestone is reopened"}


def _roles_hint(context: EditorContext) -> str:
    return f"Roles in use: {', '.join(context.roles)}." if context.roles else ""


class CohortDialog(DefinitionDialog):
    section = "cohorts"
    size_hint = (700, 480)

    def pages(self, context: EditorContext) -> list[tuple[str, list[Field]]]:
        parents = [(key, f"{name} ({key})") for key, name in context.cohorts if key != self.key]
        return [("&Cohort", [
            TextField("key", "&Key", read_only=self.key is not None,
                      placeholder="like fall-2026",
                      help_text="How program files and the command line name it; it cannot "
                      "change once the cohort exists."),
            TextField("name", "&Name", placeholder="like Fall 2026"),
            ChoiceField("parent", "&Parent", parents, default="None: a top-level cohort"),
            TextField("expected", "E&xpected duration", placeholder=DURATION,
                      help_text="The journey's own progress scale (optional)."),
            CheckListField("staff", "&Staff", [(email, f"{name} <{email}>")
                                               for email, name in context.staff],
                           help_text="Cohort staff hear of this cohort's requests."),
        ])]

    def starter(self, context: EditorContext) -> Table:
        return {"key": "", "name": ""}


class StaffDialog(DefinitionDialog):
    section = "staff"
    size_hint = (640, 380)

    def pages(self, context: EditorContext) -> list[tuple[str, list[Field]]]:
        return [("&Staff member", [
            TextField("email", "&Email", read_only=self.key is not None,
                      placeholder="like avery@example.edu",
                      help_text="How the staff member signs in and is named in program files; "
                      "it cannot change once they exist."),
            TextField("name", "&Name", placeholder="like Avery Advisor"),
            ListField("roles", "&Roles", placeholder="like advisor, finance",
                      help_text='Free role names, separated by commas; "admin" may do '
                      f"anything. {_roles_hint(context)}"),
        ])]

    def starter(self, context: EditorContext) -> Table:
        return {"email": "", "name": ""}


class MilestoneDialog(DefinitionDialog):
    section = "milestones"
    more_rules = ("Approval, reminders, on-completion actions, optional triggers, meetings, "
                  "activities, surveys and the rest are set in the every-rule text.")

    def pages(self, context: EditorContext) -> list[tuple[str, list[Field]]]:
        cohorts = [(key, f"{name} ({key})") for key, name in context.cohorts]
        others = [(key, f"{title} ({key})") for key, title in context.milestones
                  if key != self.key]
        gates = [(key, f"{name} ({key})") for key, name in context.gates]
        self.complete_by = CheckListField(
            "complete_by", "Completes &by", [(v, COMPLETE_BY_LABELS[v]) for v in COMPLETE_BY],
            rows=7, help_text=" ")
        roles = _roles_hint(context)
        return [
            ("&General", [
                TextField("key", "&Key", read_only=self.key is not None,
                          placeholder="like orientation",
                          help_text="How program files and the command line name it; it "
                          "cannot change once the milestone exists."),
                TextField("title", "&Title", placeholder="like Complete the orientation form"),
                NoteField("description", "&Description"),
                ChoiceField("kind", "Ki&nd", [(k, k.capitalize()) for k in KINDS if
                                              k != "standard"], default="Standard",
                            help_text="The kind sets how it completes unless you say."),
                CheckListField("cohorts", "C&ohorts", cohorts,
                               help_text="More than one cohort makes it a shared milestone: "
                               "one definition, edits apply everywhere."),
                ListField("labels", "&Labels", placeholder="like onboarding, finance"),
                FlagField("retired", "Re&tired: not assigned to anyone new (those who have "
                          "it keep it)"),
            ]),
            ("&Order and timing", [
                NumberField("step", "&Step", help_text="Its place in the order; milestones "
                            "with the same step may be done in any order."),
                ChoiceField("gate", "Stage &gate", gates, default="No gate"),
                CheckListField("after", "&After", others,
                               help_text="Prerequisites: it opens when all of them are "
                               "complete."),
                ChoiceField("starts", "Starts", list(zip(STARTS, (STARTS_LABELS[s] for s in
                                                                  STARTS), strict=True)),
                            default="Default: when prerequisites are complete if it has "
                            "any, else when assigned"),
                DueField("&Due"),
                TextField("expected", "E&xpected duration", placeholder=DURATION,
                          help_text="The progress scale: behind past 100%, stuck past 150%."),
                TextField("escalate_after", "Escalate a&fter", placeholder=DURATION,
                          help_text="Alert staff when a progress stays in one state longer."),
            ]),
            ("Com&pletion", [
                self.complete_by,
                StepsField("Ste&ps"),
                ChoiceField("upload", "&Upload", [("optional", "Optional"),
                                                  ("mandatory", "Mandatory")], default="Off"),
                CheckListField("unset_on", "Back to ready for approval when",
                               [(v, UNSET_LABELS[v]) for v in UNSET_ON], rows=3),
                ListField("bypass_roles", "&Bypass roles", placeholder="empty: mandatory",
                          help_text=f"Roles that may bypass it with a reason. {roles}"),
                ListField("blocks_statuses", "Blocks st&atuses",
                          placeholder="like Enrolled",
                          help_text="Pipeline statuses not allowed until it is complete."),
                ListField("visible_to", "&Visible to", placeholder="empty: all staff",
                          help_text=f"Only staff with these roles (and admins) see it. {roles}"),
            ]),
        ]

    def starter(self, context: EditorContext) -> Table:
        return {"key": "", "title": "", "cohorts": [], "step": context.next_step}

    def synced(self) -> None:
        """The ways of completing left unticked are the kind's default: say which."""
        kind = self.table.get("kind", "standard")
        default = COMPLETE_BY_LABELS.get(DEFAULT_COMPLETE_BY.get(str(kind), ""), "")
        if self.complete_by.hint is not None:
            self.complete_by.hint.setText(
                f"None ticked: the kind's own way ({default.lower()}). Staff and admins may "
                "always complete it by hand." if default else "")
