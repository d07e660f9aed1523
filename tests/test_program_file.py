"""The program file: reading, checking and writing back what a coordinator declares."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta
from itertools import takewhile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services.access import PERMISSIONS
from app.services.programs import (
    ProgramError,
    ProgramInvalid,
    ProgramSpec,
    dump_program,
    parse_program,
)
from app.services.programs.lines import key_lines
from app.services.programs.spec import (
    ActivitySpec,
    ApprovalSpec,
    CampaignSpec,
    CampaignStepSpec,
    CohortSpec,
    DueSpec,
    ImpactTriggerSpec,
    LevelSpec,
    MeetingSpec,
    MilestoneSpec,
    OnCompleteSpec,
    OptionalSpec,
    ProgramInfo,
    QuestionSpec,
    ReminderSpec,
    SessionSpec,
    StaffSpec,
    StepSpec,
    SurveySpec,
    TemplateSpec,
    TriggerSpec,
)

EXAMPLE = Path(__file__).parents[1] / "resources" / "programs" / "student-success.toml"

COHORT = '[[cohorts]]\nkey = "c"\nname = "C"\n'


def example() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def milestone(body: str = "", key: str = "m") -> str:
    """A milestone with what it needs, the lines of `body` replacing those it names."""
    own = takewhile(lambda line: not line.startswith("["), body.splitlines())  # not [sub.tables]
    given = {line.split("=")[0].strip() for line in own}
    needed = [f"{name} = {value}" for name, value in
              (("title", '"T"'), ("cohorts", '["c"]')) if name not in given]
    return "\n".join(["[[milestones]]", f'key = "{key}"', *needed, body]) + "\n"


def refusal(text: str, existing: dict[str, set[str]] | None = None) -> list[str]:
    """The lines a coordinator would read when `text` is refused."""
    with pytest.raises(ProgramInvalid) as refused:
        parse_program(text, "program.toml", existing)
    return str(refused.value).splitlines()


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


# --- the contract's example ---------------------------------------------------------------


def test_the_contract_example_parses_with_every_rule():
    spec = parse_program(example(), EXAMPLE.name)
    assert spec.program == ProgramInfo("Student Success", "America/Chicago")
    assert [s.email for s in spec.staff][:2] == ["avery@example.edu", "lee@example.edu"]
    assert spec.cohorts[1] == CohortSpec("fall-2026", "Fall 2026", "onboarding",
                                         ["avery@example.edu"], None)
    assert spec.cohorts[0].expected_days == 90
    assert spec.campaigns[0] == CampaignSpec(
        "welcome", [CampaignStepSpec(0, "congrats"), CampaignStepSpec(3, "congrats")])
    orientation = spec.milestones[1]
    assert orientation.due == DueSpec("date", date=date(2026, 9, 15))
    assert (orientation.expected_days, orientation.escalate_after_days) == (10, 5)
    assert orientation.steps[1] == StepSpec("Met a mentor", "achievement", True)
    assert orientation.reminders == [ReminderSpec("before_due", 3), ReminderSpec("after_start", 7),
                                     ReminderSpec("after_assignment", 14, "nudge")]
    assert orientation.approval.levels == [LevelSpec(["finance"], ["lee@example.edu"], False, 1)]
    assert orientation.approval.submit_when[2:] == [
        TriggerSpec("status", status="Active"),
        TriggerSpec("attribute", attribute="priority", values=["High"]),
    ]
    assert (orientation.approval.ready_deadline_days, orientation.approval.approval_deadline_days) \
        == (5, 10)
    assert orientation.on_complete == OnCompleteSpec("spring-2027", False, "Admitted", "welcome",
                                                     ["nudges"], "congrats")
    assert orientation.skip_when == {"source": ["internal", "referral"]}
    assert spec.milestones[2].optional == OptionalSpec(
        ["manager"], {"priority": ["High"], "progress": ["Off Track"]},
        ImpactTriggerSpec("savings", 10000.0, {"Austin": 5000.0}, "actual"), "all")
    workshops = spec.milestones[4]
    assert workshops.attendance_min == 0.8
    assert workshops.activities[1] == ActivitySpec("post", "Slides", None, "slides.pdf")
    assert [q.kind for q in workshops.surveys[0].questions] == [
        "mcq", "rating", "text", "overall_rating", "overall_text"]
    assert spec.milestones[3].meeting == MeetingSpec("Advising", "Degree plan")
    assert spec.milestones[5].signatures == ["participant", "advisor"]
    assert spec.sessions[0].start == datetime(2026, 9, 1, 9, tzinfo=ZoneInfo("America/Chicago"))


def test_defaults_are_written_into_the_spec():
    spec = parse_program(example(), EXAMPLE.name)
    welcome, orientation, review, advising = spec.milestones[:4]
    assert (welcome.kind, welcome.starts, welcome.step) == ("standard", "on_assignment", 1)
    assert (orientation.starts, review.step) == ("after_prerequisites", 3)
    assert advising.complete_by == ["attendance"]
    assert spec.milestones[6].complete_by == ["registration"]
    assert (welcome.scale_behind, welcome.scale_stuck, welcome.upload) == (1.0, 1.5, "off")
    assert welcome.bypass_roles is None and welcome.approval is None
    assert review.approval == ApprovalSpec(levels=[LevelSpec(cohort_staff=True)])
    assert review.approval.submit_when == [TriggerSpec("person")]
    assert (spec.sessions[1].marking, spec.sessions[1].tentative) == ("admin", False)


def test_durations_in_weeks_become_days():
    spec = parse_program(COHORT + milestone('due = { after_assignment = "2w" }\nexpected = "3w"'),
                         "p.toml")
    assert spec.milestones[0].due == DueSpec("after_assignment", days=14)
    assert spec.milestones[0].expected_days == 21


def test_a_negative_duration_is_allowed_only_as_a_due_offset():
    spec = parse_program(
        COHORT + milestone('due = { attribute = "start_date", offset = "-7d" }'), "p.toml")
    assert spec.milestones[0].due == DueSpec("attribute", attribute="start_date", offset_days=-7)
    [error] = refusal(COHORT + milestone('expected = "-7d"'))
    assert 'milestones[0].expected: expected a duration such as "14d" or "2w", got \'-7d\'' in error


def test_staff_emails_are_matched_without_regard_to_case():
    text = ('[[staff]]\nemail = "Avery@Example.edu"\nname = "Avery"\n'
            + COHORT.replace('name = "C"', 'name = "C"\nstaff = ["AVERY@example.edu"]'))
    spec = parse_program(text, "p.toml")
    assert spec.staff[0].email == spec.cohorts[0].staff[0] == "avery@example.edu"


def test_session_times_without_an_offset_are_in_the_program_zone_else_utc():
    session = ('[[sessions]]\nkey = "s"\ntitle = "S"\nstart = "2026-03-08T02:30"\n'
               'end = "2026-03-08T12:00+00:00"\n')
    chicago = parse_program('[program]\nname = "P"\ntimezone = "America/Chicago"\n' + session,
                            "p.toml").sessions[0]
    # 02:30 does not exist that night in Chicago (clocks jump to 03:00): read as the instant.
    assert chicago.start == datetime(2026, 3, 8, 8, 30, tzinfo=UTC)
    assert chicago.end.isoformat() == "2026-03-08T07:00:00-05:00"
    plain = parse_program(session, "p.toml").sessions[0]
    assert plain.start == datetime(2026, 3, 8, 2, 30, tzinfo=UTC)


# --- export -----------------------------------------------------------------------------


def test_export_then_parse_gives_the_same_program():
    spec = parse_program(example(), EXAMPLE.name)
    assert parse_program(dump_program(spec), "export.toml") == spec


def test_export_of_an_export_is_unchanged():
    exported = dump_program(parse_program(example(), EXAMPLE.name))
    assert dump_program(parse_program(exported, "export.toml")) == exported


def test_the_export_reads_like_the_contract():
    exported = dump_program(parse_program(example(), EXAMPLE.name))
    headers = [line for line in exported.splitlines() if line.startswith("[")]
    order = ["[program]", "[[staff]]", "[[cohorts]]", "[[gates]]", "[[templates]]",
             "[[campaigns]]", "[[milestones]]", "[[sessions]]"]
    firsts = [headers.index(header) for header in order]
    assert firsts == sorted(firsts)
    assert 'reminders = [\n    { before_due = "3d" },\n    { after_start = "7d" },' in exported
    assert 'start = "2026-09-01T09:00-05:00"' in exported
    assert 'due = { date = "2026-09-15" }' in exported
    assert "[milestones.approval]\napprovers = { roles" in exported
    assert 'starts = ' not in exported and 'upload = ' not in exported  # defaults left out


def test_a_multi_line_mail_body_is_exported_over_several_lines():
    spec = ProgramSpec(templates=[TemplateSpec("t", "Hi", "Dear {{ person.name }},\n\nDone.")])
    exported = dump_program(spec)
    assert 'body = """\nDear' in exported
    assert parse_program(exported, "p.toml") == spec


