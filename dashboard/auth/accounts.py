"""Users and API tokens as records, changed by pure functions, kept in one JSON file.

The embedded engine is opened by one process (`serve`), so the CLI cannot write users into ClickHouse
while the server runs; a small file under the data folder can be changed by both, and the server
re-reads it when its modification time changes, so a removal or revocation applies at once.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from otelhouse.durable import write_atomic

log = logging.getLogger(__name__)
VERSION = 1
# letters, digits and . _ @ - (an e-mail address works, for names a proxy passes on)
USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password: str  # scrypt hash; empty for a user who only signs in through the proxy header
    created: str
    epoch: int = 0  # raised by a password change: older sessions stop working


@dataclass(frozen=True)
class Token:
    id: str
    user: str
    label: str
    sha256: str
    created: str


@dataclass(frozen=True)
class Accounts:
    users: Mapping[str, User] = field(default_factory=dict)
    tokens: Mapping[str, Token] = field(default_factory=dict)

    def tokens_of(self, user: str) -> list[Token]:
        """Return a user's tokens, oldest first."""
        return sorted((t for t in self.tokens.values() if t.user == user), key=lambda t: t.created)


class AccountError(ValueError):
    """A change that cannot be made (unknown user, duplicate name); the message says which."""


def with_user(accounts: Accounts, user: User, *, replace_existing: bool = False) -> Accounts:
    """Return accounts with a user added (or replaced)."""
    if not USER_NAME.match(user.name):
        raise AccountError(f"a user name is 1 to 64 letters, digits and . _ @ -, got {user.name!r}")
    if user.name in accounts.users and not replace_existing:
        raise AccountError(f"user {user.name!r} exists already")
    return replace(accounts, users={**accounts.users, user.name: user})


def without_user(accounts: Accounts, name: str) -> Accounts:
    """Return accounts without a user and the user's tokens."""
    if name not in accounts.users:
        raise AccountError(f"no user {name!r}")
    users = {k: v for k, v in accounts.users.items() if k != name}
    tokens = {k: t for k, t in accounts.tokens.items() if t.user != name}
    return Accounts(users, tokens)


def with_password(accounts: Accounts, name: str, password_hash: str) -> Accounts:
    """Return accounts with a user's password replaced; the user's sessions end."""
    user = accounts.users.get(name)
    if user is None:
        raise AccountError(f"no user {name!r}")
    return with_user(accounts, replace(user, password=password_hash, epoch=user.epoch + 1), replace_existing=True)


def with_token(accounts: Accounts, token: Token) -> Accounts:
    """Return accounts with a token added for an existing user."""
    if token.user not in accounts.users:
        raise AccountError(f"no user {token.user!r}")
    return replace(accounts, tokens={**accounts.tokens, token.id: token})


def without_token(accounts: Accounts, token_id: str, user: str | None = None) -> Accounts:
    """Return accounts without a token (only if it is `user`'s, when given)."""
    token = accounts.tokens.get(token_id)
    if token is None or (user is not None and token.user != user):
        raise AccountError(f"no token {token_id!r}")
    return replace(accounts, tokens={k: t for k, t in accounts.tokens.items() if k != token_id})


def to_json(accounts: Accounts) -> bytes:
    data = {
        "version": VERSION,
        "users": [asdict(u) for u in sorted(accounts.users.values(), key=lambda u: u.name)],
        "tokens": [asdict(t) for t in sorted(accounts.tokens.values(), key=lambda t: t.id)],
    }
    return (json.dumps(data, indent=1) + "\n").encode()


def from_json(raw: bytes) -> Accounts:
    """Parse the file's bytes; raise ValueError (with the reason) when they are not an accounts file."""
    data = json.loads(raw)
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise ValueError(f"expected an object with version {VERSION}")
    try:
        users = {u["name"]: User(**u) for u in data.get("users", [])}
        tokens = {t["id"]: Token(**t) for t in data.get("tokens", [])}
    except (TypeError, KeyError) as exc:
        raise ValueError(f"a user or token entry is malformed ({exc})") from None
    return Accounts(users, tokens)


def read_accounts(path: Path) -> Accounts:
    """Read the file; missing or empty: no accounts. Raise ValueError naming the file when it is torn."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Accounts()
    if not raw.strip():
        return Accounts()
    try:
        return from_json(raw)
    except ValueError as exc:
        raise ValueError(f"{path} is not a valid users file: {exc}") from None


@contextmanager
def changing(path: Path) -> Iterator[list[Accounts]]:
    """Hold the file's lock while the caller changes `box[0]`; then write it atomically if it changed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the CLI and the server's settings page may change it at once
        before = read_accounts(path)
        box = [before]
        yield box
        if box[0] != before:
            write_atomic(path, to_json(box[0]))


class AccountsFile:
    """The accounts as the server sees them: re-read whenever the file's identity or mtime changes.

    A torn or invalid file keeps the last good accounts (logged once per change), so a bad edit never
    opens the dashboard nor crashes it.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._stamp: tuple[int, int, int] | None = None
        self._accounts = Accounts()
        self.error = ""  # why the file could not be read last time, or ''
        self.current()

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def current(self) -> Accounts:
        """Return the accounts, re-reading the file if it changed since the last look."""
        stamp = self._stat()
        if stamp == self._stamp:
            return self._accounts
        self._stamp = stamp
        try:
            self._accounts, self.error = read_accounts(self.path), ""
        except (ValueError, OSError) as exc:
            self.error = str(exc)
            log.error("users file unreadable; keeping the previous users", extra={"error": self.error})
        return self._accounts
