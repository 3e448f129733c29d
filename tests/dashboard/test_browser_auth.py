"""Signing in with Debian's Chromium: an engineer sees the engineers' pages, a stakeholder is refused the log
explorer; the login page in light and dark, without console errors (CSP included) or serious axe violations."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.app import create_app
from tests.dashboard.authkit import PASSWORD, user_of, write_users
from tests.dashboard.browser import Browser, chromium, needs_chromium
from tests.dashboard.conftest import World, serve
from tests.dashboard.test_browser import check

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.slow]


@pytest.fixture(scope="module")
def login_url(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The seeded world's dashboard with one user per role."""
    users = tmp_path_factory.mktemp("auth") / "users.json"
    write_users(users)
    auth = dataclasses.replace(world.settings.auth, users_file=str(users), session_keys=("browser-test-key",))
    yield from serve(create_app(dataclasses.replace(world.settings, auth=auth), world.store))


def sign_in(b: Browser, base: str, role: str, path: str = "/") -> None:
    b.page.goto(base + path)
    b.page.wait_for_url(re.compile(r"/login\?next="))
    b.page.fill("#login-name", user_of(role))
    b.page.fill("#login-password", PASSWORD)
    b.page.click("#login-form button[type=submit]")


def test_login_page_light_and_dark_and_a_wrong_password(login_url: str, tmp_path: Path) -> None:
    with chromium(1280, 800) as b:
        page = b.page
        page.emulate_media(color_scheme="light")
        page.goto(login_url + "/login")
        assert page.evaluate("document.documentElement.dataset.theme") == "light"
        check(b, "login-light")
        page.emulate_media(color_scheme="dark")
        page.reload()
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"  # theme.js, no inline script
        check(b, "login-dark")
        page.fill("#login-name", user_of("engineer"))
        page.fill("#login-password", "not the password")
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#login-error")
        assert "Wrong user name or password" in page.inner_text("#login-error")
        b.errors = [e for e in b.errors if "401" not in e]  # the browser logs the form's 401 answer
        check(b, "login-wrong-password")


def test_engineer_signs_in_and_sees_the_engineers_pages(login_url: str) -> None:
    with chromium() as b:
        page = b.page
        sign_in(b, login_url, "engineer", "/logs?from=now-1h")
        page.wait_for_url(re.compile(r"/logs\?from=now-1h$"))  # back where the link pointed
        page.wait_for_selector("#log-table tbody tr")
        for path, ready in (
            ("/services", "#services tbody tr"),
            ("/map", "#edges-table tbody tr"),
            ("/traces", "#traces-table tbody tr"),
            ("/metrics", "#catalog-table tbody tr, #catalog .empty"),
        ):
            page.click(f"header nav a[href='{path}']")
            page.wait_for_url(f"**{path}*")
            page.wait_for_selector(ready)
        assert page.inner_text(".account").startswith(user_of("engineer"))
        check(b, "engineer-signed-in")
        page.click(".account button")
        page.wait_for_url("**/login")
        page.goto(login_url + "/services")
        page.wait_for_url(re.compile(r"/login\?next="))


def test_stakeholder_is_refused_the_log_explorer(login_url: str) -> None:
    with chromium() as b:
        page = b.page
        sign_in(b, login_url, "support")
        page.wait_for_url("**/kpi/support/customers")  # a stakeholder starts on their first KPI page
        assert page.locator("header nav a[href='/kpi/support']").count() == 1
        response = page.goto(login_url + "/logs")
        assert response is not None and response.status == 403
        assert "Not for your role" in page.inner_text("h1")
        assert page.locator("header nav a[href='/logs']").count() == 0  # no link to what is refused
        check_errors = [e for e in b.errors if "403" not in e]
        assert check_errors == []
        status = page.evaluate("async () => (await fetch('/api/logs?from=now-1h')).status")
        assert status == 403
        response = page.goto(login_url + "/traces")
        assert response is not None and response.status == 403
        b.shot("stakeholder-refused-logs")

        # their own API token for a BI tool, shown once
        b.errors.clear()  # Chromium logs the 403 answers above as failed resources
        page.click(".account a")
        page.wait_for_url("**/settings/tokens")
        page.fill("#token-label", "Power BI support")
        page.click("#token-form button[type=submit]")
        secret = page.inner_text("#new-token-secret")
        assert secret.startswith("oht_") and "Power BI support" in page.inner_text("#tokens")
        check(b, "tokens")
