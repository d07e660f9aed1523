"""Training content from the command line: submit with a form, answer, attach."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.context import Context, Failure
from app.cli.registry import acting, verb
from app.cli.verbs.acting import report
from app.services import commands as c
from app.services.errors import Refused
from app.services.uploads import hand_in


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