# --- refusals: where and what -----------------------------------------------------------


def test_an_unknown_key_is_refused_naming_file_line_and_key_path():
    text = example().replace('due = { date = "2026-09-15" }', 'dew = { date = "2026-09-15" }')
    [error] = refusal(text)
    line = line_of(text, "dew =")
    assert error == (f"program.toml:{line}: milestones[1].dew: unknown key 'dew' "
                     "(did you mean 'due'?)")


def test_an_unknown_section_is_refused_with_a_suggestion():
    [error] = refusal(COHORT + milestone().replace("[[milestones]]", "[[milestone]]"))
    assert error == ("program.toml:4: milestone: unknown key 'milestone' "
                     "(did you mean 'milestones'?)")


def test_a_toml_syntax_error_is_one_error_with_its_line():
    [error] = refusal(COHORT + 'oops = "unterminated\n')
    assert error.startswith("program.toml:4: not valid TOML: ")


def test_all_errors_are_reported_at_once_in_file_order():
    text = COHORT + milestone('kind = "lecture"\nexpected = "ten days"') + milestone(
        'upload = "maybe"', key="m")
    assert refusal(text) == [
        "program.toml:8: milestones[0].kind: expected one of \"standard\", \"meeting\", "
        "\"whiteboard\", \"event\", got 'lecture'",
        "program.toml:9: milestones[0].expected: expected a duration such as \"14d\" or \"2w\", "
        "got 'ten days'",
        "program.toml:11: milestones[1].key: 'm' is already the key of milestones[0]",
        "program.toml:14: milestones[1].upload: expected one of \"off\", \"optional\", "
        "\"mandatory\", got 'maybe'",
    ]


