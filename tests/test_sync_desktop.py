"""Sync in the desktop app, against the real service on a loopback port over a real PostgreSQL
(tests/sync_fixtures.py): signing in from the window, the status bar, Sync now, a server that
goes away and comes back, and the conflicts panel.

The window runs without its clocks (no automatic sync); the tests press what a user presses.
"""

from __future__ import annotations

import json
import shutil
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring
import pytest
from conftest import Waypoint
from keyring.backends import fail
from PySide6.QtCore import QItemSelectionModel, QSettings
from PySide6.QtWidgets import QDialog, QMessageBox
from sqlalchemy import select, update
from sync_fixtures import PASSWORD, MemoryKeyring, Service, run_with_stdin

from app.models import Operation, Token
from app.server import auth
from app.services.commands import CompleteProgress
from app.services.profile_store import open_profile_store
from app.views.main_window import MainWindow
from app.views.sync_panel import SyncClock

pytestmark = pytest.mark.usefixtures("memory_keyring")  # never the machine's own keyring

COORD, AVERY = "coord@example.edu", "avery@example.edu"
DEFINITIONS = """
[[cohorts]]
key = "fall"
name = "Fall 2026"

[[milestones]]
key = "welcome"
title = "Welcome call"
cohorts = ["fall"]

[[milestones]]
key = "aid"
title = "Financial aid"
cohorts = ["fall"]
complete_by = ["request"]
[milestones.approval]
approvers = { roles = ["finance"] }
"""
PEOPLE = "id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n"


def accounts(service: Service, *users: tuple[str, list[str]]) -> None:
    """Server accounts (the first one an admin), made as `server add-user` makes them."""
    for email, roles in users:
        auth.add_user(service.store, email, PASSWORD, roles or None, datetime.now(UTC))


def coordinator(wp: Waypoint, service: Service) -> Waypoint:
    """The coordinator's store with a program and a participant; the server knows them."""
    wp.apply(DEFINITIONS)
    wp.people(PEOPLE)
    accounts(service, (COORD, []))
    return wp


def cli_login(tool: Waypoint, service: Service, email: str) -> None:
    code, _out, err = run_with_stdin(tool, PASSWORD + "\n", "--json", "login", service.url,
                                     "--user", email, "--password-stdin")
    assert code == 0, err


def settle(window: MainWindow, qtbot) -> None:
    qtbot.waitUntil(lambda: window.worker.pending == 0 == window.network.pending
                    and not window.sync_clock.running,
                    timeout=30_000)


def window_on(db: Path, qtbot) -> MainWindow:
    QSettings().clear()
    window = MainWindow(open_profile_store(db), run_scheduler=False)
    qtbot.addWidget(window)
    window.show()
    settle(window, qtbot)
    return window


def sync_now(window: MainWindow, qtbot) -> None:
    """Tools → Sync now (Ctrl+Shift+S), as the menu runs it."""
    (action,) = [a for a in window.findChildren(type(window.menuBar().actions()[0]))
                 if a.shortcut().toString() == "Ctrl+Shift+S"]
    action.trigger()
    settle(window, qtbot)


def status_text(window: MainWindow) -> str:
    return window.sync_state.text()


def pending(db: Path) -> list[tuple[str, str]]:
    store = open_profile_store(db)
    try:
        with store.session() as session:
            return [tuple(row) for row in session.execute(
                select(Operation.name, Operation.sync_state)
                .where(Operation.sync_state.in_(("pending", "refused"))))]
    finally:
        store.close()


@pytest.fixture
def no_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sync never answers with a message box: offline is a state, not an error."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a message box was shown: {args[1:3]}")

    for name in ("critical", "warning", "information"):
        monkeypatch.setattr(QMessageBox, name, refuse)


# --- signing in ------------------------------------------------------------------------------


