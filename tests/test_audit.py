"""The audit trail: every command, accepted or refused, with who, when, on which machine and
why; and `audit verify`, which names the first entry altered or removed since.

The log is a hash chain (each entry carries the hash of the one before), and the store keeps
the chain's head (last number and hash) in `audit_head`, so that an entry cut from the end is
found as surely as one cut from the middle. Tampering here is what someone with the SQLite
file and a SQL shell would do.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import ADMIN, Waypoint
from sqlalchemy import select
from sync_fixtures import PASSWORD, Service, run_with_stdin

from app.models import AuditEntry
from app.services import audit

ADVISOR = "avery@example.edu"
FINANCE = "lee@example.edu"
SAM = "s1"

PROGRAM = """\
[program]
name = "Audit"
timezone = "America/Chicago"

[[staff]]
email = "avery@example.edu"
name = "Avery Advisor"
roles = ["advisor"]
[[staff]]
email = "lee@example.edu"
name = "Lee Finance"
roles = ["finance"]

[[cohorts]]
key = "fall"
name = "Fall 2026"
staff = ["avery@example.edu"]

[[milestones]]
key = "deposit"
title = "Pay the deposit"
cohorts = ["fall"]
complete_by = ["request"]
[milestones.approval]
approvers = { roles = ["finance"] }
"""

JOINED = "2026-08-20T09:00"
SUBMITTED = "2026-09-01T10:00"  # Chicago, CDT: 15:00 UTC
DAY2 = "2026-09-02T09:30"
DAY3 = "2026-09-03T11:00"

SERVER_ADMIN = f"""
[[staff]]
email = "{ADMIN}"
name = "Casey Coordinator"
roles = ["admin"]
"""  # the program's staff list keeps the laptop's user an admin, on the server too


def history(wp: Waypoint) -> dict[str, str]:
    """A program, Sam in it; Sam submits the deposit; an advisor tries to approve it (not
    finance: refused), someone unknown tries (refused), finance approves it."""
    wp.apply(PROGRAM, "--at", JOINED)
    wp.people(f"id,name,email,cohort\n{SAM},Sam Student,sam@example.edu,fall\n",
              "--at", JOINED)
    wp.json("submit", SAM, "deposit", "--by", SAM, "--at", SUBMITTED)
    advisor = wp.refused("approve", SAM, "deposit", "--by", ADVISOR, "--at", DAY2)
    stranger = wp.refused("approve", SAM, "deposit", "--by", "mallory@example.com",
                          "--at", DAY2)
    wp.json("approve", SAM, "deposit", "--by", FINANCE, "--at", DAY3)
    return {"advisor": _reason(advisor), "stranger": _reason(stranger)}


def _reason(stderr: str) -> str:
    return stderr.strip().removeprefix("waypoint: ")


def log(wp: Waypoint, *filters: str) -> list[dict[str, Any]]:
    return wp.json("audit", *filters)["entries"]


def client_id(wp: Waypoint) -> str:
    return sql(wp, "SELECT value FROM settings WHERE key = 'sync.client_id'")[0][0]


def sql(wp: Waypoint, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    """Straight at the SQLite file, as someone with a SQL shell would."""
    connection = sqlite3.connect(wp.db)
    try:
        with connection:
            return connection.execute(statement, params).fetchall()
    finally:
        connection.close()


def verify(wp: Waypoint) -> tuple[int, dict[str, Any], str]:
    code, out, err = wp.run("--json", "audit", "verify")
    return code, json.loads(out), err


# --- what is kept ------------------------------------------------------------------------------


def test_every_command_accepted_or_refused_is_kept_with_actor_time_device_and_reason(
        wp: Waypoint) -> None:
    reasons = history(wp)

    entries = log(wp)  # newest first
    device = client_id(wp)
    assert [(e["command"], e["actor"], e["outcome"]) for e in entries] == [
        ("ApproveProgress", FINANCE, "accepted"),
        ("ApproveProgress", "mallory@example.com", "refused"),  # the actor as given
        ("ApproveProgress", ADVISOR, "refused"),  # refused access: not finance
        ("SubmitProgress", SAM, "accepted"),
        ("ImportPeople", ADMIN, "accepted"),
        ("ApplyProgram", ADMIN, "accepted"),
        ("SetupProfile", "system", "accepted"),  # `init`
    ]
    assert all(e["device"] == device for e in entries)
    assert [e["seq"] for e in entries] == [7, 6, 5, 4, 3, 2, 1]

    approved, stranger, advisor, submitted = entries[:4]
    assert advisor["reason"] == reasons["advisor"]
    assert "finance" in advisor["reason"] or FINANCE in advisor["reason"]
    assert stranger["reason"] == reasons["stranger"]
    assert "mallory@example.com" in stranger["reason"]
    assert approved["reason"] is None and submitted["reason"] is None
    assert submitted["at"] == "2026-09-01T15:00:00+00:00"  # when Sam acted, not when written
    assert advisor["at"] == "2026-09-02T14:30:00+00:00"
    # an accepted command is the one in the operation log
    (op_id,) = sql(wp, "SELECT id FROM operations WHERE name = 'ApproveProgress'")[0]
    assert uuid.UUID(approved["op_id"]) == uuid.UUID(op_id)
    assert advisor["op_id"] and advisor["op_id"] != approved["op_id"]


def test_a_dry_run_is_not_a_command_and_leaves_no_entry(wp: Waypoint) -> None:
    before = log(wp)
    wp.apply(PROGRAM, "--dry-run")

    assert log(wp) == before


def test_the_entries_carry_the_commands_arguments_and_both_times(wp: Waypoint) -> None:
    started = datetime.now(UTC).replace(tzinfo=None)
    history(wp)

    rows = sql(wp, "SELECT command, args, at, recorded_at FROM audit_log WHERE outcome = "
                   "'refused' ORDER BY seq")
    command, args, at, recorded_at = rows[0]
    assert command == "ApproveProgress"
    assert json.loads(args)["person"] == SAM and json.loads(args)["milestone"] == "deposit"
    assert "by" not in json.loads(args)  # the actor is its own field, as in the op log
    assert at.startswith("2026-09-02 14:30")
    written = datetime.fromisoformat(recorded_at)  # the wall clock, naive UTC on disk
    assert started <= written <= datetime.now(UTC).replace(tzinfo=None)


# --- the chain ---------------------------------------------------------------------------------


def test_an_untouched_log_verifies(wp: Waypoint) -> None:
    history(wp)

    code, payload, _err = verify(wp)

    assert code == 0
    assert payload["ok"] is True and payload["entries"] == 7


def test_an_auditor_can_recompute_every_hash_from_the_documented_form(wp: Waypoint) -> None:
    """app/models/audit.py says how the hash is made; this follows it with sqlite3 alone."""
    history(wp)

    previous = "0" * 64
    for row in sql(wp, "SELECT seq, at, recorded_at, actor, device, command, args, op_id, "
                       "outcome, reason, prev_hash, hash FROM audit_log ORDER BY seq"):
        seq, at, recorded_at, actor, device, command, args, op_id, outcome, reason = row[:10]
        prev_hash, stored = row[10:]
        document = {
            "seq": seq, "at": _iso(at), "recorded_at": _iso(recorded_at), "actor": actor,
            "device": device, "command": command, "args": json.loads(args),
            "op_id": str(uuid.UUID(op_id)) if op_id else None, "outcome": outcome,
            "reason": reason, "prev_hash": prev_hash}
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert prev_hash == previous
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == stored
        previous = stored


def _iso(stored: str) -> str:
    """SQLite's naive UTC text as the canonical form writes it."""
    return datetime.fromisoformat(stored).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_changed_field_is_found_and_named(wp: Waypoint) -> None:
    history(wp)
    # the advisor's refused approval, made to look like finance's and accepted
    sql(wp, "UPDATE audit_log SET actor = ?, outcome = 'accepted', reason = NULL "
            "WHERE seq = 5", FINANCE)

    code, payload, err = verify(wp)

    assert code == 1 and payload["ok"] is False
    bad = payload["first_bad"]
    assert (bad["seq"], bad["command"], bad["problem"]) == (5, "ApproveProgress", "altered")
    assert bad["at"] == "2026-09-02T14:30:00+00:00"
    assert "entry 5" in err and "ApproveProgress" in err and "altered" in err