def test_an_error_deep_in_a_list_names_the_line_of_that_item():
    text = example().replace('{ kind = "rating", text = "Pace", scale = 5 }',
                             '{ kind = "rating", text = "Pace", scale = 0 }')
    [error] = refusal(text)
    line = line_of(text, 'text = "Pace"')
    assert error == (f"program.toml:{line}: milestones[4].surveys[0].questions[1].scale: "
                     "must be at least 2, got 0")


def test_an_error_without_a_line_still_names_the_file_and_key_path():
    assert str(ProgramError("p.toml", None, "sessions[0].start", "is required")) == \
        "p.toml: sessions[0].start: is required"


def test_a_due_of_the_wrong_shape_explains_the_four_shapes():
    [error] = refusal(COHORT + milestone('due = "2026-09-15"'))
    assert error == (
        'program.toml:8: milestones[0].due: expected one of { date = "YYYY-MM-DD" }, '
        '{ after_start = "14d" }, { after_assignment = "2w" } or '
        '{ attribute = "start_date", offset = "-7d" }')


@pytest.mark.parametrize(("body", "expected"), [
    ('due = { date = "2026-02-30" }', "due.date: expected a date like \"2026-09-15\""),
    ("title = 3", "title: expected text, got a number"),
    ('cohorts = "c"', 'cohorts: expected a list of text, like ["a", "b"], got text'),
    ('retired = "no"', "retired: expected true or false, got text"),
    ("step = 0", "step: must be at least 1, got 0"),
    ('title = "  "', "title: must not be empty"),
    ('complete_by = ["email"]', 'complete_by[0]: expected one of "self", "staff", "request"'),
    ('complete_by = ["steps"]', 'complete_by: includes "steps" but the milestone lists no steps'),
    ("attendance_min = 0", "attendance_min: must be a share above 0 and at most 1"),
    ("attendance_min = 1.5", "attendance_min: must be a share above 0 and at most 1"),
    ("scale = { behind = 2.0, stuck = 1.5 }", "scale.stuck: must be more than behind (2)"),
    ('form = [{ kind = "mcq", text = "Pick" }]', "form[0].options: is required"),
    ('form = [{ kind = "rating", text = "Rate" }]', "form[0].scale: is required for a rating"),
    ('reminders = [{ before_due = "3d", after_start = "1d" }]', "reminders[0]: expected one of"),
])
def test_a_wrong_value_is_refused_in_words(body, expected):
    [error] = refusal(COHORT + milestone(body))
    assert f"milestones[0].{expected}" in error


