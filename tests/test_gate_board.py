"""A cohort's stage gates: how many members are at each gate status, and who they are."""

from __future__ import annotations

PROGRAM = """
[program]
name = "Student Success"
timezone = "America/Chicago"

[[cohorts]]
key = "onboarding"
name = "New Student Onboarding"

[[cohorts]]
key = "fall"
name = "Fall 2026"
parent = "onboarding"

[[cohorts]]
key = "spring"
name = "Spring 2027"
parent = "onboarding"

[[cohorts]]
key = "housing"
name = "Campus housing"

[[gates]]
key = "intake"
name = "Intake"

[[gates]]
key = "launch"
name = "Launch"

[[gates]]
key = "graduation"
name = "Graduation"

[[milestones]]
key = "welcome"
title = "Welcome call"
cohorts = ["fall", "spring"]
gate = "intake"
bypass_roles = ["admin"]

[[milestones]]
key = "orientation"
title = "Orientation form"
cohorts = ["fall"]
gate = "intake"
after = ["welcome"]

[[milestones]]
key = "plan"
title = "Degree plan"
cohorts = ["fall"]
gate = "launch"
after = ["orientation"]

[[milestones]]
key = "lease"
title = "Housing lease"
cohorts = ["housing"]
gate = "launch"
"""

PEOPLE = """id,name,email,cohort
p1,Ana Diaz,ana@example.edu,fall
p2,Ben Cho,ben@example.edu,fall
p3,Cy Park,cy@example.edu,fall
p4,Di Roy,di@example.edu,fall
p5,Ed Yu,ed@example.edu,spring
p6,Flo Ng,flo@example.edu,fall
"""

GATES = ("intake", "launch", "graduation")


def program(wp) -> None:
    """p1 is through intake and into launch; p2 halfway through intake; p3 not begun anywhere
    but intake's open call; p4 skipped the call; p5 in spring; p6 in fall and in housing,
    whose open lease puts them in launch although their degree plan is locked."""
    wp.apply(PROGRAM)
    wp.people(PEOPLE)
    wp.json("enroll", "p6", "housing")
    wp.json("complete", "p1", "welcome")
    wp.json("complete", "p1", "orientation")
    wp.json("complete", "p2", "welcome")
    wp.json("skip", "p4", "welcome", "--note", "met at the open day")


def board(wp, cohort: str, *extra: str) -> dict:
    return wp.json("cohort", cohort, *extra)


def counts(payload: dict) -> dict[str, tuple[int, int, int]]:
    return {g["key"]: (g["not_started"], g["active"], g["complete"]) for g in payload["gates"]}


def test_counts_per_gate_for_a_cohort_follow_each_participants_gate_status(wp):
    program(wp)
    payload = board(wp, "fall")
    assert payload["cohort"] == "fall"
    assert payload["members"] == 5
    assert [(g["key"], g["name"]) for g in payload["gates"]] == [
        ("intake", "Intake"), ("launch", "Launch")]
    assert counts(payload) == {"intake": (0, 4, 1), "launch": (3, 2, 0)}
    expected = {gate: {"not_started": 0, "active": 0, "complete": 0} for gate in GATES}
    for person in ("p1", "p2", "p3", "p4", "p6"):
        for gate in wp.json("gates", person)["gates"]:
            expected[gate["key"]][gate["status"]] += 1
    shown = {g["key"]: {s: g[s] for s in ("not_started", "active", "complete")}
             for g in payload["gates"]}
    assert shown == {gate: expected[gate] for gate in shown}


def test_participants_can_be_filtered_by_gate_status(wp):
    program(wp)
    at = {
        (gate, status): board(wp, "fall", "--gate", gate, "--status", status)["participants"]
        for gate in GATES for status in ("not_started", "active", "complete")
    }
    assert at["intake", "complete"] == ["p1"]
    assert at["intake", "active"] == ["p2", "p3", "p4", "p6"]  # by name
    assert at["launch", "active"] == ["p1", "p6"]
    assert at["launch", "not_started"] == ["p2", "p3", "p4"]
    assert at["graduation", "not_started"] == ["p1", "p2", "p3", "p4", "p6"]
    for person in ("p1", "p3", "p6"):
        for gate in wp.json("gates", person)["gates"]:
            assert person in at[gate["key"], gate["status"]]


def test_the_counts_come_with_the_filtered_participants(wp):
    program(wp)
    payload = board(wp, "fall", "--gate", "launch", "--status", "active")
    assert counts(payload)["launch"] == (3, 2, 0)
    assert payload["participants"] == ["p1", "p6"]


def test_a_parent_cohort_counts_its_sub_cohorts_members(wp):
    program(wp)
    payload = board(wp, "onboarding")
    assert payload["members"] == 6
    assert counts(payload)["intake"] == (0, 5, 1)
    assert board(wp, "onboarding", "--gate", "intake", "--status", "active")["participants"] == [
        "p2", "p3", "p4", "p5", "p6"]


def test_a_participant_in_two_sub_cohorts_is_counted_once(wp):
    program(wp)
    wp.json("enroll", "p5", "fall")
    payload = board(wp, "onboarding")
    assert payload["members"] == 6
    assert sum(counts(payload)["intake"]) == 6


def test_a_participant_who_left_the_cohort_is_not_counted(wp):
    program(wp)
    wp.json("unenroll", "p1", "fall")
    payload = board(wp, "fall")
    assert payload["members"] == 4
    assert counts(payload)["intake"] == (0, 4, 0)
    assert board(wp, "fall", "--gate", "intake", "--status", "complete")["participants"] == []


def test_a_cohort_without_members_counts_nobody(wp):
    wp.apply(PROGRAM)
    payload = board(wp, "spring")
    assert payload["members"] == 0
    assert counts(payload) == {"intake": (0, 0, 0)}


def test_a_cohort_lists_only_the_gates_of_its_milestones(wp):
    wp.apply(PROGRAM)
    assert [g["key"] for g in board(wp, "spring")["gates"]] == ["intake"]


def test_an_unknown_cohort_is_refused(wp):
    program(wp)
    assert "There is no cohort 'winter'" in wp.refused("cohort", "winter")


def test_an_unknown_gate_is_refused(wp):
    program(wp)
    reason = wp.refused("cohort", "fall", "--gate", "exit", "--status", "active")
    assert "There is no stage gate 'exit'" in reason


def test_a_gate_needs_a_status_to_filter_by(wp):
    program(wp)
    code, _out, err = wp.run("cohort", "fall", "--gate", "intake")
    assert code == 2
    assert "--gate and --status go together" in err
    code, _out, _err = wp.run("cohort", "fall", "--gate", "intake", "--status", "stuck")
    assert code == 2


def test_the_cohort_board_reads_as_text(wp):
    program(wp)
    code, out, _err = wp.run("cohort", "fall", "--gate", "launch", "--status", "active")
    assert code == 0
    assert "Fall 2026 (fall)  members: 5" in out
    assert "Launch" in out
    assert "active at launch: p1, p6" in out