def test_signing_in_from_the_app_keeps_the_token_and_the_status_bar_says_so(
        wp: Waypoint, service: Service, memory_keyring: MemoryKeyring, qtbot,
        no_dialogs: None) -> None:
    coordinator(wp, service)
    window = window_on(wp.db, qtbot)
    assert status_text(window) == "Sync: not signed in"
    assert "this computer only" in window.sync_state.toolTip()

    window.sync_state.click()  # not signed in: the click asks for the password
    dialog = window.sign_in_window
    assert dialog.isVisible() and dialog.email.text() == COORD
    dialog.url.setText(service.url + "/")
    dialog.password.setText("a guess")
    dialog.sign_in_button.click()
    settle(window, qtbot)
    assert dialog.isVisible() and "did not accept that email and password" in \
        dialog.message.text()
    assert memory_keyring.items == {}

    ended: list[int] = []
    dialog.finished.connect(ended.append)
    dialog.password.setText(PASSWORD)
    dialog.sign_in_button.click()
    settle(window, qtbot)
    assert ended == [QDialog.DialogCode.Accepted]
    assert list(memory_keyring.items) == [("Waypoint sync", f"{COORD} at {service.url}")]
    assert PASSWORD not in json.dumps(pending(wp.db))  # the password is kept nowhere
    # signing in syncs at once: the program and the participant went to the server
    assert status_text(window) == "Sync: all sent"
    assert f"Signed in as {COORD} at {service.url}" in window.sync_state.toolTip()
    assert service.state("p1", "welcome") == "open"
    assert "sent 2 commands" in window.statusBar().currentMessage()

    # a machine without a keyring: the dialog says where the token went, and stays open
    keyring.set_keyring(fail.Keyring())
    window.sign_in()
    dialog = window.sign_in_window
    assert dialog.url.text() == service.url
    dialog.password.setText(PASSWORD)
    dialog.sign_in_button.click()
    settle(window, qtbot)
    secrets = wp.db.with_name("store.secrets.json")
    assert dialog.isVisible() and "Warning:" in dialog.message.text()
    assert str(secrets) in dialog.message.text() and "only you can read" in dialog.message.text()
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert not dialog.sign_in_button.isVisible()
    dialog.reject()
    assert status_text(window) == "Sync: all sent"

    window.sign_out()  # the token goes; the server and account stay for the next sign-in
    settle(window, qtbot)
    assert not secrets.exists() or "Waypoint sync" not in secrets.read_text()
    assert status_text(window) == "Sync: not signed in"
    assert f"Signed out of {COORD} at {service.url}" in window.sync_state.toolTip()


# --- Sync now, offline -----------------------------------------------------------------------


def test_a_command_made_offline_waits_and_is_pushed_by_sync_now(
        wp: Waypoint, service: Service, qtbot, no_dialogs: None) -> None:
    cli_login(coordinator(wp, service), service, COORD)
    wp.json("sync")
    window = window_on(wp.db, qtbot)
    assert status_text(window) == "Sync: all sent"

    service.down()
    window.run_command("Completing", CompleteProgress(
        at=datetime.now(UTC), by=COORD, person="p1", milestone="welcome"))
    settle(window, qtbot)
    assert status_text(window) == "Sync: 1 waiting"
    sync_now(window, qtbot)
    assert status_text(window) == "Sync: offline, 1 waiting"
    assert "could not be reached" in window.sync_state.toolTip()
    assert pending(wp.db) == [("CompleteProgress", "pending")]

    service.up()
    sync_now(window, qtbot)
    assert status_text(window) == "Sync: all sent"
    assert service.state("p1", "welcome") == "complete"
    assert pending(wp.db) == []
    assert "sent 1 command" in window.statusBar().currentMessage()


def test_sync_now_brings_another_laptops_changes_into_the_open_window(
        wp: Waypoint, service: Service, empty_store: Path, tmp_path: Path, qtbot,
        no_dialogs: None) -> None:
    cli_login(coordinator(wp, service), service, COORD)
    wp.json("sync")
    window = window_on(wp.db, qtbot)
    assert _names(window) == ["Pat Lee"]

    folder = tmp_path / "second-laptop"  # the coordinator's other laptop
    folder.mkdir()
    shutil.copy(empty_store, folder / "store.sqlite3")
    other = Waypoint(folder / "store.sqlite3", folder)
    other.json("init", "--user", COORD)
    cli_login(other, service, COORD)
    assert other.json("sync")["pulled"] > 0  # the first sync brings the whole program
    other.people("id,name,email,cohort\np2,Ria Rivera,ria@example.edu,fall\n")
    other.json("complete", "p1", "welcome")
    other.json("sync")

    sync_now(window, qtbot)
    assert "received" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: _names(window) == ["Pat Lee", "Ria Rivera"], timeout=10_000)
    assert wp.state("p1", "welcome") == "complete"
    assert status_text(window) == "Sync: all sent"


def _names(window: MainWindow) -> list[str]:
    model = window.people.people_model
    return sorted(model.index(r, 0).data() for r in range(model.rowCount()))


def test_with_the_server_down_the_status_says_offline_and_nothing_is_lost(
        wp: Waypoint, service: Service, qtbot, no_dialogs: None) -> None:
    cli_login(coordinator(wp, service), service, COORD)
    service.down()  # before the first sync: everything made so far waits
    window = window_on(wp.db, qtbot)
    assert status_text(window) == "Sync: 2 waiting"

    clock = window.sync_clock
    assert clock.sync_now() and not clock.sync_now()  # never two at once
    assert status_text(window) == "Sync: syncing…"
    settle(window, qtbot)
    assert status_text(window) == "Sync: offline, 2 waiting"
    assert "could not be reached" in window.sync_state.toolTip()
    clock.on_timer()  # the clock keeps trying, quietly
    settle(window, qtbot)
    assert status_text(window) == "Sync: offline, 2 waiting"
    assert sorted(pending(wp.db)) == [("ApplyProgram", "pending"), ("ImportPeople", "pending")]

    window.close()  # closing while offline loses nothing either
    service.up()
    assert wp.json("sync")["accepted"] == 2
    assert service.state("p1", "welcome") == "open"


# --- conflicts -------------------------------------------------------------------------------


