"""What sets each demo program's participants apart: who they are, when they joined, which
details and impacts they carry, and how their requests tend to be decided.

The program files declare the definitions; these profiles hold what a file cannot say about
the people in it. They name the files' keys (cohorts, milestones, attributes the rules read),
so the two are edited together.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from app.services.demo.names import ascii_handle
from app.services.demo.timeline import iso_date

Attributes = dict[str, str]
Impacts = list[tuple[str, str, float]]


@dataclass(frozen=True)
class Outcome:
    """A participant's simulated journey as the profile needs it: when each milestone was
    completed (seconds), and the local day that turns into dates."""

    done: dict[str, int]
    local_day: Callable[[int], int]
    today: int


@dataclass(frozen=True)
class Profile:
    file: str
    root: str
    share: float
    status: str
    id_prefix: str
    id_digits: int
    email_domain: str | None  # None: personal addresses on the example domains
    term_starts: dict[str, str]
    join_before_start: tuple[int, int]  # joined this many days before the term starts
    section: Callable[[str, str, int], tuple[str, str]]
    details: Callable[[random.Random], tuple[str, Attributes]]  # location, attributes
    outcome: Callable[[random.Random, Outcome], tuple[Attributes, Impacts]]
    denials: dict[str, tuple[float, bool]] = field(default_factory=dict)  # rate, final
    rejected_status: str | None = None

    def external_id(self, n: int) -> str:
        """Unique per n and random-looking: n times a prime, modulo the id space."""
        span = 9 * 10 ** (self.id_digits - 1)
        return f"{self.id_prefix}{(n * 7_919 + 104_729) % span + 10 ** (self.id_digits - 1)}"

    def email(self, first: str, last: str, taken: dict[str, int], rng: random.Random) -> str:
        handle = f"{ascii_handle(first)}.{ascii_handle(last)}"
        count = taken[handle] = taken.get(handle, 0) + 1
        if count > 1:
            handle += str(count)
        domain = self.email_domain or rng.choice(("example.com", "example.net", "example.org"))
        return f"{handle}@{domain}"


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


MAJORS = ("Biology", "Business", "Computer Science", "Criminal Justice", "Education",
          "Engineering", "English", "Nursing", "Psychology", "Undeclared")


def _student(rng: random.Random) -> tuple[str, Attributes]:
    online = rng.random() < 0.15
    location = "Online" if online else _pick(rng, (("Main Campus", 4), ("Downtown Campus", 1)))
    housing = "commuter" if online or rng.random() < 0.45 else "on_campus"
    return location, {
        "source": _pick(rng, (("high_school", 62), ("transfer", 25), ("international", 8),
                              ("readmit", 5))),
        "modality": "online" if online else "in_person",
        "housing": housing,
        "major": rng.choice(MAJORS),
        "first_generation": "yes" if rng.random() < 0.3 else "no",
    }


def _student_outcome(rng: random.Random, journey: Outcome) -> tuple[Attributes, Impacts]:
    need = round(rng.uniform(0, 18_000), -2)
    impacts: Impacts = [("financial_aid", "forecast", need)]
    if "financial-aid" in journey.done:
        impacts.append(("financial_aid", "actual", round(need * rng.uniform(0.6, 1.0), -1)))
    return {}, impacts


DEPARTMENTS = ("Admissions", "Dining Services", "Facilities", "Financial Aid",
               "Human Resources", "IT Services", "Library", "Registrar", "Student Accounts")
PROJECTS = ("Cut transcript turnaround time", "Reduce work-order backlog",
            "Faster financial aid verification", "Fewer dropped advising appointments",
            "Streamline purchase approvals", "Shorter help-desk wait times",
            "Reduce food waste in dining halls", "Automate enrollment verifications")


def _staff(rng: random.Random) -> tuple[str, Attributes]:
    location = _pick(rng, (("Main Campus", 5), ("Downtown Campus", 2), ("Remote", 2)))
    return location, {
        "department": rng.choice(DEPARTMENTS),
        "role_level": _pick(rng, (("individual_contributor", 6), ("supervisor", 3),
                                  ("manager", 1))),
        "project": rng.choice(PROJECTS),
    }


def _staff_outcome(rng: random.Random, journey: Outcome) -> tuple[Attributes, Impacts]:
    target = round(rng.lognormvariate(10.3, 0.6), -2)
    impacts: Impacts = [("annual_savings", "target", target),
                        ("hours_saved", "target", float(rng.randrange(50, 1_500, 10)))]
    if "improvement-plan" in journey.done:
        impacts.append(("annual_savings", "forecast", round(target * rng.uniform(0.7, 1.4), -2)))
    if "savings-validation" in journey.done:
        impacts.append(("annual_savings", "actual", round(target * rng.uniform(0.5, 1.3), -2)))
    return {}, impacts


JOBS = ("Systems Administrator", "Financial Aid Counselor", "Admissions Counselor",
        "Academic Advisor", "Help Desk Technician", "Accountant", "Facilities Technician",
        "Librarian", "Data Analyst", "Registrar Specialist", "Web Developer",
        "Adjunct Instructor, Mathematics", "Adjunct Instructor, English", "Nurse Educator",
        "Payroll Specialist", "Campus Safety Officer")


def _candidate(rng: random.Random) -> tuple[str, Attributes]:
    location = _pick(rng, (("Main Campus", 6), ("Downtown Campus", 2), ("Remote", 1)))
    return location, {
        "source": _pick(rng, (("job_board", 48), ("referral", 20), ("internal", 12),
                              ("campus", 10), ("agency", 10))),
        "years_experience": str(rng.randrange(0, 25)),
    }


def _candidate_outcome(rng: random.Random, journey: Outcome) -> tuple[Attributes, Impacts]:
    band = round(rng.uniform(42_000, 95_000), -3)
    attributes: Attributes = {}
    impacts: Impacts = [("salary", "target", band)]
    sent = journey.done.get("offer-letter")
    if sent is not None:
        impacts.append(("salary", "actual", round(band * rng.uniform(0.95, 1.08), -2)))
        attributes["offer_expires"] = iso_date(journey.local_day(sent) + 7)
    accepted = journey.done.get("offer-accepted")
    if accepted is not None:
        start = max(journey.local_day(accepted) + rng.randint(21, 42),
                    journey.today + rng.randint(5, 35))
        attributes["start_date"] = iso_date(start)
    return attributes, impacts


def _group(term_key: str, term_name: str, k: int) -> tuple[str, str]:
    return f"{term_key}-group-{k:02d}", f"{term_name} · Orientation group {k}"


def _class(term_key: str, term_name: str, k: int) -> tuple[str, str]:
    return f"{term_key}-class-{k:02d}", f"{term_name} · Class {k}"


def _requisition(_term_key: str, _term_name: str, k: int) -> tuple[str, str]:
    number = 1_100 + 7 * k
    return f"req-{number}", f"REQ-{number} · {JOBS[k % len(JOBS)]}"


PROFILES = (
    Profile(
        file="demo-onboarding.toml", root="onboarding", share=0.5, status="Admitted",
        id_prefix="S", id_digits=7, email_domain=None,
        term_starts={"fall-2026": "2026-08-24", "spring-2027": "2027-01-19"},
        join_before_start=(14, 200), section=_group, details=_student,
        outcome=_student_outcome,
    ),
    Profile(
        file="demo-training.toml", root="ops-excellence", share=0.2, status="Enrolled",
        id_prefix="E", id_digits=6, email_domain="riverside.example.edu",
        term_starts={"wave-2026-q3": "2026-07-06", "wave-2026-q4": "2026-10-05"},
        join_before_start=(3, 21), section=_class, details=_staff, outcome=_staff_outcome,
    ),
    Profile(
        file="demo-hiring.toml", root="hiring", share=0.3, status="Applied",
        id_prefix="APP-", id_digits=6, email_domain=None, term_starts={},
        join_before_start=(0, 150), section=_requisition, details=_candidate,
        outcome=_candidate_outcome,
        denials={"debrief": (0.35, True), "compensation": (0.05, False),
                 "offer-approval": (0.06, False)},
        rejected_status="Not selected",
    ),
)
