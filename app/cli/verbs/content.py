"""Training content from the command line: submit with a form, answer a survey, attach a
file and copy it back out, and a survey's responses."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from app.cli.context import Context, Failure
from app.cli.registry import acting, reading, verb
from app.cli.verbs.acting import report
from app.services import commands as c
from app.services.errors import Refused
from app.services.queries.content_view import attachment_named
from app.services.queries.survey_results import survey_results
from app.services.uploads import copy_out, hand_in


def _answers(values: list[str] | None) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values or []:
        question, sep, answer = value.partition("=")
        if not sep or not question.strip():
            raise Failure(f"--answer {value!r}: write it as QUESTION=ANSWER, the question by "
                          "its number or its text")
        pairs.append((question.strip(), answer))
    return tuple(pairs)


def _progress(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("person", metavar="PERSON")
    parser.add_argument("milestone", metavar="MILESTONE")


def _answer_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--answer", action="append", metavar="Q=ANSWER",
                        help=f"an answer to {what}: the question by number or text; repeat "
                             "for each question")


def _submit_args(parser: argparse.ArgumentParser) -> None:
    _progress(parser)
    _answer_option(parser, "the milestone's linked form")
    parser.add_argument("--note", help="a note or reason, kept in the history")
    acting(parser)


@verb("submit", "submit a milestone for approval (a completion request)", _submit_args)
def submit(args: argparse.Namespace, ctx: Context) -> int:
    report(ctx, ctx.run(c.SubmitProgress(
        at=ctx.time(args.at), by=args.by, person=args.person, milestone=args.milestone,
        note=args.note, answers=_answers(args.answer))))
    return 0


def _answer_args(parser: argparse.ArgumentParser) -> None:
    _progress(parser)
    _answer_option(parser, "the survey")
    parser.add_argument("--survey", metavar="KEY", help="which survey (default: the active one)")
    acting(parser)


@verb("answer", "answer a milestone's survey", _answer_args)
def answer(args: argparse.Namespace, ctx: Context) -> int:
    report(ctx, ctx.run(c.AnswerSurvey(
        at=ctx.time(args.at), by=args.by, person=args.person, milestone=args.milestone,
        answers=_answers(args.answer), survey=args.survey)))
    return 0


def _attach_args(parser: argparse.ArgumentParser) -> None:
    _progress(parser)
    parser.add_argument("file", metavar="FILE", help="the file to hand in as evidence")
    parser.add_argument("--note", help="what the file shows")
    acting(parser)


@verb("attach", "hand in a file as evidence on a milestone", _attach_args)
def attach(args: argparse.Namespace, ctx: Context) -> int:
    at = ctx.time(args.at)
    try:
        result = hand_in(ctx.store, Path(args.file), lambda stored: c.AttachFile(
            at=at, by=args.by, person=args.person, milestone=args.milestone, note=args.note,
            sha256=stored.sha256, name=stored.name, size=stored.size))
    except Refused as refused:
        raise Failure(str(refused)) from None
    if not result.ok:
        raise Failure(result.error or "refused")
    report(ctx, result)
    return 0


def _responses_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("milestone", metavar="MILESTONE")
    parser.add_argument("--survey", metavar="KEY", help="which survey (default: the active one)")
    parser.add_argument("--cohort", metavar="COHORT", help="only participants of this cohort")
    reading(parser, at=False)


@verb("responses", "a milestone's survey responses and their summary", _responses_args)
def responses(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.reading(args.reader) as session:
        try:
            results = survey_results(session, args.milestone, args.survey, args.cohort)
        except Refused as refused:
            raise Failure(str(refused)) from None
    lines = [f"{results.title}: {len(results.responses)} response"
             f"{'s' if len(results.responses) != 1 else ''}"]
    for index, part in enumerate(results.summary, 1):
        lines.append(f"  {index}. {part.question} ({part.answered} answered)")
        if part.counts:
            lines.extend(f"       {count:>4}  {option}" for option, count in part.counts.items())
        if part.average is not None:
            lines.append(f"       average {part.average}")
        lines.extend(f"       “{text}”" for text in part.texts)
    ctx.emit({"milestone": results.milestone, "survey": results.survey,
              "title": results.title, "responses": results.responses,
              "summary": [dataclasses.asdict(part) for part in results.summary]},
             "\n".join(lines))
    return 0


def _file_args(parser: argparse.ArgumentParser) -> None:
    _progress(parser)
    parser.add_argument("name", metavar="NAME", help="the file's name, as `show` lists it")
    parser.add_argument("--out", metavar="PATH", default=".",
                        help="where to copy it (a folder or a file name; default: here)")
    reading(parser, at=False)


@verb("file", "copy a file handed in on a milestone out of the store", _file_args)
def file(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.reading(args.reader, about=args.person, needs="export") as session:
        try:
            found = attachment_named(session, args.person, args.milestone, args.name)
        except Refused as refused:
            raise Failure(str(refused)) from None
    try:
        written = copy_out(ctx.store, found.sha256, found.name, Path(args.out))
    except Refused as refused:
        raise Failure(str(refused)) from None
    except OSError as exc:
        raise Failure(f"{args.out}: cannot be written ({exc.strerror})") from None
    ctx.emit({"ok": True, "file": str(written), "sha256": found.sha256}, f"Wrote {written}.")
    return 0