@pytest.fixture
def avery(empty_store: Path, tmp_path: Path) -> Waypoint:
    """Avery's laptop: an admin of their own store, an advisor on the server."""
    folder = tmp_path / "avery"
    folder.mkdir()
    shutil.copy(empty_store, folder / "store.sqlite3")
    tool = Waypoint(folder / "store.sqlite3", folder)
    tool.json("init", "--user", AVERY, "--name", "Avery Advisor")
    return tool


def test_an_approval_refused_by_the_server_shows_in_the_conflicts_panel_and_can_be_discarded(
        wp: Waypoint, avery: Waypoint, service: Service, qtbot, qtmodeltester,
        monkeypatch: pytest.MonkeyPatch, no_dialogs: None) -> None:
    cli_login(coordinator(wp, service), service, COORD)
    wp.json("sync")  # the server has the program, from the coordinator
    accounts(service, (AVERY, ["advisor"]), ("lee@example.edu", ["finance"]))
    avery.apply(DEFINITIONS)
    avery.people(PEOPLE)
    avery.json("submit", "p1", "aid")
    avery.json("approve", "p1", "aid", "--note", "looks fine")  # Avery may, on their laptop
    cli_login(avery, service, AVERY)
    window = window_on(avery.db, qtbot)
    assert window.conflicts.model.rowCount() == 0

    sync_now(window, qtbot)
    assert status_text(window) == "Sync: all sent, ⚠ 2 conflicts"
    assert window.docks["conflicts"].isVisible()  # a refusal comes to the front
    model = window.conflicts.model
    qtmodeltester.check(model)
    rows = {model.index(r, 0).data(): model.index(r, 2).data() for r in range(model.rowCount())}
    approval = "Approve “Financial aid” for Pat Lee"
    assert set(rows) == {approval, "Apply the program file file1.toml"}
    assert "lee@example.edu (role finance) or an admin may approve it" in rows[approval]
    assert model.index(0, 1).data().startswith(str(datetime.now().year))
    assert "The server refused 2 commands" in window.conflicts.summary.text()
    assert service.state("p1", "aid") == "submitted"  # the submission counted, not this

    window.sync_state.click()  # conflicts: the click shows them
    assert window.conflicts.table.hasFocus() or window.docks["conflicts"].isVisible()
    number = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == approval)
    window.conflicts.table.selectionModel().select(
        model.index(number, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
        | QItemSelectionModel.SelectionFlag.Rows)
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda _parent, _title, text, *a:
                        asked.append(text) or QMessageBox.StandardButton.Yes)
    window.conflicts.discard_button.click()
    settle(window, qtbot)
    assert approval in asked[0] and "marked discarded" in asked[0]
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == [
        "Apply the program file file1.toml"]
    assert status_text(window) == "Sync: all sent, ⚠ 1 conflict"
    store = open_profile_store(avery.db)
    with store.session() as session:  # kept in the log, marked so: never silently gone
        states = dict(session.execute(select(Operation.name, Operation.sync_state)
                                      .where(Operation.name.in_(("ApproveProgress",
                                                                 "ApplyProgram")))).all())
    store.close()
    assert states == {"ApproveProgress": "discarded", "ApplyProgram": "refused"}

    # retrying the other sends it again at once; the server refuses it again, with its reason
    window.conflicts.table.selectRow(0)
    window.conflicts.retry_button.click()
    settle(window, qtbot)
    assert model.rowCount() == 1 and "may not change program definitions" in \
        model.index(0, 2).data()
    assert status_text(window) == "Sync: all sent, ⚠ 1 conflict"


def test_the_sync_clock_leaves_a_store_that_is_not_signed_in_alone(
        wp: Waypoint, qtbot, no_dialogs: None) -> None:
    window = window_on(wp.db, qtbot)
    clock = SyncClock(window.worker, COORD, every_ms=60_000, parent=window)
    tried: list[object] = []
    clock.synced.connect(tried.append)
    clock.start()  # reads the status, finds no sign-in, does not try to sync
    settle(window, qtbot)
    assert clock.timer.isActive() and tried == []
    assert clock.state.status is not None and not clock.state.status.signed_in
    assert clock.state.phase == "idle"
    clock.stop()


def test_a_sign_in_the_server_no_longer_accepts_asks_for_the_password_again(
        wp: Waypoint, service: Service, qtbot, no_dialogs: None) -> None:
    cli_login(coordinator(wp, service), service, COORD)
    with service.store.session() as session, session.begin():  # sign-ins last 12 hours
        session.execute(update(Token).values(expires_at=datetime.now(UTC) - timedelta(1)))
    window = window_on(wp.db, qtbot)
    sync_now(window, qtbot)
    assert status_text(window) == "Sync: sign in again, 2 waiting"
    assert "no longer accepts" in window.sync_state.toolTip()
    assert "File → Sign in" in window.statusBar().currentMessage()

    window.sync_state.click()
    dialog = window.sign_in_window
    assert (dialog.url.text(), dialog.email.text()) == (service.url, COORD)
    dialog.password.setText(PASSWORD)
    dialog.sign_in_button.click()
    settle(window, qtbot)
    assert status_text(window) == "Sync: all sent"
