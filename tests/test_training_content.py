"""Training content, driven from the command line.

Surveys (one active per milestone) are answered with `answer`; a linked form is answered with
the completion request (`submit --answer`); files are handed in with `attach` into the
profile's attachment store, named by content hash, within a size limit. A mandatory upload
blocks completion until evidence is attached, and `post_action_required` until the active
survey is answered; a completion that was otherwise earned (attendance, steps) completes by
itself once the missing piece is handed in.
"""

from __future__ import annotations

import hashlib

from conftest import ADMIN, Waypoint

PROGRAM = """\
[program]
name = "Training"
timezone = "America/Chicago"

[[staff]]
email = "tess@example.edu"
name = "Tess Trainer"
roles = ["trainer"]

[[cohorts]]
key = "fall"
name = "Fall"

[[milestones]]
key = "workshops"
title = "Leadership workshop"
kind = "meeting"
cohorts = ["fall"]
complete_by = ["attendance"]
connect = "coach"
post_action_required = true
activities = [{ when = "pre", title = "Reading", link = "https://example.edu/read" }]
[[milestones.surveys]]
key = "old"
title = "Last year's feedback"
active = false
questions = [{ kind = "text", text = "Anything?" }]
[[milestones.surveys]]
key = "feedback"
title = "Workshop feedback"
active = true
questions = [{ kind = "mcq", text = "Most useful part?", options = ["Talks", "Exercises"] },
             { kind = "rating", text = "Pace", scale = 5 },
             { kind = "text", text = "What would you change?" },
             { kind = "overall_rating", text = "Overall", scale = 5 },
             { kind = "overall_text", text = "Anything else?" }]

[[milestones]]
key = "id-check"
title = "Identity check"
cohorts = ["fall"]
complete_by = ["steps", "self"]
upload = "mandatory"
steps = [{ title = "Bring ID" }]

[[milestones]]
key = "portfolio"
title = "Portfolio"
cohorts = ["fall"]
complete_by = ["self"]
upload = "optional"

[[milestones]]
key = "plan"
title = "Study plan"
cohorts = ["fall"]
complete_by = ["request"]
upload = "off"
form = [{ kind = "text", text = "Intended major" },
        { kind = "mcq", text = "Start term", options = ["Fall", "Spring"] }]

[[sessions]]
key = "ws-1"
title = "Workshop 1"
milestone = "workshops"
start = "2026-09-08T09:00"
end = "2026-09-08T11:00"
trainers = ["tess@example.edu"]
"""

PEOPLE = "id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\np2,Sam Roe,sam@example.edu,fall\n"


def setup(wp: Waypoint) -> None:
    wp.apply(PROGRAM)
    wp.people(PEOPLE)


def attend(wp: Waypoint, person: str = "p1") -> None:
    wp.json("attend", person, "ws-1", "--join", "2026-09-08T09:02", "--by", ADMIN)


def test_attending_a_workshop_with_a_post_action_survey_waits_for_the_survey(wp):
    setup(wp)
    attend(wp)
    workshop = wp.show("p1")["workshops"]
    assert workshop["state"] == "started"
    assert workshop["waits_for"] == ["the survey 'Workshop feedback' answered"]
    assert "attended Workshop 1" in workshop["held"]


def test_answering_the_survey_completes_a_workshop_already_attended(wp):
    setup(wp)
    attend(wp)
    result = wp.json("answer", "p1", "workshops", "--by", "p1", "--answer", "1=Exercises",
                     "--answer", "Pace=4", "--answer", "Overall=5")
    assert {"kind": "progress", "person": "p1", "milestone": "workshops",
            "from": "started", "to": "complete"} in result["changes"]
    workshop = wp.show("p1")["workshops"]
    assert workshop["state"] == "complete"
    assert workshop["survey"]["answered"] is True


def test_a_survey_answered_before_attending_lets_attendance_complete_at_once(wp):
    setup(wp)
    wp.json("answer", "p1", "workshops", "--by", "p1", "--answer", "1=Talks",
            "--answer", "2=3", "--answer", "4=4")
    attend(wp)
    assert wp.state("p1", "workshops") == "complete"