def test_a_changed_field_with_its_hash_recomputed_still_breaks_the_next_link(
        wp: Waypoint) -> None:
    history(wp)
    sql(wp, "UPDATE audit_log SET actor = ?, hash = ? WHERE seq = 4", ADVISOR, "f" * 64)

    code, payload, _err = verify(wp)

    assert code == 1
    assert (payload["first_bad"]["seq"], payload["first_bad"]["problem"]) == (4, "altered")


def test_an_entry_removed_from_the_middle_is_found(wp: Waypoint) -> None:
    history(wp)
    sql(wp, "DELETE FROM audit_log WHERE seq = 5")

    code, payload, err = verify(wp)

    assert code == 1
    bad = payload["first_bad"]
    assert (bad["seq"], bad["problem"]) == (5, "removed")
    assert bad["after"]["seq"] == 4 and bad["after"]["command"] == "SubmitProgress"
    assert "entry 5 was removed" in err and "from entry 4" in err and "to entry 6" in err


def test_the_last_entry_removed_is_found_by_the_head_the_store_keeps(wp: Waypoint) -> None:
    """A chain alone cannot tell a log cut short from a whole one: the head (last number and
    hash, in `audit_head`) can."""
    history(wp)
    sql(wp, "DELETE FROM audit_log WHERE seq = 7")

    code, payload, err = verify(wp)

    assert code == 1
    assert (payload["first_bad"]["seq"], payload["first_bad"]["problem"]) == (7, "removed")
    assert "ends at entry 6" in err and "7 entries were written" in err