def test_a_missing_required_key_is_refused():
    errors = refusal(COHORT + '[[milestones]]\nkey = "m"\n')
    assert errors == ["program.toml:4: milestones[0].title: is required",
                      "program.toml:4: milestones[0].cohorts: is required"]


def test_a_bad_email_is_refused():
    [error] = refusal('[[staff]]\nemail = "avery.example.edu"\nname = "Avery"\n')
    assert error == "program.toml:2: staff[0].email: 'avery.example.edu' is not an email address"


def test_an_unknown_time_zone_is_refused_with_a_suggestion():
    [error] = refusal('[program]\nname = "P"\ntimezone = "America/Chicgo"\n')
    assert error == ("program.toml:3: program.timezone: 'America/Chicgo' is not a time zone "
                     "(did you mean 'America/Chicago'?)")


def test_two_entries_with_the_same_key_are_refused():
    errors = refusal(COHORT + COHORT)
    assert errors == ["program.toml:5: cohorts[1].key: 'c' is already the key of cohorts[0]"]


# --- refusals: references and structure --------------------------------------------------


def test_a_prerequisite_cycle_is_refused():
    text = (COHORT + milestone('after = ["c-step"]', key="a") + milestone('after = ["a"]', key="b")
            + milestone('after = ["b"]', key="c-step"))
    assert refusal(text) == ["program.toml:8: milestones[0].after: 'a' → 'c-step' → 'b' → 'a' "
                             "is a cycle"]


def test_a_milestone_cannot_be_its_own_prerequisite():
    [error] = refusal(COHORT + milestone('after = ["m"]'))
    assert error.endswith("milestones[0].after[0]: a milestone cannot be its own prerequisite")


def test_a_cohort_tree_may_not_loop():
    text = ('[[cohorts]]\nkey = "a"\nname = "A"\nparent = "b"\n'
            '[[cohorts]]\nkey = "b"\nname = "B"\nparent = "a"\n')
    assert refusal(text) == ["program.toml:4: cohorts[0].parent: 'a' → 'b' → 'a' is a cycle"]


@pytest.mark.parametrize(("old", "new", "path"), [
    ('parent = "onboarding"', 'parent = "onbording"', "cohorts[1].parent"),
    ('staff = ["avery@example.edu"]', 'staff = ["ava@example.edu"]', "cohorts[1].staff[0]"),
    ('cohorts = ["fall-2026", "spring-2027"]', 'cohorts = ["fall-2026", "summer"]',
     "milestones[0].cohorts[1]"),
    ('gate = "intake"', 'gate = "outtake"', "milestones[1].gate"),
    ('after = ["welcome-call"]', 'after = ["welcome"]', "milestones[1].after[0]"),
    ('move_to = "spring-2027"', 'move_to = "spring-2028"', "milestones[1].on_complete.move_to"),
    ('start_campaign = "welcome"', 'start_campaign = "hello"',
     "milestones[1].on_complete.start_campaign"),
    ('stop_campaigns = ["nudges"]', 'stop_campaigns = ["nudge"]',
     "milestones[1].on_complete.stop_campaigns[0]"),
    ('email_template = "congrats"', 'email_template = "congrats2"',
     "milestones[1].on_complete.email_template"),
    ('after_assignment = "2w", template = "nudge"', 'after_assignment = "2w", template = "x"',
     "milestones[1].reminders[2].template"),
    ('{ after = "7d", template = "nudge" }', '{ after = "7d", template = "nag" }',
     "campaigns[1].steps[0].template"),
    ('users = ["lee@example.edu"]', 'users = ["leo@example.edu"]',
     "milestones[1].approval.approvers.users[0]"),
    ('notify = ["lee@example.edu"]', 'notify = ["kim@example.edu"]',
     "milestones[1].approval.notify[0]"),
    ('milestone = "orientation-event"', 'milestone = "orientation-evening"',
     "sessions[0].milestone"),
    ('trainers = ["tess@example.edu"]\nmarking', 'trainers = ["tom@example.edu"]\nmarking',
     "sessions[0].trainers[0]"),
])
def test_every_reference_must_name_something_that_exists(old, new, path):
    text = example()
    assert old in text
    [error] = refusal(text.replace(old, new, 1))
    assert f" {path}: no " in error and "in this file" in error