def test_a_milestone_with_a_post_action_survey_cannot_be_completed_by_hand_unanswered(wp):
    setup(wp)
    reason = wp.refused("complete", "p1", "workshops")
    assert "waits for the survey 'Workshop feedback' answered" in reason
    assert wp.state("p1", "workshops") == "open"


def test_a_survey_answer_outside_its_options_or_scale_is_refused_naming_the_question(wp):
    setup(wp)
    reason = wp.refused("answer", "p1", "workshops", "--by", "p1", "--answer", "1=Lunch",
                        "--answer", "Pace=9", "--answer", "Overall=5")
    assert "question 1 ('Most useful part?'): 'Lunch' is not one of its options" in reason
    assert "question 2 ('Pace'): '9' is not a rating from 1 to 5" in reason
    assert wp.show("p1")["workshops"]["survey"]["answered"] is False


def test_choices_and_ratings_must_be_answered_text_may_be_left_out(wp):
    setup(wp)
    reason = wp.refused("answer", "p1", "workshops", "--by", "p1", "--answer", "1=Talks")
    assert "question 2 ('Pace') needs an answer" in reason
    assert "question 4 ('Overall') needs an answer" in reason
    assert "question 3" not in reason


def test_only_the_active_survey_is_answered(wp):
    setup(wp)
    reason = wp.refused("answer", "p1", "workshops", "--by", "p1", "--survey", "old",
                        "--answer", "1=fine")
    assert "not active; the active one is 'feedback'" in reason


def test_a_survey_is_answered_once(wp):
    setup(wp)
    answers = ("--answer", "1=Talks", "--answer", "2=3", "--answer", "4=4")
    wp.json("answer", "p1", "workshops", "--by", "p1", *answers)
    assert "already answered 'Workshop feedback'" in wp.refused(
        "answer", "p1", "workshops", "--by", "p1", *answers)


def test_a_participant_answers_only_their_own_survey(wp):
    setup(wp)
    reason = wp.refused("answer", "p1", "workshops", "--by", "p2", "--answer", "1=Talks",
                        "--answer", "2=3", "--answer", "4=4")
    assert "only answer the surveys of their own milestones" in reason


def test_a_mandatory_upload_blocks_completion_until_evidence_is_attached(wp, tmp_path):
    setup(wp)
    assert "waits for an uploaded file" in wp.refused("complete", "p1", "id-check",
                                                      "--by", "p1")
    evidence = tmp_path / "passport.pdf"
    evidence.write_bytes(b"%PDF-1.4 passport scan")
    wp.json("attach", "p1", "id-check", str(evidence), "--by", "p1")
    wp.json("complete", "p1", "id-check", "--by", "p1")
    assert wp.state("p1", "id-check") == "complete"


def test_every_step_done_without_the_mandatory_upload_completes_once_it_is_attached(wp, tmp_path):
    setup(wp)
    wp.json("step", "p1", "id-check", "1", "--by", "p1")
    checked = wp.show("p1")["id-check"]
    assert checked["state"] == "started"
    assert checked["waits_for"] == ["an uploaded file"]
    evidence = tmp_path / "id.png"
    evidence.write_bytes(b"\x89PNG id card")
    wp.json("attach", "p1", "id-check", str(evidence), "--by", "p1")
    assert wp.state("p1", "id-check") == "complete"


def test_an_attached_file_is_kept_in_the_store_under_its_content_hash(wp, tmp_path):
    setup(wp)
    content = b"my portfolio, version 1"
    source = tmp_path / "portfolio.pdf"
    source.write_bytes(content)
    wp.json("attach", "p1", "portfolio", str(source), "--by", "p1", "--note", "first draft")
    source.unlink()  # the store keeps its own copy
    sha = hashlib.sha256(content).hexdigest()
    kept = wp.db.with_name(f"{wp.db.stem}-attachments") / sha[:2] / sha
    assert kept.read_bytes() == content
    files = wp.show("p1")["portfolio"]["files"]
    assert [(f["name"], f["size"], f["sha256"], f["note"]) for f in files] == [
        ("portfolio.pdf", len(content), sha, "first draft")]