def test_after_a_removal_the_log_goes_on_and_the_gap_stays_visible(wp: Waypoint) -> None:
    history(wp)
    sql(wp, "DELETE FROM audit_log WHERE seq = 3")
    wp.refused("submit", SAM, "deposit", "--by", SAM, "--at", DAY3)  # it is complete

    entries = log(wp, "--limit", "1")
    code, payload, _err = verify(wp)

    assert entries[0]["seq"] == 8 and entries[0]["outcome"] == "refused"
    assert code == 1 and payload["first_bad"]["seq"] == 3


# --- reading it --------------------------------------------------------------------------------


def test_the_log_is_filtered_by_actor_command_outcome_dates_and_count(wp: Waypoint) -> None:
    history(wp)

    assert [e["seq"] for e in log(wp, "--by", FINANCE.upper())] == [7]
    assert [e["seq"] for e in log(wp, "--command", "ApproveProgress")] == [7, 6, 5]
    assert [e["seq"] for e in log(wp, "--refused")] == [6, 5]
    assert [e["actor"] for e in log(wp, "--refused", "--by", ADVISOR)] == [ADVISOR]
    assert [e["seq"] for e in log(wp, "--from", "2026-09-02", "--to", "2026-09-02")] == [6, 5]
    assert [e["seq"] for e in log(wp, "--from", "2026-09-01T09:00", "--to", DAY3)] == [6, 5, 4]
    assert [e["seq"] for e in log(wp, "--limit", "2")] == [7, 6]
    assert log(wp, "--by", "nobody@example.edu") == []
    assert "--from" in wp.refused("audit", "--from", "yesterday")


def test_the_log_reads_as_text(wp: Waypoint) -> None:
    history(wp)

    code, out, _err = wp.run("audit", "--refused")

    assert code == 0
    assert f"ApproveProgress by {ADVISOR}" in out and "refused" in out
    assert "↳" in out  # the reason under it


# --- the sync server ---------------------------------------------------------------------------


@pytest.mark.usefixtures("memory_keyring")
def test_the_server_keeps_the_fate_of_every_replayed_command(
        service: Service, wp: Waypoint) -> None:
    """Accepted or refused, each replay is in the server's own log: the pushing client as the
    device, the signed-in account as the actor, whoever the laptop named."""
    wp.apply(PROGRAM + SERVER_ADMIN, "--at", JOINED)
    wp.people(f"id,name,email,cohort\n{SAM},Sam Student,sam@example.edu,fall\n", "--at", JOINED)
    wp.json("submit", SAM, "deposit", "--by", SAM, "--at", SUBMITTED)
    code, _out, err = run_with_stdin(wp, PASSWORD + "\n", "server", "add-user", ADMIN,
                                     "--database-url", service.database_url, "--password-stdin")
    assert code == 0, err
    code, _out, err = run_with_stdin(wp, PASSWORD + "\n", "login", service.url, "--user", ADMIN,
                                     "--password-stdin")
    assert code == 0, err
    assert wp.json("sync")["accepted"] == 3
    # another client of the same account pushes a submission already made, and a command
    # the server cannot read (a number JSONB rewrites: the hash must still hold)
    args = {"person": SAM, "milestone": "deposit"}
    pushed = [{"seq": n, "op_id": str(uuid.uuid4()), "name": "SubmitProgress", "args": a,
               "at": "2026-09-02T12:00:00+00:00"}
              for n, a in ((1, args), (2, {**args, "score": 1e20}))]
    with service.http() as http:
        response = http.post("/v1/push", json={"client_id": "probe", "commands": pushed},
                             headers={"Authorization": f"Bearer {service.token(ADMIN)}"})
    assert [r["status"] for r in response.json()["results"]] == ["refused", "refused"]

    with service.store.session() as session:
        rows = session.execute(select(AuditEntry.command, AuditEntry.actor, AuditEntry.device,
                                      AuditEntry.outcome, AuditEntry.reason)
                               .order_by(AuditEntry.seq)).all()
    with service.store.session() as session:
        result = audit.verify(session)
    laptop = client_id(wp)
    assert [(r.command, r.device, r.outcome) for r in rows] == [
        ("ApplyProgram", "server", "accepted"),  # add-user setting the account's staff up
        ("ApplyProgram", laptop, "accepted"),
        ("ImportPeople", laptop, "accepted"),
        ("SubmitProgress", laptop, "accepted"),
        ("SubmitProgress", "probe", "refused"),
        ("SubmitProgress", "probe", "refused"),
    ]
    assert {r.actor for r in rows[1:]} == {ADMIN}
    assert "already waiting for approval" in rows[4].reason
    assert result.ok and result.entries == 6
    assert wp.json("audit", "verify")["ok"]  # and the laptop's own log, sign-in and sync too