def test_a_reference_to_a_missing_cohort_suggests_the_nearest():
    [error] = refusal(example().replace('parent = "onboarding"', 'parent = "onbording"', 1))
    assert error.endswith("cohorts[1].parent: no cohort 'onbording' in this file "
                          "(did you mean 'onboarding'?)")


def test_a_reference_to_an_existing_cohort_in_the_store_is_accepted():
    text = milestone('after = ["intro"]\ngate = "g"') + milestone('cohorts = ["c"]', key="n")
    existing = {"cohorts": {"c"}, "milestones": {"intro"}, "gates": {"g"}}
    spec = parse_program(text, "p.toml", existing)
    assert spec.milestones[0].after == ["intro"]
    [error] = refusal(text, {"cohorts": {"c"}, "milestones": {"intro"}})
    assert error.endswith("milestones[0].gate: no gate 'g' in this file or the store")


# --- refusals: approval, surveys, sessions, optional ------------------------------------


def test_approval_levels_keep_their_order_and_check_their_minimums():
    body = ('complete_by = ["request"]\n[milestones.approval]\n'
            'levels = [{ roles = ["hrbp"] }, { roles = ["finance"], min_approvals = 2 }]\n')
    spec = parse_program(COHORT + milestone(body), "p.toml")
    assert spec.milestones[0].approval.levels == [LevelSpec(["hrbp"]), LevelSpec(["finance"],
                                                                                  min_approvals=2)]
    [error] = refusal(COHORT + milestone(body.replace("min_approvals = 2", "min_approvals = 0")))
    assert "milestones[0].approval.levels[1].min_approvals: must be at least 1, got 0" in error


def test_approvers_and_levels_together_are_refused():
    body = ('[milestones.approval]\napprovers = { roles = ["finance"] }\n'
            'levels = [{ roles = ["hrbp"] }]\n')
    [error] = refusal(COHORT + milestone(body))
    assert error.endswith("milestones[0].approval.levels: give approvers (one level) or levels "
                          "(several), not both")


def test_only_one_survey_may_be_active_and_survey_keys_are_unique():
    survey = ('[[milestones.surveys]]\nkey = "s"\ntitle = "S"\n'
              'questions = [{ kind = "text", text = "Q" }]\n')
    assert refusal(COHORT + milestone(survey + survey)) == [
        "program.toml:12: milestones[0].surveys[1].active: only one survey may be active; "
        "surveys[0] is too (set active = false on all but one)",
        "program.toml:13: milestones[0].surveys[1].key: 's' is already the key of surveys[0]",
    ]


def test_a_session_may_not_end_before_it_starts():
    text = ('[[sessions]]\nkey = "s"\ntitle = "S"\nstart = "2026-09-08T11:00"\n'
            'end = "2026-09-08T09:00"\n')
    [error] = refusal(text)
    assert error.startswith("program.toml:5: sessions[0].end: ends (2026-09-08T09:00:00+00:00) "
                            "before it starts")


def test_an_impact_trigger_needs_a_numeric_threshold():
    body = '[milestones.optional]\nimpact = { key = "savings", over = "lots" }\n'
    [error] = refusal(COHORT + milestone(body))
    assert error.endswith("milestones[0].optional.impact.over: expected a number, got text")


# --- every spec the parser can produce survives an export --------------------------------

_text = st.text(max_size=12).filter(str.strip)
_key = st.from_regex(r"[a-z][a-z0-9-]{0,6}", fullmatch=True)
_days = st.integers(0, 800)
_number = st.floats(allow_nan=False, allow_infinity=False, width=64)


def _some(draw, values, **kwargs):
    return draw(st.lists(st.sampled_from(values), **kwargs)) if values else []


def _questions(draw, min_size=0):
    questions = []
    for kind in draw(st.lists(st.sampled_from(
            ["mcq", "text", "rating", "overall_rating", "overall_text"]), min_size=min_size,
            max_size=3)):
        options = draw(st.lists(_text, min_size=1, max_size=3)) if kind == "mcq" else []
        scale = draw(st.integers(2, 10)) if "rating" in kind else None
        questions.append(QuestionSpec(kind, draw(_text), options, scale))
    return questions


