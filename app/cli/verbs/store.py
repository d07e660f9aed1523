"""Verbs about the store itself: init."""

from __future__ import annotations

import argparse

from app.cli.context import Context, default_user
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
    store = ctx.store
    if args.user:
        email, name = args.user, args.name or args.user.split("@")[0]
        ctx.run(SetupProfile(at=utcnow(), by=SYSTEM, email=email, name=name))
    with store.session() as session:
        user = get_setting(session, USER) or default_user()[0]
    ctx.emit({"ok": True, "db": str(ctx.db), "user": user, "changes": []},
             f"Store ready at {ctx.db} (user {user}, admin).")
    return 0
