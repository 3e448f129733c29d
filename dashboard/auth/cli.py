"""`otelhouse users add|list|remove|set-password` and `otelhouse tokens create|list|revoke`."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from dashboard.auth.access import role_problem, stakeholder_names
from dashboard.auth.accounts import (
    AccountError,
    User,
    changing,
    read_accounts,
    with_password,
    with_token,
    with_user,
    without_token,
    without_user,
)
from dashboard.auth.apitokens import new_token
from dashboard.auth.passwords import hash_password, password_problem
from otelhouse.config import Settings

COMMANDS = ("users", "tokens")


class CommandError(Exception):
    """A user mistake: one line, exit code 1."""


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add the user and token commands to the `otelhouse` parser."""
    users = sub.add_parser(
        "users",
        help="manage dashboard users (auth.users_file)",
        description="Manage dashboard users. Roles: admin (everything), engineer (services, map, traces, logs, "
        "metrics) or a stakeholder name (only that stakeholder's KPI pages). Changes apply to a running "
        "dashboard at once.",
    )
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = users_sub.add_parser("add", help="add a user (the password is asked for unless --password-file)")
    add.add_argument("name")
    add.add_argument("--role", required=True, help="admin, engineer or a stakeholder name")
    add.add_argument("--password-file", metavar="FILE", help="read the password from the first line of FILE")
    listing = users_sub.add_parser("list", help="list users, their roles and how many API tokens each has")
    listing.add_argument("--json", action="store_true", help="print JSON")
    remove = users_sub.add_parser("remove", help="remove a user and the user's API tokens (signed out at once)")
    remove.add_argument("name")
    password = users_sub.add_parser("set-password", help="change a user's password (the user is signed out)")
    password.add_argument("name")
    password.add_argument("--password-file", metavar="FILE", help="read the password from the first line of FILE")

    tokens = sub.add_parser(
        "tokens",
        help="manage API tokens for BI tools (read-only, with their user's role)",
        description="API tokens let a tool read what its user's role may see, sent as 'Authorization: Bearer'. "
        "A token is shown once and stored as a SHA-256 hash; a revoked token is refused at once.",
    )
    tokens_sub = tokens.add_subparsers(dest="tokens_command", metavar="ACTION", required=True)
    create = tokens_sub.add_parser("create", help="create a token for a user and print it (shown only this once)")
    create.add_argument("user")
    create.add_argument("--label", default="token", help="what the token is for, e.g. 'Power BI finance'")
    tlist = tokens_sub.add_parser("list", help="list tokens (never their secrets)")
    tlist.add_argument("--user", help="only this user's tokens")
    tlist.add_argument("--json", action="store_true", help="print JSON")
    revoke = tokens_sub.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("token_id")


def _read_password(path: str | None) -> str:
    if path:
        try:
            lines = Path(path).read_text().splitlines()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        password = lines[0] if lines else ""
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat it: ") != password:
            raise CommandError("the passwords differ")
    problem = password_problem(password)
    if problem:
        raise CommandError(problem)
    return password


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _users(args: argparse.Namespace, path: Path, settings: Settings) -> int:
    if args.users_command == "list":
        accounts = read_accounts(path)
        rows = [
            {"name": u.name, "role": u.role, "tokens": len(accounts.tokens_of(u.name)), "created": u.created}
            for u in sorted(accounts.users.values(), key=lambda u: u.name)
        ]
        if args.json:
            print(json.dumps(rows, indent=1))
        for r in [] if args.json else rows:
            print(f"{r['name']:<24} {r['role']:<12} {r['tokens']:>3} tokens  created {r['created']}")
        return 0
    if args.users_command == "add":
        problem = role_problem(args.role, stakeholder_names(settings))
        if problem:
            raise CommandError(problem)
        password = hash_password(_read_password(args.password_file))
        with changing(path) as box:
            box[0] = with_user(box[0], User(args.name, args.role, password, _now()))
        print(f"added {args.name} ({args.role})", file=sys.stderr)
    elif args.users_command == "remove":
        with changing(path) as box:
            box[0] = without_user(box[0], args.name)
        print(f"removed {args.name} and the user's tokens", file=sys.stderr)
    elif args.users_command == "set-password":
        password = hash_password(_read_password(args.password_file))
        with changing(path) as box:
            box[0] = with_password(box[0], args.name, password)
        print(f"changed the password of {args.name}; the user's sessions have ended", file=sys.stderr)
    return 0


def _tokens(args: argparse.Namespace, path: Path) -> int:
    if args.tokens_command == "create":
        secret, token = new_token(args.user, args.label)
        with changing(path) as box:
            box[0] = with_token(box[0], token)
        print(f"token {token.id} for {args.user}; shown only this once:", file=sys.stderr)
        print(secret)
    elif args.tokens_command == "list":
        accounts = read_accounts(path)
        rows = [
            {"id": t.id, "user": t.user, "label": t.label, "created": t.created}
            for t in sorted(accounts.tokens.values(), key=lambda t: (t.user, t.created))
            if args.user in (None, t.user)
        ]
        if args.json:
            print(json.dumps(rows, indent=1))
        for r in [] if args.json else rows:
            print(f"{r['id']}  {r['user']:<24} {r['created']}  {r['label']}")
    else:
        with changing(path) as box:
            box[0] = without_token(box[0], args.token_id)
        print(f"revoked {args.token_id}", file=sys.stderr)
    return 0


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run a users or tokens command on auth.users_file; return the exit code."""
    path = Path(settings.auth.users_file)
    try:
        if args.command == "users":
            return _users(args, path, settings)
        return _tokens(args, path)
    except (CommandError, AccountError, ValueError) as exc:
        print(f"otelhouse: {exc}", file=sys.stderr)
        return 1