def _approval(draw, emails):
    levels = []
    for _ in range(draw(st.integers(1, 3))):
        users = _some(draw, emails, max_size=2)
        roles = draw(st.lists(_text, max_size=2))
        cohort_staff = draw(st.booleans()) or not (users or roles)
        most = 5 if roles or cohort_staff else len(users)
        levels.append(LevelSpec(roles, users, cohort_staff, draw(st.integers(1, most))))
    triggers = draw(st.lists(st.sampled_from(["person", "previous_approved"]).map(TriggerSpec)
                             | st.builds(lambda s: TriggerSpec("status", status=s), _text)
                             | st.builds(lambda a, v: TriggerSpec("attribute", attribute=a,
                                                                  values=v),
                                         _text, st.lists(_text, min_size=1, max_size=2)),
                             min_size=1, max_size=3))
    return ApprovalSpec(levels, draw(st.sampled_from(["ready", "approved"])),
                        draw(st.lists(st.sampled_from(["approve", "deny"]), max_size=2)),
                        triggers, draw(st.booleans()), draw(st.none() | _days),
                        draw(st.none() | _days), _some(draw, [*emails, "cohort_staff"], max_size=2))


@st.composite
def programs(draw):
    zone = draw(st.sampled_from(["UTC", "America/Chicago", "Europe/Berlin", "Asia/Kolkata"]))
    program = draw(st.none() | st.builds(ProgramInfo, _text, st.just(zone)))
    emails = draw(st.lists(st.from_regex(r"[a-z]{1,4}@[a-z]{1,4}\.edu", fullmatch=True),
                           unique=True, max_size=3))
    staff = [StaffSpec(e, draw(_text), draw(st.lists(_text, max_size=2))) for e in emails]
    cohort_keys = draw(st.lists(_key, unique=True, min_size=1, max_size=3))
    cohorts = [CohortSpec(k, draw(_text), draw(st.sampled_from([None, *cohort_keys[:i]])),
                          _some(draw, emails, max_size=2), draw(st.none() | _days))
               for i, k in enumerate(cohort_keys)]
    templates = [TemplateSpec(k, draw(_text), draw(st.text(max_size=30).filter(str.strip)))
                 for k in draw(st.lists(_key, unique=True, max_size=2))]
    template_keys = [t.key for t in templates]
    campaigns = [CampaignSpec(k, [CampaignStepSpec(draw(_days), t)
                                  for t in _some(draw, template_keys, min_size=1, max_size=2)])
                 for k in (draw(st.lists(_key, unique=True, max_size=2)) if templates else [])]
    milestone_keys = draw(st.lists(_key, unique=True, max_size=4))
    milestones = [_milestone(draw, i, k, milestone_keys[:i], cohort_keys, emails, template_keys,
                             [c.key for c in campaigns])
                  for i, k in enumerate(milestone_keys)]
    sessions = []
    for k in draw(st.lists(_key, unique=True, max_size=2)):
        start = draw(st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1)))
        start = start.replace(tzinfo=ZoneInfo(program.timezone if program else "UTC"))
        start = start.astimezone(UTC).astimezone(start.tzinfo)
        end = (start + draw(st.timedeltas(timedelta(0), timedelta(days=3)))).astimezone(
            start.tzinfo)
        pair = draw(st.none() | st.tuples(_text, _text)) or (None, None)
        sessions.append(SessionSpec(
            k, draw(_text), draw(st.none() | st.sampled_from(milestone_keys or [None])),
            start, end, draw(st.none() | _text), draw(st.none() | _text), draw(st.none() | _text),
            draw(st.booleans()), _some(draw, emails, max_size=2),
            draw(st.sampled_from(["admin", "self"])), *pair))
    permissions = draw(st.none() | st.dictionaries(st.sampled_from(list(PERMISSIONS)),
                                                   st.lists(_text, max_size=2)))
    return ProgramSpec(program, staff, cohorts, [], templates, campaigns, milestones, sessions,
                       permissions)


