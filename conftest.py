"""Shared fixtures: personas (one per role), and a real headless Chromium for browser tests.

Personas: alice (street staff), bob (village cadre), carol (party member / grid member), dave (resident),
erin (district staff), olga (auditor), root (administrator). All share PASSWORD.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group

from minhu.accounts.models import User
from minhu.accounts.roles import Role
from minhu.accounts.services import user_create

PASSWORD = "Persona#2026"


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogues(django_db_blocker: Any) -> None:
    """Compile the catalogues first: messages outside a request are in the default language (zh-hans), and
    tests must see the same text whether or not `minhu i18n compile` ran before them."""
    from django.core.management import call_command
    from django.utils.translation import trans_real

    call_command("i18n", "compile")
    trans_real._translations = {}  # type: ignore[attr-defined]  # forget catalogues loaded before the .mo
    trans_real._default = None  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Every test starts with no request counted against the rate limits (the "throttle" cache is kept in
    memory for the whole test process)."""
    from django.core.cache import caches

    caches["throttle"].clear()


PERSONAS: dict[str, tuple[Role, str]] = {
    "alice": (Role.STREET_STAFF, "王丽"),
    "bob": (Role.VILLAGE_CADRE, "李博"),
    "carol": (Role.GRID_MEMBER, "张卡"),
    "dave": (Role.RESIDENT, "刘大"),
    "erin": (Role.DISTRICT_STAFF, "陈尔"),
    "olga": (Role.AUDITOR, "赵奥"),
    "root": (Role.ADMINISTRATOR, "管理员"),
}


def make_persona(name: str) -> User:
    role, display = PERSONAS[name]
    existing = User.objects.filter(username=name).first()
    if existing is not None:
        return existing
    # The role groups come from a data migration, which a transactional test's flush empties: without
    # them a persona created by a later test would silently have no role.
    Group.objects.get_or_create(name=role.value)
    return user_create(
        username=name,
        password=PASSWORD,
        actor=None,
        display_name=display,
        roles=[role],
        is_staff=role in (Role.STREET_STAFF, Role.DISTRICT_STAFF, Role.AUDITOR, Role.ADMINISTRATOR),
        is_superuser=role is Role.ADMINISTRATOR,
    )


@pytest.fixture
def alice(db: Any) -> User:
    return make_persona("alice")


@pytest.fixture
def bob(db: Any) -> User:
    return make_persona("bob")


@pytest.fixture
def carol(db: Any) -> User:
    return make_persona("carol")


@pytest.fixture
def dave(db: Any) -> User:
    return make_persona("dave")


@pytest.fixture
def erin(db: Any) -> User:
    return make_persona("erin")


@pytest.fixture
def root(db: Any) -> User:
    return make_persona("root")


# --- browser -------------------------------------------------------------------------------------

PHONE = {"width": 390, "height": 844}  # a common phone viewport (CSS pixels)


@pytest.fixture(scope="session")
def _playwright() -> Iterator[Any]:
    chromium = os.environ.get("MINHU_CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(chromium):
        pytest.skip(f"no Chromium at {chromium}")
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run beside one
    # unless told it is safe (it is: the test and the live server do not share connections).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone_page(_playwright: Any, live_server: Any) -> Iterator[Any]:
    """A page in a phone-sized viewport; every request to another host fails the test."""
    context = _playwright.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    foreign: list[str] = []
    base = live_server.url

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith(base) or url.startswith("data:") or url.startswith("blob:"):
            route.continue_()
        else:
            foreign.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert foreign == [], f"pages tried to load from other hosts: {foreign}"


def login_with_second_factor(client: Any, user: User) -> None:
    """Log a test client in as an administrator who has passed the second factor."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture
def root_client(client: Any, root: User) -> Any:
    login_with_second_factor(client, root)
    return client
