"""Pure parts of dashboard auth: the route table, signatures, password hashes, limits, accounts, tokens."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.auth.access import Audience, audience, home_of, may_see, role_problem
from dashboard.auth.accounts import (
    AccountError,
    Accounts,
    AccountsFile,
    User,
    changing,
    read_accounts,
    with_password,
    with_token,
    with_user,
    without_token,
    without_user,
)
from dashboard.auth.apitokens import find_token, new_token
from dashboard.auth.passwords import hash_password, password_problem, verify_password
from dashboard.auth.ratelimit import FailureLimiter
from dashboard.auth.signing import Session, Signer, decode_session, encode_session
from dashboard.auth.views import safe_next
from otelhouse.config import ConfigError, load_settings
from otelhouse.stakeholders import load_stakeholders

S = load_stakeholders("").names  # the shipped file's: finance, product, support


@pytest.mark.parametrize(
    ("path", "who", "segment"),
    [
        ("/", Audience.ENGINEERS, ""),
        ("/login", Audience.OPEN, ""),
        ("/loginx", Audience.ADMINS, ""),  # a prefix matches whole segments only
        ("/static/app.js", Audience.OPEN, "app.js"),
        ("/logs", Audience.ENGINEERS, ""),
        ("/api/logs/tail", Audience.ENGINEERS, "tail"),
        ("/kpi/finance/revenue", Audience.OWN_KPI, "finance"),
        ("/api/kpi/support/tickets/panels/1.csv", Audience.OWN_KPI, "support"),
        ("/settings/tokens/ab12/revoke", Audience.SIGNED_IN, "ab12"),
        ("/something-new", Audience.ADMINS, ""),
    ],
)
def test_route_table_audience(path: str, who: Audience, segment: str) -> None:
    assert audience(path) == (who, segment)


def test_stakeholder_sees_only_own_kpi_and_admin_sees_all() -> None:
    assert may_see("finance", "/kpi/finance/revenue", S)
    assert may_see("finance", "/api/kpi/finance/revenue/csv", S)
    assert not may_see("finance", "/kpi/product/funnel", S)
    assert not may_see("finance", "/kpi", S)
    assert not may_see("finance", "/logs", S) and not may_see("finance", "/api/traces/abc", S)
    assert not may_see("engineer", "/kpi/finance/revenue", S)
    assert may_see("engineer", "/api/logs", S) and may_see("admin", "/anything", S)
    assert not may_see(None, "/services", S) and may_see(None, "/healthz", S)
    # a role whose stakeholder left the stakeholders file sees nothing
    assert not may_see("legal", "/kpi/legal/x", S)


def test_roles_and_homes() -> None:
    assert role_problem("admin", S) == "" and role_problem("finance", S) == ""
    assert "unknown role 'boss'" in role_problem("boss", S) and "finance" in role_problem("boss", S)
    assert home_of("engineer") == "/" and home_of("product") == "/kpi/product"


def test_signed_cookie_forged_expired_and_rotated_keys() -> None:
    old, new = Signer(["old-key"]), Signer(["new-key", "old-key"])
    session = Session("sid1", "ann", 0, 2000.0)
    value = encode_session(old, session)
    assert decode_session(new, value, 1000.0) == (session, "")  # signed by the old key: still verifies
    assert decode_session(Signer(["new-key"]), value, 1000.0) == (None, "forged")  # old key dropped
    assert decode_session(new, value, 2000.0) == (None, "expired")
    sig = value.partition(".")[2]
    tampered = encode_session(old, Session("sid1", "admin", 0, 2000.0)).partition(".")[0] + "." + sig
    assert decode_session(new, tampered, 1000.0) == (None, "forged")
    assert decode_session(new, "garbage", 1000.0) == (None, "forged")
    assert new.sign({"a": 1}) != old.sign({"a": 1})  # the first key signs


def test_csrf_token_bound_to_session_and_any_key() -> None:
    old, new = Signer(["old"]), Signer(["new", "old"])
    assert new.csrf_ok("sid", old.csrf_token("sid"))
    assert not new.csrf_ok("other", new.csrf_token("sid"))
    assert not new.csrf_ok("sid", "") and not new.csrf_ok("", new.csrf_token(""))


def test_password_hash_round_trip() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$") and "correct horse" not in stored
    assert verify_password("correct horse", stored)
    assert not verify_password("correct hors", stored)
    assert not verify_password("x", "not-a-hash") and not verify_password("x", "scrypt$1$2$3$!!$??")
    assert password_problem("short") and not password_problem("long enough")


def test_failure_limiter_window_and_bounded_memory() -> None:
    now = [0.0]
    limiter = FailureLimiter(3, 60, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.retry_after("ann") == 0
        limiter.fail("ann")
    assert limiter.retry_after("ann") == pytest.approx(60)
    now[0] = 30
    assert limiter.retry_after("ann") == pytest.approx(30)
    now[0] = 60.5
    assert limiter.retry_after("ann") == 0  # the oldest failure left the window
    limiter.fail("bob")
    limiter.clear("bob")
    assert limiter.retry_after("bob") == 0
    for i in range(10_050):
        limiter.fail(f"addr{i}")
    assert len(limiter._failures) <= 10_000


def test_accounts_changes_and_file_round_trip(tmp_path: Path) -> None:
    ann = User("ann", "finance", "h", "2026-01-01T00:00:00+00:00")
    accounts = with_user(Accounts(), ann)
    with pytest.raises(AccountError, match="exists already"):
        with_user(accounts, ann)
    secret, token = new_token("ann", "Power BI")
    accounts = with_token(accounts, token)
    assert find_token(accounts, secret) == token
    assert find_token(accounts, secret + "x") is None and find_token(accounts, "oht_nope_x") is None
    assert with_password(accounts, "ann", "h2").users["ann"].epoch == 1
    with pytest.raises(AccountError):
        without_token(accounts, token.id, user="bob")
    assert without_user(accounts, "ann") == Accounts()  # tokens go with their user

    path = tmp_path / "data" / "users.json"
    with changing(path) as box:
        box[0] = accounts
    assert read_accounts(path) == accounts
    assert oct(path.stat().st_mode & 0o777) == "0o600"  # hashes are not for other local users


def test_accounts_file_rereads_on_change_and_keeps_last_good_on_torn(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    live = AccountsFile(path)
    assert live.current() == Accounts() and live.error == ""
    with changing(path) as box:
        box[0] = with_user(box[0], User("ann", "admin", "h", "t"))
    assert set(live.current().users) == {"ann"}
    path.write_text('{"version": 1, "users": [{"name": "tor')
    assert set(live.current().users) == {"ann"} and "not a valid users file" in live.error
    path.write_text("")
    assert live.current() == Accounts() and live.error == ""


@pytest.mark.parametrize(
    ("value", "safe"),
    [("/logs?q=1", "/logs?q=1"), ("//evil.example/", ""), ("https://evil.example", ""), ("/\\evil", ""), ("", "")],
)
def test_next_after_login_stays_on_this_site(value: str, safe: str) -> None:
    assert safe_next(value) == safe


def test_auth_settings_validation() -> None:
    with pytest.raises(ConfigError, match=r"auth\.proxy_user_header needs auth.trusted_proxies"):
        load_settings({"OTELHOUSE_AUTH_PROXY_USER_HEADER": "X-Forwarded-User"})
    with pytest.raises(ConfigError, match=r"auth\.trusted_proxies must hold addresses"):
        load_settings({"OTELHOUSE_AUTH_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"})
    with pytest.raises(ConfigError, match=r"auth\.login_window_s must be more than 0"):
        load_settings({"OTELHOUSE_AUTH_LOGIN_WINDOW_S": "0"})
    s = load_settings({"OTELHOUSE_AUTH_SESSION_KEYS": "new,old", "OTELHOUSE_AUTH_TRUSTED_PROXIES": "10.0.0.1"})
    assert s.auth.session_keys == ("new", "old") and "new" in s.secret_values()


def test_user_names_are_plain() -> None:
    assert set(with_user(Accounts(), User("ann.lee@example.com", "admin", "h", "t")).users) == {"ann.lee@example.com"}
    for bad in ("", "ann lee", "-ann", "a\nb", "x" * 65):
        with pytest.raises(AccountError, match="a user name is"):
            with_user(Accounts(), User(bad, "admin", "h", "t"))