def _milestone(draw, index, key, earlier, cohorts, emails, templates, campaigns):
    kind = draw(st.sampled_from(["standard", "meeting", "whiteboard", "event"]))
    complete_by = draw(st.lists(st.sampled_from(
        ["self", "staff", "request", "steps", "attendance", "registration", "signatures"]),
        min_size=1, max_size=3))
    steps = [StepSpec(draw(_text), draw(st.sampled_from(["task", "achievement"])),
                      draw(st.booleans()))
             for _ in range(draw(st.integers(1 if "steps" in complete_by else 0, 2)))]
    signatures = draw(st.lists(_text, min_size=1 if "signatures" in complete_by else 0,
                               max_size=2))
    approval = _approval(draw, emails) if draw(st.booleans()) else None
    if approval is None and "request" in complete_by:
        approval = ApprovalSpec()
    surveys = [SurveySpec(k, draw(_text), False, _questions(draw, 1))
               for k in draw(st.lists(_key, unique=True, max_size=2))]
    if surveys and draw(st.booleans()):
        surveys[0] = SurveySpec(surveys[0].key, surveys[0].title, True, surveys[0].questions)
    due = draw(st.none()
               | st.builds(lambda d: DueSpec("date", date=d), st.dates())
               | st.builds(DueSpec, st.sampled_from(["after_start", "after_assignment"]),
                           st.none(), _days)
               | st.builds(lambda a, o: DueSpec("attribute", attribute=a, offset_days=o),
                           _text, st.integers(-60, 60)))
    behind = draw(st.floats(0.01, 10))
    move_to = draw(st.none() | st.sampled_from(cohorts))
    on_complete = draw(st.none() | st.builds(
        OnCompleteSpec, st.just(move_to), st.just(False) if move_to else st.booleans(),
        st.none() | _text, st.none() | st.sampled_from(campaigns or [None]),
        st.lists(st.sampled_from(campaigns), max_size=1) if campaigns else st.just([]),
        st.none() | st.sampled_from(templates or [None])))
    impact = st.builds(ImpactTriggerSpec, _text, _number,
                       st.dictionaries(st.text(max_size=5), _number, max_size=2),
                       st.sampled_from(["target", "forecast", "actual"]))
    optional = draw(st.none() | st.builds(
        OptionalSpec, st.lists(_text, max_size=2),
        st.dictionaries(st.text(max_size=5), st.lists(_text, min_size=1, max_size=2), max_size=2),
        st.none() | impact, st.sampled_from(["all", "any"])))
    return MilestoneSpec(
        key=key, title=draw(_text), description=draw(st.none() | st.text(max_size=20)), kind=kind,
        cohorts=_some(draw, cohorts, min_size=1, max_size=2), step=draw(st.integers(1, 6)),
        gate=None, after=_some(draw, earlier, max_size=2),
        starts=draw(st.sampled_from(["on_assignment", "after_prerequisites", "manual"])),
        due=due, expected_days=draw(st.none() | _days), scale_behind=behind,
        scale_stuck=behind + draw(st.floats(0.01, 10)), escalate_after_days=draw(st.none() | _days),
        complete_by=complete_by, steps=steps,
        upload=draw(st.sampled_from(["off", "optional", "mandatory"])),
        form=_questions(draw), labels=draw(st.lists(_text, max_size=2)),
        visible_to=draw(st.lists(_text, max_size=2)),
        skip_when=draw(st.dictionaries(_text, st.lists(_text, min_size=1, max_size=2),
                                       max_size=2)),
        bypass_roles=draw(st.none() | st.lists(_text, max_size=2)),
        unset_on=draw(st.lists(st.sampled_from(["impact_change", "detail_change", "reopen"]),
                               max_size=2)),
        blocks_statuses=draw(st.lists(_text, max_size=2)), retired=draw(st.booleans()),
        reminders=[ReminderSpec(draw(st.sampled_from(["before_due", "after_start",
                                                      "after_assignment"])), draw(_days),
                                draw(st.none() | st.sampled_from(templates or [None])))
                   for _ in range(draw(st.integers(0, 2)))],
        approval=approval, on_complete=on_complete, optional=optional,
        meeting=draw(st.none() | st.builds(MeetingSpec, _text, _text)),
        attendance_min=draw(st.none() | st.floats(0.001, 1)),
        connect=draw(st.sampled_from([None, "mentor", "coach"])),
        post_action_required=any(s.active for s in surveys) and draw(st.booleans()),
        activities=[ActivitySpec(draw(st.sampled_from(["pre", "post"])), draw(_text),
                                 draw(_text), draw(st.none() | _text))
                    for _ in range(draw(st.integers(0, 2)))],
        surveys=surveys, signatures=signatures,
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_any_program_survives_export_and_parse(spec):
    exported = dump_program(spec)
    assert parse_program(exported, "export.toml") == spec
    assert dump_program(parse_program(exported, "export.toml")) == exported
    lines = key_lines(exported)
    assert all(f"milestones[{i}]" in lines for i in range(len(spec.milestones)))
    assert tomllib.loads(exported) is not None