def test_a_milestone_with_uploads_off_refuses_a_file_and_keeps_no_copy(wp, tmp_path):
    setup(wp)
    source = tmp_path / "plan.pdf"
    source.write_bytes(b"a plan")
    assert "takes no uploads" in wp.refused("attach", "p1", "plan", str(source), "--by", "p1")
    folder = wp.db.with_name(f"{wp.db.stem}-attachments")
    assert not folder.exists() or not [p for p in folder.rglob("*") if p.is_file()]
    assert wp.show("p1")["plan"]["files"] == []


def test_a_file_over_the_size_limit_is_refused_with_the_limit_named(wp, tmp_path):
    setup(wp)
    big = tmp_path / "video.mp4"
    big.write_bytes(b"\0" * (26 * 1024 * 1024))
    reason = wp.refused("attach", "p1", "portfolio", str(big), "--by", "p1")
    assert "video.mp4 is 26.0 MB; attachments may be at most 25.0 MB" in reason
    assert wp.show("p1")["portfolio"]["files"] == []


def test_a_missing_file_is_refused_naming_it(wp, tmp_path):
    setup(wp)
    reason = wp.refused("attach", "p1", "portfolio", str(tmp_path / "nope.pdf"), "--by", "p1")
    assert "nope.pdf: cannot be read" in reason


def test_the_linked_form_is_answered_with_the_completion_request(wp):
    setup(wp)
    wp.json("submit", "p1", "plan", "--by", "p1", "--answer", "Intended major=History",
            "--answer", "2=spring")
    assert wp.state("p1", "plan") == "submitted"
    inbox = wp.json("inbox", "--as", ADMIN, "--evidence")["items"]
    assert inbox[0]["form"] == [
        {"question": "Intended major", "kind": "text", "answer": "History"},
        {"question": "Start term", "kind": "mcq", "answer": "Spring"}]


def test_a_completion_request_without_its_form_answered_is_refused(wp):
    setup(wp)
    reason = wp.refused("submit", "p1", "plan", "--by", "p1", "--answer", "2=Fall")
    assert "question 1 ('Intended major') needs an answer" in reason
    assert wp.state("p1", "plan") == "open"


def test_the_form_is_answered_anew_with_each_request(wp):
    setup(wp)
    wp.json("submit", "p1", "plan", "--by", "p1", "--answer", "1=History", "--answer", "2=Fall")
    wp.json("deny", "p1", "plan", "--note", "History has no fall start")
    wp.json("submit", "p1", "plan", "--by", "p1", "--answer", "1=History",
            "--answer", "2=Spring")
    inbox = wp.json("inbox", "--as", ADMIN, "--evidence")["items"]
    assert [a["answer"] for a in inbox[0]["form"]] == ["History", "Spring"]


def test_show_lists_the_training_content_of_a_milestone(wp):
    setup(wp)
    workshop = wp.show("p1")["workshops"]
    assert workshop["connect"] == "coach"
    assert workshop["activities"] == [
        {"when": "pre", "title": "Reading", "link": "https://example.edu/read", "file": None,
         "sha256": None}]
    assert workshop["survey"] == {"key": "feedback", "title": "Workshop feedback",
                                  "answered": False, "answered_at": None}
    code, out, _ = wp.run("show", "p1")
    assert "survey 'Workshop feedback': not answered yet" in out


SLIDES = """\
[[cohorts]]
key = "fall"
name = "Fall"

[[milestones]]
key = "workshops"
title = "Leadership workshop"
cohorts = ["fall"]
activities = [{ when = "post", title = "Slides", file = "material/slides.pdf" }]
"""


def test_an_activity_file_is_copied_into_the_store_on_apply(wp):
    program = wp.file(SLIDES)
    (program.parent / "material").mkdir()
    (program.parent / "material" / "slides.pdf").write_bytes(b"%PDF slides v1")
    wp.json("apply", str(program))
    sha = hashlib.sha256(b"%PDF slides v1").hexdigest()
    kept = wp.db.with_name(f"{wp.db.stem}-attachments") / sha[:2] / sha
    assert kept.read_bytes() == b"%PDF slides v1"
    assert wp.json("apply", str(program))["changes"] == []  # the same file: nothing to do
    (program.parent / "material" / "slides.pdf").write_bytes(b"%PDF slides v2")
    changes = wp.json("apply", str(program))["changes"]
    assert [c["key"] for c in changes if c["kind"] == "definition"] == ["workshops"]


