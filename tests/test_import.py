"""`import FILE [--cohort KEY]`: participants from CSV or XLSX, all rows or none.

A registrar's nightly job runs the same import every night: it must never duplicate, must
update what changed, and when a file is bad must say which rows are bad and why, all at once,
without importing the good ones.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import Waypoint
from openpyxl import Workbook

PROGRAM = """\
    [program]
    name = "Admissions"
    timezone = "UTC"

    [[cohorts]]
    key = "fall"
    name = "Fall"
    [[cohorts]]
    key = "spring"
    name = "Spring"

    [[milestones]]
    key = "deposit"
    title = "Pay deposit"
    cohorts = ["fall", "spring"]
    due = { attribute = "start_date", offset = "-7d" }
    blocks_statuses = ["Enrolled"]

    [[milestones]]
    key = "placement"
    title = "Placement test"
    cohorts = ["fall"]
    skip_when = { source = ["transfer"] }
    """


@pytest.fixture
def store(wp: Waypoint) -> Waypoint:
    wp.apply(PROGRAM)
    return wp


def count(wp: Waypoint, query: str) -> int:
    with closing(sqlite3.connect(wp.db)) as sql:
        return sql.execute(query).fetchone()[0]


def people(wp: Waypoint) -> int:
    return count(wp, "SELECT count(*) FROM people")


def xlsx(wp: Waypoint, rows: list[list[object]], name: str = "people.xlsx") -> Path:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    path = wp.workdir / name
    book.save(path)
    return path


def errors(err: str) -> list[str]:
    return [line.removeprefix("waypoint: ") for line in err.strip().splitlines()]


# -- a good file -----------------------------------------------------------------------------


def test_a_csv_creates_participants_and_enrolls_them(store: Waypoint):
    payload = store.people("""\
        id,name,email,cohort,location,status
        s1,Sam One,s1@example.edu,fall,Austin,Applied
        s2,Sue Two,,spring,,
        """)
    created = [c["person"] for c in payload["changes"]
               if c["kind"] == "person" and c.get("created")]
    joined = {(c["person"], c["cohort"]) for c in payload["changes"]
              if c["kind"] == "membership"}
    assert created == ["s1", "s2"]
    assert joined == {("s1", "fall"), ("s2", "spring")}
    sam = store.json("show", "s1")["person"]
    assert sam == {"id": "s1", "name": "Sam One", "email": "s1@example.edu",
                   "status": "Applied", "location": "Austin", "cohorts": ["fall"]}
    assert set(store.show("s1")) == {"deposit", "placement"}
    assert set(store.show("s2")) == {"deposit"}


def test_the_cohort_option_enrolls_rows_without_a_cohort_of_their_own(store: Waypoint):
    store.people("""\
        id,name,cohort
        s1,Sam One,
        s2,Sue Two,spring
        """, "--cohort", "fall")
    assert store.json("show", "s1")["person"]["cohorts"] == ["fall"]
    assert store.json("show", "s2")["person"]["cohorts"] == ["spring"]


def test_without_any_cohort_people_are_imported_into_none(store: Waypoint):
    store.people("id,name\ns1,Sam One\n")
    assert store.json("show", "s1") == {
        "person": {"id": "s1", "name": "Sam One", "email": None, "status": None,
                   "location": None, "cohorts": []},
        "milestones": []}


def test_an_xlsx_imports_like_a_csv_with_typed_cells(store: Waypoint):
    path = xlsx(store, [
        ["id", "name", "email", "cohort", "attr.start_date", "impact.savings"],
        [1001, "Sam One", "s1@example.edu", "fall", datetime(2026, 9, 14), 2500],
        ["s2", "Sue Two", None, "spring", date(2027, 1, 18), 12.5],
    ])
    store.json("import", str(path))
    assert store.json("show", "1001")["person"]["cohorts"] == ["fall"]  # 1001, not 1001.0
    # a date cell is the date the coordinator typed; the due date is read from it
    assert store.show("1001")["deposit"]["due"] == "2026-09-07"
    assert store.show("s2")["deposit"]["due"] == "2027-01-11"
    change = store.json("set", "s2", "impact.savings=20")["changes"]
    assert change == [{"kind": "person", "person": "s2", "field": "impact.savings.actual",
                       "from": 12.5, "to": 20.0}]


# -- attributes and impacts ------------------------------------------------------------------


def test_attribute_and_impact_columns_land_on_the_participant(store: Waypoint):
    store.people("""\
        id,name,cohort,attr.source,attr.start_date,impact.savings
        s1,Sam One,fall,transfer,2026-09-14,"1,500"
        s2,Sue Two,fall,,,
        """)
    # the attribute skips the placement test and sets the deposit's due date
    assert store.state("s1", "placement") == "skipped"
    assert store.show("s1")["deposit"]["due"] == "2026-09-07"
    assert store.state("s2", "placement") == "open"
    assert store.show("s2")["deposit"]["due"] is None
    # setting what the import set changes nothing; the impact was stored as a number
    assert store.json("set", "s1", "attr.source=transfer", "attr.start_date=2026-09-14",
                      "impact.savings=1500")["changes"] == []
    assert count(store, "SELECT count(*) FROM person_attributes") == 2  # empty cells: none
    assert count(store, "SELECT count(*) FROM person_impacts") == 1


# -- all rows or none; every bad row with its line and reason --------------------------------


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_imported(store: Waypoint):
    path = store.file("""\
        id,name,email,cohort,impact.savings
        s1,Sam One,s1@example.edu,fall,100
        s1,Sam Again,,fall,
        s3,,,fall,
        s4,Sue Four,not-an-email,fall,
        s5,Sue Five,,fall,lots
        s6,Sue Six,,winter,
        s7,Sue Seven,s7@example.edu,spring,7
        """, ".csv")
    err = store.refused("import", str(path))
    assert errors(err) == [
        f"{path.name} line 3: duplicate id 's1' (also on line 2)",
        f"{path.name} line 4: the name is missing",
        f"{path.name} line 5: 'not-an-email' is not an email address",
        f"{path.name} line 6: impact.savings must be a number, not 'lots'",
        f"{path.name} line 7: unknown cohort 'winter'",
    ]
    assert people(store) == 0
    assert count(store, "SELECT count(*) FROM memberships") == 0


def test_an_unknown_cohort_alone_refuses_the_whole_file(store: Waypoint):
    path = store.file("id,name,cohort\ns1,Sam One,fall\ns2,Sue Two,winter\n", ".csv")
    assert errors(store.refused("import", str(path))) == [
        f"{path.name} line 3: unknown cohort 'winter'"]
    assert people(store) == 0


def test_an_unknown_cohort_option_is_refused(store: Waypoint):
    path = store.file("id,name\ns1,Sam One\n", ".csv")
    assert "unknown cohort 'winter'" in store.refused("import", str(path), "--cohort", "winter")
    assert people(store) == 0


def test_bad_rows_of_an_xlsx_are_reported_by_spreadsheet_row(store: Waypoint):
    path = xlsx(store, [
        ["id", "name", "email", "impact.savings"],
        ["s1", "Sam One", "s1@example.edu", 10],
        [],
        ["s1", "Sam Again", None, None],
        ["s4", None, "nope", "n/a"],
    ])
    assert errors(store.refused("import", str(path))) == [
        "people.xlsx line 4: duplicate id 's1' (also on line 2)",
        "people.xlsx line 5: the name is missing",
        "people.xlsx line 5: 'nope' is not an email address",
        "people.xlsx line 5: impact.savings must be a number, not 'n/a'",
    ]
    assert people(store) == 0


def test_a_row_the_store_refuses_refuses_the_whole_file_naming_its_line(store: Waypoint):
    """The deposit blocks `Enrolled`: s1's new status is refused by the store, and s2, a good
    row before it, is not imported either."""
    store.people("id,name,cohort\ns1,Sam One,fall\n")
    path = store.file("id,name,status\ns2,Sue Two,\ns1,Sam One,Enrolled\n", ".csv")
    err = store.refused("import", str(path))
    assert errors(err)[0].startswith(f"{path.name} line 3: ")
    assert "Pay deposit" in err
    assert people(store) == 1
    assert store.json("show", "s1")["person"]["status"] is None


@pytest.mark.parametrize(("text", "expected"), [
    ("name,email\nSam One,s1@example.edu\n", "the column 'id' is missing"),
    ("id,email\ns1,s1@example.edu\n", "the column 'name' is missing"),
    ("id,name,phone\ns1,Sam One,555\n", "unknown column 'phone'"),
    ("id,name\n", "no participants in the file"),
])
def test_a_file_of_the_wrong_shape_is_refused(store: Waypoint, text: str, expected: str):
    assert expected in store.refused("import", str(store.file(text, ".csv")))
    assert people(store) == 0


def test_a_file_that_is_not_a_spreadsheet_is_refused(store: Waypoint):
    err = store.refused("import", str(store.file("{}", ".json")))
    assert "expected a .csv or .xlsx file" in err
    assert "no such file" in store.refused("import", str(store.workdir / "missing.csv"))


def test_a_participant_may_not_import(store: Waypoint):
    store.people("id,name,cohort\ns1,Sam One,fall\n")
    path = store.file("id,name\ns2,Sue Two\n", ".csv")
    assert "Only staff may import" in store.refused("import", str(path), "--by", "s1")
    assert people(store) == 1


# -- re-import -------------------------------------------------------------------------------


NIGHTLY = """\
    id,name,email,cohort,attr.source,impact.savings
    s1,Sam One,s1@example.edu,fall,internal,100
    s2,Sue Two,s2@example.edu,spring,,
    """


def test_the_same_import_again_changes_nothing(store: Waypoint):
    store.people(NIGHTLY)
    before = {p: store.json("show", p) for p in ("s1", "s2")}
    assert store.people(NIGHTLY)["changes"] == []
    assert people(store) == 2
    assert count(store, "SELECT count(*) FROM memberships") == 2
    assert count(store, "SELECT count(*) FROM progress") == 3
    assert {p: store.json("show", p) for p in ("s1", "s2")} == before


def test_a_reimport_updates_rather_than_duplicates(store: Waypoint):
    store.people(NIGHTLY)
    changes = store.people("""\
        id,name,email,cohort,attr.source,impact.savings
        s1,Samuel One,sam@example.edu,fall,transfer,250
        s2,Sue Two,s2@example.edu,fall,,
        """)["changes"]
    assert {"kind": "person", "person": "s1", "updated": ["name", "email"]} in changes
    assert {"kind": "person", "person": "s1", "field": "attr.source", "from": "internal",
            "to": "transfer"} in changes
    assert {"kind": "person", "person": "s1", "field": "impact.savings.actual", "from": 100.0,
            "to": 250.0} in changes
    assert {"kind": "membership", "person": "s2", "cohort": "fall", "joined": True} in changes
    assert people(store) == 2
    sam = store.json("show", "sam@example.edu")["person"]
    assert (sam["id"], sam["name"]) == ("s1", "Samuel One")
    # the new attribute value reaches the rules: the placement test is now skipped
    assert store.state("s1", "placement") == "skipped"
    assert store.json("show", "s2")["person"]["cohorts"] == ["fall", "spring"]
    assert count(store, "SELECT count(*) FROM progress WHERE milestone_id = "
                        "(SELECT id FROM milestones WHERE key = 'deposit')") == 2
