"""Versions of the program: every change to the definitions is a version with who, when and a
readable diff; the history can be browsed, and an earlier version restored after a preview.
"""

from __future__ import annotations

import tomllib

from conftest import ADMIN, Waypoint

PROGRAM = """
[program]
name = "Versions"
timezone = "UTC"

[[staff]]
email = "avery@example.edu"
name = "Avery Advisor"
roles = ["advisor"]

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
CHANGED = (PROGRAM.replace('title = "Welcome call"', 'title = "Welcome meeting"')
           .replace('roles = ["finance"]', 'roles = ["advisor"]')
           + '\n[[milestones]]\nkey = "essay"\ntitle = "Personal essay"\ncohorts = ["fall"]\n')


def milestones(text: str) -> dict[str, dict]:
    return {m["key"]: m for m in tomllib.loads(text).get("milestones", [])}


def test_every_change_to_the_definitions_is_a_version_with_who_when_and_how(
        wp: Waypoint) -> None:
    wp.apply(PROGRAM, "--at", "2026-09-01T09:00")
    wp.apply(PROGRAM, "--at", "2026-09-01T09:30")  # the same file again: nothing changed
    wp.apply(CHANGED, "--at", "2026-09-02T10:00")
    wp.json("schedule", "orientation", "--title", "Orientation", "--start", "2026-09-10T09:00",
            "--end", "2026-09-10T12:00", "--at", "2026-09-03T08:00")
    listed = wp.json("versions")["versions"]
    assert [(v["number"], v["actor"], v["at"][:16]) for v in listed] == [
        (1, ADMIN, "2026-09-01T09:00"), (2, ADMIN, "2026-09-02T10:00"),
        (3, ADMIN, "2026-09-03T08:00")]
    assert listed[0]["source"].startswith("apply file")
    assert listed[2]["source"] == "schedule orientation"
    assert listed[1]["added"] > 0 and listed[1]["removed"] > 0


def test_a_version_shows_its_file_and_a_readable_diff_against_the_one_before(
        wp: Waypoint) -> None:
    wp.apply(PROGRAM)
    wp.apply(CHANGED)
    shown = wp.json("versions", "show", "2")
    assert '-title = "Welcome call"' in shown["diff"]
    assert '+title = "Welcome meeting"' in shown["diff"]
    assert '+key = "essay"' in shown["diff"]
    assert milestones(shown["text"])["welcome"]["title"] == "Welcome meeting"
    between = wp.json("versions", "diff", "1", "2")["diff"]
    assert between == shown["diff"]  # the same two files, labelled the same


def test_restoring_an_earlier_version_brings_its_definitions_back_after_a_preview(
        wp: Waypoint) -> None:
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    wp.apply(CHANGED)
    wp.json("complete", "p1", "essay")
    first = wp.json("versions", "show", "1")["text"]

    preview = wp.json("versions", "restore", "1", "--dry-run")
    assert preview["dry_run"] and '+title = "Welcome call"' in preview["diff"]
    assert len(wp.json("versions")["versions"]) == 2  # a preview changes nothing
    assert milestones(wp.json("versions", "show", "2")["text"])["welcome"]["title"] == (
        "Welcome meeting")

    wp.json("versions", "restore", "1")
    restored = wp.json("versions", "show", "3")
    assert restored["source"] == "restore of version 1"
    now, then = milestones(restored["text"]), milestones(first)
    assert {k: now[k] for k in then} == then  # every definition of version 1, exactly
    assert now["essay"].get("retired") is True  # made since: retired, its history kept
    assert wp.state("p1", "essay") == "complete"


def test_only_an_admin_or_program_editor_restores_and_an_unknown_version_is_named(
        wp: Waypoint) -> None:
    wp.apply(PROGRAM)
    wp.apply(CHANGED)
    refused = wp.refused("versions", "restore", "1", "--by", "avery@example.edu")
    assert "avery@example.edu may not change program definitions" in refused
    assert len(wp.json("versions")["versions"]) == 2
    assert "There is no version 7 of the program" in wp.refused("versions", "restore", "7")
    assert "Usage: waypoint versions show N" in wp.refused("versions", "show")
