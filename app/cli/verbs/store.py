"""Verbs about the store itself: init."""

from __future__ import annotations

import argparse

from app.cli.context import Context
from app.cli.registry import verb
from app.services.clock import utcnow
from app.services.commands import SetupProfile
from app.services.settings import USER, get_setting
from app.services.write import SYSTEM


def _init_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", help="the profile user's email (default: $WAYPOINT_USER)")
    parser.add_argument("--name", help="the profile user's name")


@verb("init", "create an empty store", _init_args)
def init(args: argparse.Namespace, ctx: Context) -> int:
    if args.user:
        ctx.profile = (args.user.strip().lower(), args.name or args.user.split("@")[0])
    with ctx.store.session() as session:
        user = get_setting(session, USER)
    if ctx.profile and user != ctx.profile[0]:
        email, name = ctx.profile
        ctx.run(SetupProfile(at=utcnow(), by=SYSTEM, email=email, name=name))
        user = email
    ctx.emit({"ok": True, "db": str(ctx.db), "user": user, "changes": []},
             f"Store ready at {ctx.db} (user {user}, admin).")
    return 0
