"""Program editing in the app: cohorts, staff and milestones created and edited in dialogs,
checked as a program file is, and applied as a program of that one definition."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ADMIN, Waypoint
from PySide6.QtCore import Qt

from app.services.profile_store import open_profile_store
from app.views.program_editor import CohortDialog, MilestoneDialog, ProgramPanel, StaffDialog
from app.views.program_fields import CheckListField, DueField, Field
from app.views.program_form import DefinitionDialog
from app.views.worker import DbWorker

PROGRAM = """
[program]
name = "Student Success"
timezone = "America/Chicago"

[[staff]]
email = "avery@example.edu"
name = "Avery Advisor"
roles = ["advisor"]

[[cohorts]]
key = "onboarding"
name = "Onboarding"

[[cohorts]]
key = "fall"
name = "Fall 2026"
parent = "onboarding"

[[gates]]
key = "intake"
name = "Intake"

[[milestones]]
key = "welcome"
title = "Welcome call"
cohorts = ["fall"]

[[milestones]]
key = "plan"
title = "Academic plan"
cohorts = ["fall"]
after = ["welcome"]
"""

# The milestone the first test creates in the dialog, as a coordinator would write it.
ORIENTATION = """
[[milestones]]
key = "orientation"
title = "Complete orientation"
cohorts = ["fall"]
step = 3
gate = "intake"
after = ["plan"]
due = { date = "2026-09-15" }
complete_by = ["self", "request"]
labels = ["onboarding", "first-week"]
"""


@pytest.fixture
def worker(wp: Waypoint) -> Iterator[DbWorker]:
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    store = open_profile_store(wp.db)
    worker = DbWorker(store)
    yield worker
    worker.stop()
    store.close()


def settle(worker: DbWorker, qtbot: Any) -> None:
    qtbot.waitUntil(lambda: worker.pending == 0, timeout=30_000)


def opened(qtbot: Any, worker: DbWorker, kind: type[DefinitionDialog],
           key: str | None = None) -> DefinitionDialog:
    dialog = kind(worker, ADMIN, key)
    qtbot.addWidget(dialog)
    dialog.show()
    settle(worker, qtbot)
    assert dialog.context is not None
    return dialog


def field(dialog: DefinitionDialog, key: str) -> Any:
    return next(f for f in dialog.fields if f.key == key)


def type_into(qtbot: Any, dialog: DefinitionDialog, key: str, text: str) -> None:
    edit = field(dialog, key).edit
    edit.selectAll()
    qtbot.keyClicks(edit, text)  # typed, as the user would: the field writes its key


def tick(dialog: DefinitionDialog, key: str, *values: str) -> None:
    checklist: CheckListField = field(dialog, key)
    for row in range(checklist.list.count()):
        item = checklist.list.item(row)
        if item.data(Qt.ItemDataRole.UserRole) in values:
            item.setCheckState(Qt.CheckState.Checked)


def set_due(dialog: DefinitionDialog, kind: str, value: str) -> None:
    due: DueField = field(dialog, "due")
    index = due.kind.findData(kind)
    due.kind.setCurrentIndex(index)
    due.kind.activated.emit(index)
    due.value.setText(value)
    due.value.textEdited.emit(value)


def save(qtbot: Any, dialog: DefinitionDialog) -> Any:
    dialog.check()
    assert dialog.ok.isEnabled(), dialog.errors
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=30_000)
    return dialog.result


def exported(wp: Waypoint) -> str:
    path = wp.workdir / f"export-{wp.db.stem}.toml"
    wp.json("export", str(path))
    return path.read_text(encoding="utf-8")


def definitions(result: Any) -> list[dict[str, Any]]:
    return [c for c in result.changes if c.get("kind") == "definition"]


def test_a_milestone_created_in_the_dialog_is_applied_and_exported_like_one_from_a_program_file(
        worker, wp, qtbot, empty_store: Path, tmp_path: Path):
    dialog = opened(qtbot, worker, MilestoneDialog)
    assert dialog.ok.text() == "&Create"
    type_into(qtbot, dialog, "key", "orientation")
    type_into(qtbot, dialog, "title", "Complete orientation")
    tick(dialog, "cohorts", "fall")
    tick(dialog, "after", "plan")
    gate = field(dialog, "gate").combo
    gate.setCurrentIndex(gate.findData("intake"))
    gate.activated.emit(gate.currentIndex())
    set_due(dialog, "date", "2026-09-15")
    tick(dialog, "complete_by", "self", "request")
    type_into(qtbot, dialog, "labels", "onboarding, first-week")
    assert field(dialog, "step").spin.value() == 3  # after the last step there is

    result = save(qtbot, dialog)

    assert definitions(result) == [{"kind": "definition", "type": "milestone",
                                    "key": "orientation", "action": "created"}]
    assert dialog.outcome.startswith("Created milestone 'orientation'.")
    assert "It moved the progress of 1 participant." in dialog.outcome  # Pat has it now
    twin = Waypoint(tmp_path / "twin.sqlite3", tmp_path)
    shutil.copy(empty_store, twin.db)
    twin.json("init", "--user", ADMIN, "--name", "Casey Coordinator")
    twin.apply(PROGRAM + ORIENTATION)
    assert exported(wp) == exported(twin)
    assert wp.state("p1", "orientation") == "locked"  # waits for the plan, as the file says


def test_editing_a_milestones_title_in_the_dialog_updates_only_that_field(worker, wp, qtbot):
    before = exported(wp)
    dialog = opened(qtbot, worker, MilestoneDialog, "welcome")
    assert field(dialog, "key").edit.isReadOnly()
    assert dialog.summary.text().startswith("Checked as a program file would be")
    type_into(qtbot, dialog, "title", "Welcome phone call")

    result = save(qtbot, dialog)

    assert definitions(result) == [{"kind": "definition", "type": "milestone", "key": "welcome",
                                    "action": "updated", "fields": ["title"]}]
    assert dialog.outcome == "Updated milestone 'welcome': title."
    assert exported(wp) == before.replace('"Welcome call"', '"Welcome phone call"')


def test_a_bad_due_date_in_the_dialog_is_refused_with_its_key_path_and_nothing_changes(
        worker, wp, qtbot):
    before = exported(wp)
    dialog = opened(qtbot, worker, MilestoneDialog, "plan")
    dialog.tabs.setCurrentIndex(1)  # order and timing
    set_due(dialog, "date", "2026-02-30")
    dialog.check()

    assert [e.path for e in dialog.errors] == ["milestones[0].due.date"]
    due = field(dialog, "due")
    assert due.error.isVisible()
    assert due.error.text() == "due.date: expected a date like \"2026-09-15\", got '2026-02-30'"
    assert not dialog.ok.isEnabled()
    assert dialog.summary.text().startswith("1 problem to fix before saving")
    dialog.grab().save(str(wp.workdir / "bad-due.png"))

    dialog.accept()  # Enter pressed anyway: refused
    settle(worker, qtbot)
    assert dialog.result is None and dialog.isVisible()
    assert exported(wp) == before

    dialog.tabs.setCurrentWidget(dialog.text_page)  # the text says the same, with its line
    assert 'due = { date = "2026-02-30" }' in dialog.text.toPlainText()
    problem = dialog.problems.item(0).text()
    assert problem.startswith("Line 7: milestones[0].due.date: expected a date")


def test_a_rule_typed_in_the_every_rule_text_is_kept_when_the_milestone_is_saved(
        worker, wp, qtbot):
    dialog = opened(qtbot, worker, MilestoneDialog, "plan")
    dialog.tabs.setCurrentWidget(dialog.text_page)
    text = dialog.text.toPlainText()
    assert text.startswith('[[milestones]]\nkey = "plan"')
    dialog.text.setPlainText(text.replace('title = "Academic plan"', 'title = "Degree plan"')
                             + 'reminders = [{ before_due = "3d" }, { after_start = "1w" }]\n'
                             + 'due = { after_start = "14d" }\n')
    qtbot.waitUntil(lambda: field(dialog, "title").edit.text() == "Degree plan")  # form follows
    assert field(dialog, "due").value.text() == "14d"
    assert "reminders" in dialog.others.text()  # the form says what else the text sets
    dialog.tabs.setCurrentIndex(0)
    type_into(qtbot, dialog, "title", "Four-year degree plan")
    dialog.tabs.setCurrentWidget(dialog.text_page)  # written again from the form: still there
    assert 'reminders = [{ before_due = "3d" }, { after_start = "7d" }]' in (
        dialog.text.toPlainText())

    result = save(qtbot, dialog)

    assert definitions(result)[0]["fields"] == ["title", "due", "reminders"]
    block = exported(wp).split('key = "plan"')[1].split("[[")[0]
    assert 'title = "Four-year degree plan"' in block
    assert 'reminders = [{ before_due = "3d" }, { after_start = "7d" }]' in block
    assert 'due = { after_start = "14d" }' in block


def test_a_cohort_and_a_staff_member_are_created_from_their_dialogs(worker, wp, qtbot):
    staff = opened(qtbot, worker, StaffDialog)
    type_into(qtbot, staff, "email", "Lee@Example.edu")
    type_into(qtbot, staff, "name", "Lee Finance")
    type_into(qtbot, staff, "roles", "finance, advisor")
    assert definitions(save(qtbot, staff)) == [
        {"kind": "definition", "type": "staff", "key": "lee@example.edu", "action": "created"}]

    cohort = opened(qtbot, worker, CohortDialog)
    assert field(cohort, "staff").list.count() == 3  # the new staff member is offered
    type_into(qtbot, cohort, "key", "spring")
    type_into(qtbot, cohort, "name", "Spring 2027")
    parent = field(cohort, "parent").combo
    parent.setCurrentIndex(parent.findData("onboarding"))
    parent.activated.emit(parent.currentIndex())
    type_into(qtbot, cohort, "expected", "120d")
    tick(cohort, "staff", "lee@example.edu")
    assert definitions(save(qtbot, cohort)) == [
        {"kind": "definition", "type": "cohort", "key": "spring", "action": "created"}]

    text = exported(wp)
    assert ('[[staff]]\nemail = "lee@example.edu"\nname = "Lee Finance"\n'
            'roles = ["advisor", "finance"]\n') in text
    assert ('[[cohorts]]\nkey = "spring"\nname = "Spring 2027"\nparent = "onboarding"\n'
            'staff = ["lee@example.edu"]\nexpected = "120d"\n') in text
    assert text.index('key = "spring"') > text.index('key = "fall"')  # after, as appended


def test_a_new_definition_may_not_take_a_key_in_use_and_shows_problems_once_touched(
        worker, wp, qtbot):
    dialog = opened(qtbot, worker, MilestoneDialog)
    assert dialog.errors  # nothing filled in yet: not valid, but not shouted about either
    assert not any(f.error.isVisible() for f in dialog.fields)
    assert dialog.ok.isEnabled()
    dialog.accept()  # pressing Create shows every problem, at its field
    assert {e.path for e in dialog.errors} >= {"milestones[0].key", "milestones[0].title",
                                               "milestones[0].cohorts"}
    assert field(dialog, "title").error.isVisible()
    assert dialog.result is None
    type_into(qtbot, dialog, "key", "welcome")
    dialog.check()
    assert field(dialog, "key").error.text() == (
        "key: 'welcome' is already the key of a milestone: choose another, or edit that "
        "milestone")


def test_the_panel_lists_the_program_and_edits_a_definition_on_a_double_click(
        worker, wp, qtbot):
    panel = ProgramPanel(worker, ADMIN)
    qtbot.addWidget(panel)
    panel.resize(1000, 500)
    panel.show()
    panel.refresh()
    settle(worker, qtbot)
    milestones = panel.lists["milestones"]
    assert [milestones.model.row(n).key for n in range(milestones.model.rowCount())] == [
        "welcome", "plan"]
    assert panel.tabs.tabText(1) == "C&ohorts (2)"
    fall = panel.lists["cohorts"].model.row(1)
    assert (fall.key, fall.parent, fall.members, fall.milestones) == ("fall", "onboarding", 1, 2)
    table = milestones.table
    rect = table.visualRect(milestones.proxy.index(1, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    settle(worker, qtbot)
    dialog = panel.dialog
    assert isinstance(dialog, MilestoneDialog) and dialog.key == "plan"
    type_into(qtbot, dialog, "title", "Degree plan")
    with qtbot.waitSignal(panel.changed, timeout=30_000) as announced:
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert "definitions" in announced.args[0].flags
    settle(worker, qtbot)
    assert panel.status.text() == "Updated milestone 'plan': title."
    assert milestones.model.row(1).title == "Degree plan"
    assert milestones.current_key() == "plan"


def test_every_item_model_of_the_program_panel_passes_the_model_tester(
        worker, wp, qtbot, qtmodeltester):
    panel = ProgramPanel(worker, ADMIN)
    qtbot.addWidget(panel)
    panel.refresh()
    settle(worker, qtbot)
    for listing in panel.lists.values():
        assert listing.model.rowCount()
        qtmodeltester.check(listing.model)
        qtmodeltester.check(listing.proxy)


def test_a_field_writes_only_what_the_user_edited(worker, wp, qtbot):
    """A value the form cannot show (typed in the text) stays as written."""
    dialog = opened(qtbot, worker, MilestoneDialog, "plan")
    dialog.tabs.setCurrentWidget(dialog.text_page)
    dialog.text.setPlainText(dialog.text.toPlainText().replace("step = 2", 'step = "two"'))
    qtbot.waitUntil(lambda: any(e.path == "milestones[0].step" for e in dialog.errors))
    step: Field = field(dialog, "step")
    assert not step.touched
    dialog.tabs.setCurrentIndex(0)
    type_into(qtbot, dialog, "title", "Degree plan")
    assert dialog.table["step"] == "two"
    assert not dialog.ok.isEnabled()


def test_a_prerequisite_that_loops_back_through_the_store_is_refused(worker, wp, qtbot):
    before = exported(wp)
    dialog = opened(qtbot, worker, MilestoneDialog, "welcome")
    tick(dialog, "after", "plan")  # plan already waits for welcome
    dialog.check()
    assert [e.path for e in dialog.errors] == ["milestones[0].after"]
    assert field(dialog, "after").error.text().startswith(
        "after: 'welcome' → 'plan' → 'welcome' is a cycle through the store's milestones")
    assert not dialog.ok.isEnabled()
    loop = wp.file('[[milestones]]\nkey = "welcome"\ntitle = "Welcome call"\n'
                   'cohorts = ["fall"]\nafter = ["plan"]\n')
    assert "is a cycle of prerequisites" in wp.refused("apply", str(loop))  # files too
    assert exported(wp) == before


def test_editing_a_cohort_or_a_staff_member_changes_only_that_one(worker, wp, qtbot):
    before = exported(wp)
    cohort = opened(qtbot, worker, CohortDialog, "fall")
    assert field(cohort, "parent").combo.currentData() == "onboarding"
    type_into(qtbot, cohort, "name", "Fall 2026 (main campus)")
    assert definitions(save(qtbot, cohort)) == [{"kind": "definition", "type": "cohort",
                                                 "key": "fall", "action": "updated",
                                                 "fields": ["name"]}]
    staff = opened(qtbot, worker, StaffDialog, "avery@example.edu")
    type_into(qtbot, staff, "roles", "advisor, coach")
    assert definitions(save(qtbot, staff))[0]["fields"] == ["roles"]
    assert exported(wp) == before.replace('name = "Fall 2026"', 'name = "Fall 2026 (main campus)"'
                                          ).replace('roles = ["advisor"]',
                                                    'roles = ["advisor", "coach"]')


def test_an_activity_file_is_kept_and_a_new_one_is_left_to_program_files(worker, wp, qtbot):
    (wp.workdir / "slides.pdf").write_bytes(b"%PDF-1.4 slides")
    wp.apply(PROGRAM.split("[[milestones]]")[0] + """