def test_a_missing_activity_file_refuses_the_program_naming_its_key_path(wp):
    program = wp.file(SLIDES)
    reason = wp.refused("apply", str(program))
    assert "milestones[0].activities[0].file: material/slides.pdf: cannot be read" in reason
    code, out, _ = wp.run("export", "-")
    assert "workshops" not in out


def test_a_dry_run_copies_no_activity_file(wp):
    program = wp.file(SLIDES)
    (program.parent / "material").mkdir()
    (program.parent / "material" / "slides.pdf").write_bytes(b"%PDF")
    wp.json("apply", str(program), "--dry-run")
    assert not wp.db.with_name(f"{wp.db.stem}-attachments").exists()


def test_export_writes_the_activity_files_beside_the_program(wp, tmp_path):
    program = wp.file(SLIDES)
    (program.parent / "material").mkdir()
    (program.parent / "material" / "slides.pdf").write_bytes(b"%PDF slides")
    wp.json("apply", str(program))
    out = tmp_path / "export" / "program.toml"
    out.parent.mkdir()
    wp.json("export", str(out))
    assert (out.parent / "material" / "slides.pdf").read_bytes() == b"%PDF slides"
    assert 'file = "material/slides.pdf"' in out.read_text()
    assert "sha256" not in out.read_text()


def test_survey_responses_are_summarised_per_question_for_staff(wp):
    setup(wp)
    wp.json("answer", "p1", "workshops", "--by", "p1", "--answer", "1=Talks",
            "--answer", "2=4", "--answer", "3=More breaks", "--answer", "4=5")
    wp.json("answer", "p2", "workshops", "--by", "p2", "--answer", "1=Exercises",
            "--answer", "2=2", "--answer", "4=4")
    results = wp.json("responses", "workshops")
    assert [r["person"] for r in results["responses"]] == ["p1", "p2"]
    first, pace, change, overall, _ = results["summary"]
    assert first["counts"] == {"Talks": 1, "Exercises": 1}
    assert (pace["average"], overall["average"]) == (3.0, 4.5)
    assert change["texts"] == ["More breaks"] and change["answered"] == 1
    code, out, _ = wp.run("responses", "workshops")
    assert "Workshop feedback: 2 responses" in out and "average 4.5" in out


def test_a_file_handed_in_can_be_copied_back_out_of_the_store(wp, tmp_path):
    setup(wp)
    source = tmp_path / "portfolio.pdf"
    source.write_bytes(b"portfolio pages")
    wp.json("attach", "p1", "portfolio", str(source), "--by", "p1")
    out = tmp_path / "review"
    out.mkdir()
    wp.json("file", "p1", "portfolio", "portfolio.pdf", "--out", str(out))
    assert (out / "portfolio.pdf").read_bytes() == b"portfolio pages"
    assert "handed in no file 'cv.pdf'" in wp.refused("file", "p1", "portfolio", "cv.pdf")


EVENT = """\
[[cohorts]]
key = "fall"
name = "Fall"

[[milestones]]
key = "open-day"
title = "Open day"
kind = "event"
cohorts = ["fall"]
complete_by = ["registration"]
post_action_required = true
[[milestones.surveys]]
key = "how"
title = "How was it?"
questions = [{ kind = "overall_rating", text = "Overall", scale = 5 }]

[[sessions]]
key = "open-day"
title = "Open day"
milestone = "open-day"
start = "2026-10-01T09:00"
end = "2026-10-01T15:00"
"""


def test_a_no_show_drops_a_registration_held_for_its_survey(wp):
    wp.apply(EVENT)
    wp.people("id,name,cohort\np1,Pat Lee,fall\n")
    wp.json("register", "p1", "open-day", "--by", "p1")
    assert wp.show("p1")["open-day"]["waits_for"] == ["the survey 'How was it?' answered"]
    wp.json("noshow", "p1", "open-day")
    wp.json("answer", "p1", "open-day", "--by", "p1", "--answer", "1=3")
    event = wp.show("p1")["open-day"]
    assert event["state"] == "open"  # answering alone does not complete an event missed
    assert event["held"] is None