[[milestones]]
key = "workshop"
title = "Workshop"
kind = "meeting"
cohorts = ["fall"]
activities = [{ when = "post", title = "Slides", file = "slides.pdf" }]
""")
    dialog = opened(qtbot, worker, MilestoneDialog, "workshop")
    type_into(qtbot, dialog, "title", "Leadership workshop")
    assert definitions(save(qtbot, dialog))[0]["fields"] == ["title"]  # the file's content kept

    dialog = opened(qtbot, worker, MilestoneDialog, "workshop")
    dialog.tabs.setCurrentWidget(dialog.text_page)
    dialog.text.setPlainText(dialog.text.toPlainText().replace("slides.pdf", "notes.pdf"))
    qtbot.waitUntil(lambda: bool(dialog.errors))
    assert [e.path for e in dialog.errors] == ["milestones[0].activities[0].file"]
    assert "a new file comes with a program file" in dialog.errors[0].message


def test_the_history_tab_lists_versions_shows_a_diff_and_restores_after_a_preview(
        worker, wp, qtbot, qtmodeltester, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    wp.apply(PROGRAM.replace('title = "Welcome call"', 'title = "Welcome meeting"'))
    panel = ProgramPanel(worker, ADMIN)
    qtbot.addWidget(panel)
    panel.show()
    panel.refresh()
    settle(worker, qtbot)
    history = panel.history
    qtmodeltester.check(history.model)
    assert [history.model.index(r, 0).data() for r in range(history.model.rowCount())] == [
        "2", "1"]  # the newest first
    settle(worker, qtbot)
    assert '+title = "Welcome meeting"' in history.diff.toPlainText()

    history.table.selectRow(1)
    settle(worker, qtbot)
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda _parent, _title, text, *a:
                        asked.append(text) or QMessageBox.StandardButton.Yes)
    restored: list[Any] = []
    panel.changed.connect(restored.append)
    history.restore_button.click()
    qtbot.waitUntil(lambda: bool(restored), timeout=30_000)
    settle(worker, qtbot)
    assert "Restore version 1?" in asked[0]
    assert 'title = "Welcome call"' in exported(wp)
    assert history.model.rowCount() == 3
    assert history.model.index(0, 3).data() == "restore of version 1"
